package examples_test

import "time"

// reno-linux needs root for its happy path (CI runs as root); its bad
// invocations are refused before it looks for root.
var _ = register(program{
	dir: "reno-linux",
	bad: []invocation{
		{args: []string{"-points", "0.01"}, exit: 2, want: "-points"},
		{args: []string{"-points", "2:40ms"}, exit: 2, want: "-points"},
		{args: []string{"-cc", "bbr"}, exit: 2, want: "-cc"},
		{args: []string{"-bw", "0"}, exit: 2, want: "-bw"},
		{args: []string{"-warmup", "30s", "-duration", "10s"}, exit: 2, want: "-warmup"},
		{args: []string{"-pattern", "bursty"}, exit: 2, want: "-pattern"},
		{args: []string{"now"}, exit: 2, want: `"now"`},
	},
	happy:   [][]string{{"-points", "0.01:40ms", "-cc", "reno", "-duration", "4s", "-warmup", "1s"}},
	timeout: 2 * time.Minute,
})
