package examples_test

var _ = register(program{
	dir: "p2p-share",
	bad: []invocation{
		// the program and its fallback (-local)
		{args: nil, exit: 2, want: "want -local"},
		{args: []string{"frob"}, exit: 2, want: `"frob"`},
		{args: []string{"-local", "-codec", "xml"}, exit: 2, want: "-codec"},
		{args: []string{"-local", "-requests", "content-first"}, exit: 2, want: "-requests"},
		{args: []string{"-local", "extra"}, exit: 2, want: `"extra"`},
		// index
		{args: []string{"index", "-addr", "127.0.0.1:99999"}, exit: 2, want: "-addr"},
		{args: []string{"index", "-max-per-source", "0"}, exit: 2, want: "-max-per-source"},
		{args: []string{"index", "-reply-budget", "5"}, exit: 2, want: "-reply-budget"},
		{args: []string{"index", "-codec", "classic", "-requests", "sideways"}, exit: 2, want: "-requests"},
		{args: []string{"index", "-addr", "192.0.2.1:9000"}, exit: 1, want: "192.0.2.1:9000"}, // not an address of this host
		// peer
		{args: []string{"peer", "-name", "alice"}, exit: 2, want: "-index"},
		{args: []string{"peer", "-index", "127.0.0.1:0", "-name", "alice"}, exit: 2, want: "-index"},
		{args: []string{"peer", "-index", "127.0.0.1:9000"}, exit: 2, want: "-name"},
		{args: []string{"peer", "-index", "127.0.0.1:9000", "-name", "elevenbytes", "-codec", "classic"}, exit: 2, want: "-name"},
		{args: []string{"peer", "-index", "127.0.0.1:9000", "-name", "alice", "-max-download", "lots"}, exit: 2, want: "-max-download"},
		{args: []string{"peer", "-index", "127.0.0.1:9000", "-name", "alice", "-idle-timeout", "0s"}, exit: 2, want: "-idle-timeout"},
		{args: []string{"peer", "-index", "127.0.0.1:9000", "-name", "alice", "-dir", "/proc/netlab"}, exit: 2, want: "-dir"},
		// swarm
		{args: []string{"swarm", "-holders", "0"}, exit: 2, want: "-holders"},
		{args: []string{"swarm", "-holders", "17"}, exit: 2, want: "-holders"},
		{args: []string{"swarm", "-size", "lots"}, exit: 2, want: "-size"},
		{args: []string{"swarm", "-chunk", "3000"}, exit: 2, want: "-chunk"},
		{args: []string{"swarm", "-size", "1TiB", "-chunk", "4KiB"}, exit: 2, want: "-chunk"},
		{args: []string{"swarm", "-holders", "2", "-leave", "2"}, exit: 2, want: "-leave"},
		{args: []string{"swarm", "extra"}, exit: 2, want: `"extra"`},
	},
	happy: [][]string{
		{"-local"},
		{"-local", "-codec", "classic"},
		// A peer whose standard input ends at once: it starts, and leaves.
		{"peer", "-index", "127.0.0.1:9", "-name", "alice", "-dir", "downloads"},
		// A multi-source download from three holders, one of which quits midway.
		{"swarm", "-holders", "3", "-size", "4MiB", "-chunk", "64KiB", "-leave", "1"},
	},
})
