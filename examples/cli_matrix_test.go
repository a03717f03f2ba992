package examples_test

var _ = register(program{
	dir: "matrix",
	bad: []invocation{
		{args: []string{"-local", "-n", "0"}, exit: 2, want: "-n"},
		{args: []string{"-local", "-n", "-5"}, exit: 2, want: "-n"},
		{args: []string{"-local", "-n", "200000"}, exit: 2, want: "memory"},
		{args: []string{"frob"}, exit: 2, want: `"frob"`},
		{args: []string{}, exit: 2, want: "-local"},
		{args: []string{"-local", "-workers", "0"}, exit: 2, want: "-workers"},
		{args: []string{"-local", "-task-timeout", "0s"}, exit: 2, want: "-task-timeout"},
		{args: []string{"multiply", "-n", "0"}, exit: 2, want: "-n"},
		{args: []string{"multiply", "-coordinator", "nowhere"}, exit: 2, want: "-coordinator"},
		{args: []string{"multiply", "-wait", "-1s"}, exit: 2, want: "-wait"},
		{args: []string{"worker", "-cutoff", "0"}, exit: 2, want: "-cutoff"},
		{args: []string{"worker", "-coordinator", "x"}, exit: 2, want: "-coordinator"},
		{args: []string{"worker", "-idle-timeout", "0s"}, exit: 2, want: "-idle-timeout"},
		{args: []string{"worker", "-threads", "-1"}, exit: 2, want: "-threads"},
		{args: []string{"-local", "-threads", "-1"}, exit: 2, want: "-threads"},
		{args: []string{"coordinator", "-addr", "x"}, exit: 2, want: "-addr"},
		{args: []string{"coordinator", "-lease", "0s"}, exit: 2, want: "-lease"},
		{args: []string{"coordinator", "-max-conns", "0"}, exit: 2, want: "-max-conns"},
	},
	happy: [][]string{
		{"-local", "-n", "64"},
		{"-local", "-n", "128", "-workers", "7", "-threads", "1"},
		{"-local", "-n", "200", "-workers", "3", "-wait", "100ms"}, // too few workers: reported as local
	},
})
