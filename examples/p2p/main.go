// Command p2p runs the course's P2P overlay: seed nodes, peers, or a whole
// simulated network in one process.
//
//	go run ./examples/p2p seed -addr 127.0.0.1:7000
//	go run ./examples/p2p peer -config seeds.txt -addr 127.0.0.1:8001
//	go run ./examples/p2p sim -seeds 3 -peers 100
//
// seeds.txt holds one IP:Port per line. Seeds and peers log to the console and
// to an output file (-log) and run until interrupted (Ctrl-C or SIGTERM, both
// print the same summary) or for -duration. The sim writes the degree
// distribution (log-log, with the fitted power-law exponent), the overlay
// graph as DOT and PNG (or SVG, -format), and how the overlay holds up when
// peers fail at random or hubs are attacked. Every interval has a flag, so a
// demo can run in seconds; -fast k scales them all at once (0.01 makes 13 s
// liveness 130 ms).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/netlab-go/netlab/internal/cli"
	"github.com/netlab-go/netlab/p2p"
	"github.com/netlab-go/netlab/p2p/chart"
)

const synopsis = `usage: p2p seed|peer|sim [flags]

Runs the course's P2P overlay: a seed node, a peer, or a whole simulated
network in one process on 127.0.0.1.`

func main() {
	cli.Dispatch("p2p", synopsis, os.Args[1:], map[string]func([]string){
		"seed": runSeed,
		"peer": runPeer,
		"sim":  runSim,
	}, nil)
}

// logExts are the extensions a log file may have.
var logExts = []string{".txt", ".log"}

// openLog returns a logger writing to the console and to path.
func openLog(console io.Writer, path string) (*slog.Logger, io.Closer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	return p2p.NewLogger(console, f, slog.LevelInfo), f, nil
}

// listenAddr accepts a specific IPv4 address and a port (0 only when zeroOK):
// the address is what the node advertises to others.
func listenAddr(flag, v string, zeroOK bool) error {
	if err := cli.Addr(flag, v); err != nil {
		return err
	}
	ap, err := netip.ParseAddrPort(v)
	if err != nil || !ap.Addr().Is4() || ap.Addr().IsUnspecified() {
		return fmt.Errorf("flag -%s: value %q: want a specific IPv4 address and a port, such as 127.0.0.1:7000 (others are told this address)", flag, v)
	}
	if zeroOK {
		return cli.PortOrZero(flag, int(ap.Port()))
	}
	return cli.Port(flag, int(ap.Port()))
}

// runFor returns ctx limited to d when d > 0.
func runFor(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d > 0 {
		return context.WithTimeout(ctx, d)
	}
	return context.WithCancel(ctx)
}

func runSeed(args []string) {
	cmd := cli.New("p2p seed", `usage: p2p seed [flags]

Runs a seed node: it registers peers, hands out peer lists, and removes a
peer reported dead once its own probe of the peer gets no answer.`)
	fs := cmd.Flags
	cfg := p2p.DefaultSeedConfig()
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:7000", "listen address (a specific IPv4 address; port 0 picks one)")
	fs.IntVar(&cfg.MaxConns, "max-conns", cfg.MaxConns, "connections served at once")
	fs.DurationVar(&cfg.ReadTimeout, "read-timeout", cfg.ReadTimeout, "read deadline per line")
	fs.DurationVar(&cfg.ProbeTimeout, "probe-timeout", p2p.DefaultProbeTimeout, "how long a peer reported dead has to answer the seed's probe")
	logPath := fs.String("log", "seed-output.txt", "output file for the log (.txt or .log)")
	duration := fs.Duration("duration", 0, "stop after this long (0: run until interrupted)")
	cmd.Parse(args)
	cmd.NoArgs()
	cmd.Check(
		listenAddr("addr", cfg.Addr, true),
		cli.IntRange("max-conns", cfg.MaxConns, 1, 1<<16),
		cli.DurationRange("read-timeout", cfg.ReadTimeout, time.Millisecond, 24*time.Hour),
		cli.DurationRange("probe-timeout", cfg.ProbeTimeout, time.Millisecond, time.Minute),
		cli.OutFile("log", *logPath, logExts...),
		cli.DurationRange("duration", *duration, 0, 365*24*time.Hour),
	)

	log, f, err := openLog(os.Stdout, *logPath)
	cmd.Fail(err)
	defer f.Close()
	cfg.Logger = log
	s, err := p2p.NewSeed(cfg)
	cmd.Fail(err)
	fmt.Printf("seed listening on %s (try: nc %s %d, then type 'get peer list'); log in %s\n",
		s.Addr(), s.Addr().Addr(), s.Addr().Port(), *logPath)
	sig, stop := cmd.Context()
	defer stop()
	ctx, cancel := runFor(sig, *duration)
	defer cancel()
	start := time.Now()
	err = s.Run(ctx)
	fmt.Printf("seed %s stopped after %v: %d peers registered\n", s.Addr(), time.Since(start).Round(time.Millisecond),
		len(s.Registry().Peers()))
	f.Close()
	cmd.Fail(err)
}

