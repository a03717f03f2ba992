package examples_test

import "time"

var _ = register(program{
	dir: "tour",
	bad: []invocation{
		{args: []string{"-only", "reno,nope"}, exit: 2, want: `-only: no step "nope"`},
		{args: []string{"-timeout", "0s"}, exit: 2, want: "-timeout"},
		{args: []string{"-out", "/proc/self/netlab"}, exit: 2, want: "-out"},
		{args: []string{"extra"}, exit: 2, want: `"extra"`},
		{args: []string{"-frob"}, exit: 2, want: "-frob"},
	},
	happy:   [][]string{{"-only", "reno,matrix", "-out", "pics"}},
	timeout: 3 * time.Minute,
})
