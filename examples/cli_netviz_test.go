package examples_test

import "path/filepath"

// netvizData is capture's test data; the programs run in a temporary
// folder, so the path is absolute.
var netvizData, _ = filepath.Abs(filepath.Join("..", "capture", "testdata"))

// netviz's command-line contract: the bad invocations below, and the
// stats-only and picture modes on a checked-in loopback capture.
var _ = register(program{
	dir: "netviz",
	bad: []invocation{
		{args: nil, exit: 2, want: "-r FILE"},
		{args: []string{"-demo", "-r", "x.pcap"}, exit: 2, want: "exclude"},
		{args: []string{"-r", "no-such-file.pcap"}, exit: 2, want: "-r"},
		{args: []string{"-demo", "-stats", "-format", "xml"}, exit: 2, want: "-format"},
		{args: []string{"-demo", "-format", "json"}, exit: 2, want: "-format"},
		{args: []string{"-demo", "-stats", "-interval", "0s"}, exit: 2, want: "-interval"},
		{args: []string{"-demo", "-top", "-1"}, exit: 2, want: "-top"},
		{args: []string{"-demo", "-conv", "frob"}, exit: 2, want: "frob"},
		{args: []string{"-demo", "-w", "x.pcap"}, exit: 2, want: "-w"},
		{args: []string{"-i", "lo", "-duration", "0s", "-stats"}, exit: 2, want: "-duration"},
		{args: []string{"-demo", "-stats", "-max-streams", "0"}, exit: 2, want: "-max-streams"},
		{args: []string{"-demo", "extra"}, exit: 2, want: `"extra"`},
		{args: []string{"-demo", "-skip-damaged"}, exit: 2, want: "-skip-damaged"},
		{args: []string{"-r", "/dev/null", "-stats"}, exit: 2, want: "-r"},
		{args: []string{"-r", netvizData, "-stats"}, exit: 2, want: "-r"},
		{args: []string{"-r", filepath.Join(netvizData, "bad", "empty.pcap"), "-stats"}, exit: 1, want: "empty.pcap: capture: offset 0"},
		{args: []string{"-r", filepath.Join(netvizData, "bad", "random.pcap"), "-stats"}, exit: 1, want: "offset 0"},
		{args: []string{"-r", filepath.Join(netvizData, "bad", "truncated.pcapng"), "-stats"}, exit: 1, want: "truncated.pcapng"},
	},
	happy: [][]string{
		{"-r", filepath.Join(netvizData, "loop_http_dns.pcapng"), "-stats"},
		{"-r", filepath.Join(netvizData, "loop_tls.pcapng"), "-stats", "-format", "json"},
		{"-r", filepath.Join(netvizData, "loop_http_dns.pcapng"), "-stats", "-format", "csv", "-interval", "10ms", "-o", "tables.csv"},
		{"-demo", "-out", "pics"},
		{"-r", filepath.Join(netvizData, "bad", "truncated.pcapng"), "-stats", "-skip-damaged"},
	},
})