// intervalFlags binds the peer's interval flags to cfg and returns -fast.
func intervalFlags(fs *flag.FlagSet, cfg *p2p.Config) *float64 {
	fs.DurationVar(&cfg.GossipInterval, "gossip-interval", cfg.GossipInterval, "time between generated gossip messages")
	fs.IntVar(&cfg.GossipCount, "gossip-count", cfg.GossipCount, "gossip messages each peer generates")
	fs.DurationVar(&cfg.LivenessInterval, "liveness-interval", cfg.LivenessInterval, "time between liveness checks")
	fs.IntVar(&cfg.LivenessFailures, "liveness-failures", cfg.LivenessFailures, "failed checks before a neighbour is reported dead")
	fs.DurationVar(&cfg.RefreshInterval, "refresh-interval", cfg.RefreshInterval, "time between re-registrations, reconnects to lost neighbours and top-ups")
	fs.DurationVar(&cfg.ReconnectTimeout, "reconnect-timeout", cfg.ReconnectTimeout, "how long to keep retrying neighbours declared dead (heals partitions)")
	fs.IntVar(&cfg.Neighbours, "neighbours", cfg.Neighbours, "neighbours each peer picks")
	return fs.Float64("fast", 1, "scale every interval by this factor, from 0.0001 to 100 (after the interval flags)")
}

// checkIntervals validates the flags of intervalFlags.
func checkIntervals(cfg p2p.Config, fast float64) []error {
	d := func(name string, v time.Duration) error {
		return cli.DurationRange(name, v, time.Millisecond, 365*24*time.Hour)
	}
	return []error{
		d("gossip-interval", cfg.GossipInterval),
		cli.IntRange("gossip-count", cfg.GossipCount, 0, 1_000_000),
		d("liveness-interval", cfg.LivenessInterval),
		cli.IntRange("liveness-failures", cfg.LivenessFailures, 1, 1000),
		d("refresh-interval", cfg.RefreshInterval),
		d("reconnect-timeout", cfg.ReconnectTimeout),
		cli.IntRange("neighbours", cfg.Neighbours, 1, 1000),
		cli.FloatRange("fast", fast, 0.0001, 100),
	}
}

// readSeeds reads and checks the seeds file named by -config.
func readSeeds(path string) ([]netip.AddrPort, error) {
	if err := cli.InFile("config", path); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	seeds, err := p2p.ReadSeeds(f)
	switch {
	case err != nil:
		return nil, fmt.Errorf("flag -config: %s: %w", path, err)
	case len(seeds) == 0:
		return nil, fmt.Errorf("flag -config: %s lists no seed: want one IP:Port a line", path)
	}
	return seeds, nil
}

