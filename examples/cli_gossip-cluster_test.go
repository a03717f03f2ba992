package examples_test

var _ = register(program{
	dir: "gossip-cluster",
	bad: []invocation{
		{args: []string{"-local", "1"}, exit: 2, want: "-local"},
		{args: []string{"-local", "5", "-kill", "4"}, exit: 2, want: "-kill"},
		{args: []string{"-loss", "2"}, exit: 2, want: "-loss"},
		{args: []string{"-udp", "-loss", "0.1"}, exit: 2, want: "-loss"},
		{args: []string{"-key", "c2hvcnQ="}, exit: 2, want: "-key: key of 5 bytes"},
		{args: []string{"-keyring", "/nonexistent/keys"}, exit: 2, want: "-keyring"},
		{args: []string{"-timeout", "0s"}, exit: 2, want: "-timeout"},
		{args: []string{"frob"}, exit: 2, want: `"frob"`},
	},
	happy: [][]string{{"-local", "4", "-kill", "1", "-udp"}},
})
