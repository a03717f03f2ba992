package examples_test

import (
	"os"
	"time"
)

// reno-linux needs root for a real run (CI runs as root, where the happy
// path is a short transfer); elsewhere its happy path is the usage text, and
// examples/reno-linux's own test reports the missing root. Its bad
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
	happy:   renoLinuxHappy(),
	timeout: 2 * time.Minute,
})

func renoLinuxHappy() [][]string {
	if os.Geteuid() != 0 {
		return [][]string{{"-h"}}
	}
	return [][]string{{"-points", "0.01:40ms", "-cc", "reno", "-duration", "4s", "-warmup", "1s"}}
}
