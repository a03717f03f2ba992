package examples_test

var _ = register(program{
	dir: "gossip-sim",
	bad: []invocation{
		{args: []string{"-loss", "2"}, exit: 2, want: "-loss"},
		{args: []string{"-crashed", "-0.5"}, exit: 2, want: "-crashed"},
		{args: []string{"-n", "1"}, exit: 2, want: "-n"},
		{args: []string{"-seeds", "0"}, exit: 2, want: "-seeds"},
		{args: []string{"-out", "/proc/self/netlab"}, exit: 2, want: "-out"},
		{args: []string{"frob"}, exit: 2, want: `"frob"`},
	},
	happy: [][]string{{"-n", "2000", "-seeds", "3", "-out", "pics"}},
})