func runPeer(args []string) {
	cmd := cli.New("p2p peer", `usage: p2p peer [flags]

Runs a peer: it registers with a majority of the seeds in -config, links to
neighbours chosen by preferential attachment, floods gossip and checks its
neighbours' liveness.`)
	fs := cmd.Flags
	cfg := p2p.DefaultConfig()
	seedsPath := fs.String("config", "seeds.txt", "file of seed addresses, one IP:Port a line")
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:0", "listen address (a specific IPv4 address; port 0 picks one)")
	fs.IntVar(&cfg.ID, "id", 0, "peer number, for the capacity rule")
	capRule := fs.Bool("capacity-rule", false, "accept at most 40·1.5^(−id/10) neighbours")
	logPath := fs.String("log", "", "output file for the log, .txt or .log (default peer-<port>-output.txt)")
	duration := fs.Duration("duration", 0, "stop after this long (0: run until interrupted)")
	fast := intervalFlags(fs, &cfg)
	cmd.Parse(args)
	cmd.NoArgs()
	if *logPath == "" {
		*logPath = "peer-output.txt"
		if ap, err := netip.ParseAddrPort(cfg.Addr); err == nil && ap.Port() != 0 {
			*logPath = fmt.Sprintf("peer-%d-output.txt", ap.Port())
		}
	}
	cmd.Check(append(checkIntervals(cfg, *fast),
		listenAddr("addr", cfg.Addr, true),
		cli.IntRange("id", cfg.ID, 0, 1_000_000),
		cli.OutFile("log", *logPath, logExts...),
		cli.DurationRange("duration", *duration, 0, 365*24*time.Hour))...)
	seeds, err := readSeeds(*seedsPath)
	cmd.Check(err)
	cfg.Seeds = seeds
	if *fast != 1 {
		cfg = cfg.Fast(*fast)
	}
	if *capRule {
		cfg.Capacity = p2p.CourseCapacity(cfg.ID)
	}

	log, lf, err := openLog(os.Stdout, *logPath)
	cmd.Fail(err)
	defer lf.Close()
	cfg.Logger = log
	p, err := p2p.NewPeer(cfg)
	cmd.Fail(err)
	fmt.Printf("peer %s: registering with %d of %d seeds; log in %s\n", p.Addr(), p2p.Majority(len(cfg.Seeds)), len(cfg.Seeds), *logPath)
	sig, stop := cmd.Context()
	defer stop()
	ctx, cancel := runFor(sig, *duration)
	defer cancel()
	start := time.Now()
	err = p.Run(ctx)
	joined := false
	select {
	case <-p.Joined():
		joined = true
	default:
	}
	st := p.Stats()
	fmt.Printf("peer %s stopped after %v: joined %v, %d neighbours, %d gossip messages received (%d duplicates dropped), %d neighbours reported dead\n",
		p.Addr(), time.Since(start).Round(time.Millisecond), joined, len(p.Neighbours()), st.GossipReceived, st.GossipDuplicates, st.DeadReported)
	lf.Close()
	cmd.Fail(err)
	if !joined {
		cmd.Failf("never joined the overlay: fewer than %d of the %d seeds in %s answered", p2p.Majority(len(cfg.Seeds)), len(cfg.Seeds), *seedsPath)
	}
}

func runSim(args []string) {
	cmd := cli.New("p2p sim", `usage: p2p sim [flags]

Starts seeds and peers in one process on 127.0.0.1, lets the overlay settle,
kills some peers, measures how long the seeds take to remove them, and draws
the degree distribution, the overlay and its robustness.`)
	fs := cmd.Flags
	cfg := p2p.DefaultSimConfig()
	fs.IntVar(&cfg.Seeds, "seeds", cfg.Seeds, "seed nodes, 1 to 64")
	fs.IntVar(&cfg.Peers, "peers", cfg.Peers, "peers, 2 to 2000")
	fs.IntVar(&cfg.Kill, "kill", cfg.Kill, "peers to kill once the overlay settles (fewer than -peers)")
	fs.BoolVar(&cfg.CourseCapacity, "capacity-rule", false, "limit peer i to 40·1.5^(−i/10) neighbours")
	pc := p2p.DefaultConfig()
	fast := intervalFlags(fs, &pc)
	dir := fs.String("out", ".", "folder for the pictures and the log (created if missing)")
	format := fs.String("format", "png", "picture format: png or svg")
	cmd.Parse(args)
	cmd.NoArgs()
	cmd.Check(append(checkIntervals(pc, *fast),
		cli.IntRange("seeds", cfg.Seeds, 1, 64),
		cli.IntRange("peers", cfg.Peers, 2, 2000),
		cli.IntRange("kill", cfg.Kill, 0, cfg.Peers-1),
		// BenchmarkFlood500 measures about 40 KiB and 10 goroutines per
		// peer; 256 KiB leaves room for stacks and buffers under load.
		cli.Memory("peers", uint64(cfg.Peers)*256<<10, fmt.Sprintf("%d peers and %d seeds", cfg.Peers, cfg.Seeds)),
		cli.OneOf("format", *format, "png", "svg"),
		cli.OutDir("out", *dir))...)
	if *fast == 1 && !flagSet(fs, "gossip-interval", "liveness-interval", "refresh-interval") {
		*fast = 0.04 // the default sim runs in seconds
	}
	cfg.Peer = pc.Fast(*fast)

	ctx, stop := cmd.Context()
	defer stop()
	err := simulate(ctx, cfg, *dir, *format, os.Stdout, os.Stderr)
	if errors.Is(err, context.Canceled) {
		err = errors.New("interrupted before the simulation finished; the summary above is what was measured")
	}
	cmd.Fail(err)
}

