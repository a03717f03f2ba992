// Command tour runs every netlab concept end to end on loopback, writes the
// pictures it draws to one folder, and prints a short report.
//
//	go run ./examples/tour                 # everything, pictures in ./netlab-out
//	go run ./examples/tour -out /tmp/pics  # pictures elsewhere
//	go run ./examples/tour -only reno,gossip
//
// Each concept contributes one step, in a file of its own (step_*.go),
// listed in steps. A step prints what it does as it goes and
// returns the lines for the final report.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/netlab-go/netlab/internal/cli"
)

// step is one concept's part of the tour.
type step struct {
	name  string // short name for -only and the report
	title string // one line saying what the step shows
	run   func(ctx context.Context, env *env) error
}

// errSkipped is returned (wrapped, with the reason) by a step that cannot run
// on this machine, for example when no RabbitMQ broker answers.
var errSkipped = errors.New("skipped")

func isSkipped(err error) bool { return errors.Is(err, errSkipped) }

// env is what a step gets: where to write pictures, where to talk, and a place
// for its report lines.
type env struct {
	out    string    // folder for pictures and other files
	w      io.Writer // the person's terminal
	report []string  // short lines for the final report
	files  []string  // files the step wrote
}

// Printf tells the person what is happening now.
func (e *env) Printf(format string, args ...any) {
	fmt.Fprintf(e.w, "    "+format+"\n", args...)
}

// Report adds a line to the step's entry in the final report.
func (e *env) Report(format string, args ...any) {
	e.report = append(e.report, fmt.Sprintf(format, args...))
}

// Path returns the path of a file named name in the output folder and records
// it for the report.
func (e *env) Path(name string) string {
	p := filepath.Join(e.out, name)
	e.files = append(e.files, p)
	return p
}

// steps is the tour, in the order it runs; each step's code is in
// step_NAME.go.
var steps = []step{
	{name: "share", title: "P2P content sharing: a UDP index server and three TCP content peers", run: runShare},
	{name: "p2p", title: "a P2P overlay: seeds, preferential attachment, gossip, dead-node detection", run: runP2P},
	{name: "gossip", title: "epidemic dissemination: simulator vs theory, and a 20-member SWIM cluster that heals a partition", run: runGossip},
	{name: "kvstore", title: "an eventually consistent key-value store: replication, a partition, LWW and anti-entropy, and its convergence over time", run: runKVStore},
	{name: "reno", title: "TCP Reno, NewReno, SACK and CUBIC in a packet-level simulator, checked against their models", run: runReno},
	{name: "matrix", title: "distributed Strassen: a coordinator leases 7 workers for one 512×512 product", run: runMatrix},
	{name: "mlcluster", title: "distributed k-means on 3 local workers", run: runMLCluster},
	{name: "chat", title: "UDP discovery chat and a multithreaded TCP chat, on loopback", run: runChat},
	{name: "capture", title: "write a capture file, then count it the way Wireshark does and draw who talked to whom", run: runCapture},
	{name: "amqp", title: "topic messaging on RabbitMQ: routing by pattern, confirms, a frequency chart", run: runAMQP},
}

func main() {
	cmd := cli.New("tour", `usage: tour [flags]

Runs every netlab concept end to end on loopback, writes the pictures to one
folder and prints a report. Steps: `+strings.Join(stepNames(), ", "))
	out := cmd.Flags.String("out", "netlab-out", "folder for the pictures the tour draws (created if missing)")
	only := cmd.Flags.String("only", "", "comma-separated step names to run (default: all)")
	timeout := cmd.Flags.Duration("timeout", 10*time.Minute, "give up on the whole tour after this long")
	cmd.Parse(os.Args[1:])
	cmd.NoArgs()
	cmd.Check(
		checkOnly(*only),
		cli.DurationRange("timeout", *timeout, time.Second, 24*time.Hour),
		cli.OutDir("out", *out),
	)

	ctx, stop := cmd.Context()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	code := runTour(ctx, os.Stdout, *out, *only)
	if code == 0 && ctx.Err() != nil {
		code = 1 // interrupted: the report above says how far it came
	}
	os.Exit(code)
}

// checkOnly rejects step names that the tour does not have.
func checkOnly(only string) error {
	if only == "" {
		return nil
	}
	known := map[string]bool{}
	for _, n := range stepNames() {
		known[n] = true
	}
	for _, n := range strings.Split(only, ",") {
		if n = strings.TrimSpace(n); !known[n] {
			return fmt.Errorf("flag -only: no step %q: want a comma-separated list of %s", n, strings.Join(stepNames(), ", "))
		}
	}
	return nil
}

type result struct {
	step  step
	env   *env
	err   error
	taken time.Duration
}

func runTour(ctx context.Context, w io.Writer, out, only string) int {
	selected := selectSteps(only)
	if len(selected) == 0 {
		fmt.Fprintf(w, "no tour steps match %q; known steps: %s\n", only, strings.Join(stepNames(), ", "))
		return 2
	}
	fmt.Fprintf(w, "netlab tour: %d steps, pictures go to %s\n\n", len(selected), out)
	var results []result
	for i, s := range selected {
		fmt.Fprintf(w, "[%d/%d] %s: %s\n", i+1, len(selected), s.name, s.title)
		e := &env{out: out, w: w}
		start := time.Now()
		err := s.run(ctx, e)
		results = append(results, result{s, e, err, time.Since(start)})
		fmt.Fprintln(w)
		if ctx.Err() != nil {
			fmt.Fprintf(w, "stopped after %d of %d steps: %v\n\n", i+1, len(selected), context.Cause(ctx))
			break
		}
	}
	code := printReport(w, results)
	renderReport(w, out, results)
	return code
}

func printReport(w io.Writer, results []result) int {
	fmt.Fprintln(w, "== report")
	failed := 0
	for _, r := range results {
		status := "ok"
		switch {
		case isSkipped(r.err):
			status = r.err.Error() // "skipped: <reason>"
		case r.err != nil:
			status = "FAILED: " + r.err.Error()
			failed++
		}
		fmt.Fprintf(w, "%-10s %-8s %s\n", r.step.name, r.taken.Round(time.Millisecond), status)
		for _, line := range r.env.report {
			fmt.Fprintf(w, "           %s\n", line)
		}
		for _, f := range r.env.files {
			fmt.Fprintf(w, "           wrote %s\n", f)
		}
	}
	if failed > 0 {
		fmt.Fprintf(w, "\n%d of %d steps failed\n", failed, len(results))
		return 1
	}
	return 0
}

func selectSteps(only string) []step {
	if only == "" {
		return steps
	}
	want := map[string]bool{}
	for _, n := range strings.Split(only, ",") {
		want[strings.TrimSpace(n)] = true
	}
	var sel []step
	for _, s := range steps {
		if want[s.name] {
			sel = append(sel, s)
		}
	}
	return sel
}

func stepNames() []string {
	var names []string
	for _, s := range selectSteps("") {
		names = append(names, s.name)
	}
	return names
}
