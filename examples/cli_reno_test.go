package examples_test

import "time"

var _ = register(program{
	dir: "reno",
	bad: []invocation{
		{args: []string{"-chart", "out.jpg"}, exit: 2, want: "-chart"},
		{args: []string{"-duration", "10000h"}, exit: 2, want: "-duration"},
		{args: []string{"-flows", "0"}, exit: 2, want: "-flows"},
		{args: []string{"-loss", "2"}, exit: 2, want: "-loss"},
		{args: []string{"-variant", "bbr"}, exit: 2, want: "-variant"},
		{args: []string{"-drops", "5001,x"}, exit: 2, want: "-drops"},
		{args: []string{"-compare", "/proc/self/nope/v.png"}, exit: 2, want: "-compare"},
		{args: []string{"-warmup", "2m", "-duration", "1m"}, exit: 2, want: "-warmup"},
		{args: []string{"-round", "-variant", "reno,cubic"}, exit: 2, want: "-variant"},
		{args: []string{"extra"}, exit: 2, want: `"extra"`},
	},
	happy: [][]string{
		{"-quiet", "-duration", "10s", "-chart", "cwnd.png"},
		{"-flows", "3", "-loss", "0", "-buffer", "30", "-duration", "10s", "-quiet", "-chart", "flows.svg"},
		{"-drops", "5001,7001,9001", "-loss", "0", "-bytes", "60000", "-variant", "sack", "-chart", ""},
		{"-round", "-quiet", "-chart", "rounds.png"},
		{"-compare", "variants.png", "-duration", "10s", "-quiet", "-chart", ""},
		{"-variant", "cubic,reno", "-flows", "2", "-loss", "0", "-buffer", "250", "-bw", "20", "-sack", "-quiet", "-duration", "30s", "-chart", "share.png"},
	},
	timeout: 2 * time.Minute,
})