// simulate runs the sim, prints its summary (also when interrupted) to out
// and a join progress bar to progress, and draws the pictures into dir.
func simulate(ctx context.Context, cfg p2p.SimConfig, dir, format string, out io.Writer, progress *os.File) error {
	logPath := filepath.Join(dir, "p2p-sim-output.txt")
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	// The course's log lines of every node go to the file; the console gets
	// progress only.
	cfg.Peer.Logger = p2p.NewLogger(nil, f, slog.LevelInfo)
	cfg.Seed.Logger = cfg.Peer.Logger
	start := time.Now()
	cfg.Progress = func(format string, a ...any) {
		fmt.Fprintf(out, "[%6.2fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, a...))
	}
	bar := cli.NewProgress(progress, "peers joined", int64(cfg.Peers), "peers")
	onJoin := cfg.OnJoin
	cfg.OnJoin = func(n, total int) {
		bar.Set(int64(n))
		if n == total {
			bar.Done() // before the next phase prints its lines
		}
		if onJoin != nil {
			onJoin(n, total)
		}
	}
	fmt.Fprintf(out, "sim: %d seeds, %d peers, liveness every %v, dead after %d failures; log in %s\n",
		cfg.Seeds, cfg.Peers, cfg.Peer.LivenessInterval, cfg.Peer.LivenessFailures, logPath)
	res, err := p2p.RunSim(ctx, cfg)
	bar.Done()
	summary(out, cfg, res)
	if err != nil {
		return err
	}
	if err := writePictures(out, dir, format, res); err != nil {
		return err
	}
	return f.Close()
}

// summary prints what the run measured; it is printed whether the run
// finished or was interrupted, and names only what happened.
func summary(out io.Writer, cfg p2p.SimConfig, res *p2p.SimResult) {
	if res == nil {
		return
	}
	fmt.Fprintf(out, "summary: %d of %d peers joined", res.Joined, cfg.Peers)
	if res.JoinTime > 0 {
		fmt.Fprintf(out, " in %v", res.JoinTime.Round(time.Millisecond))
	}
	fmt.Fprintln(out)
	if len(res.Settled.Nodes) == 0 {
		return
	}
	fmt.Fprintf(out, "  overlay: %d peers, %d links, %d component(s)\n",
		len(res.Settled.Nodes), len(res.Settled.Edges), res.Settled.Components())
	fmt.Fprintf(out, "  power-law exponent (MLE, k >= %d, %d peers): %.2f; Kolmogorov-Smirnov distance to the fit %.3f\n",
		res.KMin, res.AlphaN, res.Alpha, p2p.PowerLawKS(res.Settled.Degrees(), res.KMin, res.Alpha))
	for i, k := range res.Killed {
		if i >= len(res.Detected) || res.Detected[i] == 0 {
			fmt.Fprintf(out, "  killed %v: not yet removed from every seed\n", k)
			continue
		}
		verdict := "within"
		if res.Detected[i] > res.Bound {
			verdict = "OVER"
		}
		fmt.Fprintf(out, "  killed %v: removed from every seed after %v (%s the bound %v computed from the intervals)\n",
			k, res.Detected[i].Round(time.Millisecond), verdict, res.Bound)
	}
	if len(res.After.Nodes) > 0 {
		fmt.Fprintf(out, "  after the kills: %d component(s); %d gossip messages delivered first-time\n",
			res.After.Components(), res.Gossip)
	}
}

func writePictures(out io.Writer, dir, format string, res *p2p.SimResult) error {
	deg, err := chart.Degrees(res.Settled.Degrees(), res.KMin)
	if err != nil {
		return err
	}
	degPath := filepath.Join(dir, "p2p-degrees."+format)
	if err := deg.Save(degPath); err != nil {
		return err
	}
	dotPath := filepath.Join(dir, "p2p-overlay.dot")
	if err := res.Settled.SaveDOT(dotPath); err != nil {
		return err
	}
	overlay, err := chart.Overlay(res.Settled, 1, res.Killed, "killed once the overlay settled")
	if err != nil {
		return err
	}
	graphPath := filepath.Join(dir, "p2p-overlay."+format)
	if err := overlay.Save(graphPath); err != nil {
		return err
	}
	pts := res.Settled.Robustness(10, rand.New(rand.NewPCG(1, 2)))
	robust, err := chart.Robustness(pts)
	if err != nil {
		return err
	}
	robustPath := filepath.Join(dir, "p2p-robustness."+format)
	if err := robust.Save(robustPath); err != nil {
		return err
	}
	at := pts[len(pts)*2/5] // 20% removed
	fmt.Fprintf(out, "  with %.0f%% of peers removed the largest component keeps %.0f%% of peers (random) vs %.0f%% (hubs first)\n",
		100*at.Removed, 100*at.Random, 100*at.Targeted)
	fmt.Fprintf(out, "wrote %s, %s, %s, %s and %s\n", degPath, dotPath, graphPath, robustPath, filepath.Join(dir, "p2p-sim-output.txt"))
	return nil
}

func flagSet(fs *flag.FlagSet, names ...string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		for _, n := range names {
			if f.Name == n {
				set = true
			}
		}
	})
	return set
}
