// Command reno-linux compares Linux's own TCP (reno and cubic, chosen with
// TCP_CONGESTION) with the reno simulator at the same bandwidth, RTT and
// loss. It builds two network namespaces joined by TUN devices and a
// userspace forwarder in this process that is the bottleneck link: a
// drop-tail buffer served at -bw, RTT/2 of delay each way, and each data
// packet lost with probability p. A bulk transfer runs through it for each
// (p, RTT) point and congestion control, and the simulator runs the same
// setting.
//
// It needs Linux, root (sudo), the ip command and /dev/net/tun; without them
// it says which is missing and exits 1.
//
//	sudo go run ./examples/reno-linux                       # 4 points x reno, cubic, 20 s each
//	sudo go run ./examples/reno-linux -pattern periodic -points 0.01:80ms,0.002:80ms
//	sudo go run ./examples/reno-linux -points 0.01:40ms -duration 10s -cc reno
//
// Goodput counts only the bytes that reach the receiver within the measured
// window; at the end the sender resets the connection rather than let its
// send buffer drain into the receiver.
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/netlab-go/netlab/examples/internal/renoflag"
	"github.com/netlab-go/netlab/internal/cli"
	"github.com/netlab-go/netlab/reno"
)

func main() {
	cmd := cli.New("reno-linux", `usage: reno-linux [flags]

Runs Linux TCP (reno, cubic) through an emulated bottleneck between two
network namespaces and compares its goodput with the reno simulator.
Needs root.`)
	points := cmd.Flags.String("points", "0.002:20ms,0.002:80ms,0.01:20ms,0.01:80ms", "comma-separated loss:RTT points")
	ccs := cmd.Flags.String("cc", "reno,cubic", "congestion controls to compare: reno, cubic")
	bw := cmd.Flags.Float64("bw", 50, "bottleneck bandwidth in Mb/s (1-200)")
	buffer := cmd.Flags.Int("buffer", 200, "bottleneck buffer in packets")
	duration := cmd.Flags.Duration("duration", 20*time.Second, "length of each transfer")
	warmup := cmd.Flags.Duration("warmup", 3*time.Second, "left out of the goodput")
	pattern := new(string)
	renoflag.PatternVar(cmd.Flags, pattern)
	cmd.Parse(os.Args[1:])
	cmd.NoArgs()
	pts, perr := parsePoints(*points)
	list, cerr := parseCCs(*ccs)
	cmd.Check(perr, cerr, renoflag.Warmup(*warmup, *duration), renoflag.CheckPattern(*pattern),
		cli.FloatRange("bw", *bw, 1, 200),
		cli.IntRange("buffer", *buffer, 1, 100000),
		cli.DurationRange("duration", *duration, 2*time.Second, 10*time.Minute))
	if err := Available(list); err != nil {
		cmd.Failf("%v", err)
	}
	ctx, stop := cmd.Context()
	defer stop()
	l := &Lab{Bandwidth: *bw * 1e6, Buffer: *buffer, Seed: 1, Periodic: *pattern == "periodic"}
	if err := l.Open(); err != nil {
		cmd.Fail(err)
	}
	defer l.Close()
	fmt.Printf("Linux TCP through a %g Mb/s bottleneck (buffer %d packets, %s loss) against the simulator; %v per transfer\n", *bw, *buffer, *pattern, *duration)
	fmt.Printf("%-6s %-7s %-6s %12s %12s %7s %8s %8s\n", "cc", "p", "RTT", "Linux", "simulated", "ratio", "lost", "retrans")
	bar := cli.NewProgress(os.Stderr, "reno-linux", int64(len(pts)*len(list)), "transfers")
	rows, err := Compare(ctx, l, list, pts, *duration, *warmup, func(r Row) {
		fmt.Printf("%-6s %-7g %-6v %12s %12s %7.2f %8d %8d\n", r.CC, r.Point.Loss, r.Point.RTT,
			reno.Rate(r.Linux.Goodput), reno.Rate(r.Simulated), r.Ratio, r.Linux.Lost, r.Linux.Retrans)
		bar.Add(1)
	})
	bar.Done()
	within := 0
	for _, r := range rows {
		if r.Ratio >= 0.75 && r.Ratio <= 1.25 {
			within++
		}
	}
	if len(rows) > 0 {
		fmt.Printf("%d of %d within 25%% of the simulator\n", within, len(rows))
	}
	if err != nil {
		l.Close()
		if errors.Is(err, ctx.Err()) {
			fmt.Fprintln(os.Stderr, "reno-linux: interrupted: the rows above are the transfers completed")
			os.Exit(1)
		}
		cmd.Fail(err)
	}
}

func parsePoints(s string) ([]Point, error) {
	return cli.List("points", s, "loss:RTT pairs such as 0.01:40ms (loss in [0,0.5), RTT 1ms-2s)", func(f string) (Point, bool) {
		lp, rt, ok := strings.Cut(f, ":")
		p, perr := strconv.ParseFloat(lp, 64)
		rtt, rerr := time.ParseDuration(rt)
		ok = ok && perr == nil && rerr == nil && p >= 0 && p < 0.5 && rtt >= time.Millisecond && rtt <= 2*time.Second
		return Point{Loss: p, RTT: rtt}, ok
	})
}

func parseCCs(s string) ([]string, error) {
	return cli.List("cc", s, "a comma-separated list of reno, cubic", func(f string) (string, bool) {
		return f, f == "reno" || f == "cubic"
	})
}
