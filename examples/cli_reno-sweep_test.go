package examples_test

import "time"

var _ = register(program{
	dir: "reno-sweep",
	bad: []invocation{
		{args: []string{"-variants", "reno,bbr"}, exit: 2, want: "-variants"},
		{args: []string{"-losses", "0.01,1.5"}, exit: 2, want: "-losses"},
		{args: []string{"-pattern", "bursty"}, exit: 2, want: "-pattern"},
		{args: []string{"-out", "sweep.jpg"}, exit: 2, want: "-out"},
		{args: []string{"-duration", "100h"}, exit: 2, want: "-duration"},
		{args: []string{"more"}, exit: 2, want: `"more"`},
	},
	happy: [][]string{
		{"-losses", "0.001,0.01,0.05", "-duration", "30s", "-variants", "reno,newreno,sack,cubic", "-out", "sweep.svg"},
	},
	timeout: 2 * time.Minute,
})
