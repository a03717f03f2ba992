package examples_test

var _ = register(program{
	dir: "gossip-kv",
	bad: []invocation{
		{args: []string{"-name", "A", "-key", "abc"}, exit: 2, want: "-key"},
		{args: []string{"-name", "A", "-key", "c2hvcnQ="}, exit: 2, want: "-key: key of 5 bytes"},
		{args: []string{"-name", "A", "-keyring", "/nonexistent/keys"}, exit: 2, want: "-keyring"},
		{args: []string{"-name", "A", "-join", "127.0.0.1:99999"}, exit: 2, want: "-join"},
		{args: []string{"-name", "A", "-http", "nope"}, exit: 2, want: "-http"},
		{args: []string{"-bind", "127.0.0.1:0"}, exit: 2, want: "-name"},
		{args: []string{"-hold"}, exit: 2, want: "-hold"},
		{args: []string{"-local", "-name", "A"}, exit: 2, want: "-local"},
		{args: []string{"-local", "extra"}, exit: 2, want: `"extra"`},
		{args: []string{"-frob"}, exit: 2, want: "-frob"},
	},
	happy: [][]string{{"-local"}},
})
