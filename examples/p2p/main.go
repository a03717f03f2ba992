// Command p2p runs the course's P2P overlay: seed nodes, peers, or a whole
// simulated network in one process.
//
//	go run ./examples/p2p seed -addr 127.0.0.1:7000
//	go run ./examples/p2p peer -config seeds.txt -addr 127.0.0.1:8001
//	go run ./examples/p2p sim -seeds 3 -peers 100
//
// seeds.txt holds one IP:Port per line. Seeds and peers log to the console and
// to an output file (-log). The sim writes the degree distribution (log-log,
// with the fitted power-law exponent), the overlay graph as DOT and PNG, and
// how the overlay holds up when peers fail at random or hubs are attacked.
// Every interval has a flag, so a demo can run in seconds; -fast k scales them
// all at once (0.01 makes 13 s liveness 130 ms).
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
	"os/signal"
	"path/filepath"
	"time"

	"github.com/netlab-go/netlab/p2p"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch os.Args[1] {
	case "seed":
		err = runSeed(ctx, os.Args[2:])
	case "peer":
		err = runPeer(ctx, os.Args[2:])
	case "sim":
		err = runSim(ctx, os.Args[2:], os.Stdout)
	default:
		usage()
		os.Exit(2)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "p2p:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: p2p seed|peer|sim [flags]   (p2p <cmd> -h for the flags)`)
}

// openLog returns a logger writing to the console and to path.
func openLog(path string) (*slog.Logger, io.Closer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	return p2p.NewLogger(os.Stdout, f, slog.LevelInfo), f, nil
}

func runSeed(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	cfg := p2p.DefaultSeedConfig()
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:7000", "listen address (IPv4)")
	fs.IntVar(&cfg.MaxConns, "max-conns", cfg.MaxConns, "connections served at once")
	fs.DurationVar(&cfg.ReadTimeout, "read-timeout", cfg.ReadTimeout, "read deadline per line")
	logPath := fs.String("log", "seed-output.txt", "output file for the log")
	_ = fs.Parse(args)
	log, f, err := openLog(*logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	cfg.Logger = log
	s, err := p2p.NewSeed(cfg)
	if err != nil {
		return err
	}
	fmt.Printf("seed listening on %s (try: nc %s %d, then type 'get peer list')\n", s.Addr(), s.Addr().Addr(), s.Addr().Port())
	return s.Run(ctx)
}

// intervalFlags binds the peer's interval flags to cfg.
func intervalFlags(fs *flag.FlagSet, cfg *p2p.Config) *float64 {
	fs.DurationVar(&cfg.GossipInterval, "gossip-interval", cfg.GossipInterval, "time between generated gossip messages")
	fs.IntVar(&cfg.GossipCount, "gossip-count", cfg.GossipCount, "gossip messages each peer generates")
	fs.DurationVar(&cfg.LivenessInterval, "liveness-interval", cfg.LivenessInterval, "time between liveness checks")
	fs.IntVar(&cfg.LivenessFailures, "liveness-failures", cfg.LivenessFailures, "failed checks before a neighbour is reported dead")
	fs.DurationVar(&cfg.RefreshInterval, "refresh-interval", cfg.RefreshInterval, "time between re-registrations and neighbour top-ups")
	fs.IntVar(&cfg.Neighbours, "neighbours", cfg.Neighbours, "neighbours each peer picks")
	return fs.Float64("fast", 1, "scale every interval by this factor (after the interval flags)")
}

func runPeer(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("peer", flag.ExitOnError)
	cfg := p2p.DefaultConfig()
	seedsPath := fs.String("config", "seeds.txt", "file of seed addresses, one IP:Port a line")
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:0", "listen address (IPv4; port 0 picks one)")
	fs.IntVar(&cfg.ID, "id", 0, "peer number, for the capacity rule")
	capRule := fs.Bool("capacity-rule", false, "accept at most 40·1.5^(−id/10) neighbours")
	logPath := fs.String("log", "", "output file for the log (default peer-<port>-output.txt)")
	fast := intervalFlags(fs, &cfg)
	_ = fs.Parse(args)
	if *fast != 1 {
		cfg = cfg.Fast(*fast)
	}
	f, err := os.Open(*seedsPath)
	if err != nil {
		return err
	}
	cfg.Seeds, err = p2p.ReadSeeds(f)
	f.Close()
	if err != nil {
		return err
	}
	if *capRule {
		cfg.Capacity = p2p.CourseCapacity(cfg.ID)
	}
	if *logPath == "" {
		*logPath = "peer-output.txt"
		if ap, err := netip.ParseAddrPort(cfg.Addr); err == nil && ap.Port() != 0 {
			*logPath = fmt.Sprintf("peer-%d-output.txt", ap.Port())
		}
	}
	log, lf, err := openLog(*logPath)
	if err != nil {
		return err
	}
	defer lf.Close()
	cfg.Logger = log
	p, err := p2p.NewPeer(cfg)
	if err != nil {
		return err
	}
	fmt.Printf("peer %s: registering with %d of %d seeds; log in %s\n", p.Addr(), p2p.Majority(len(cfg.Seeds)), len(cfg.Seeds), *logPath)
	return p.Run(ctx)
}

func runSim(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("sim", flag.ExitOnError)
	cfg := p2p.DefaultSimConfig()
	fs.IntVar(&cfg.Seeds, "seeds", cfg.Seeds, "seed nodes")
	fs.IntVar(&cfg.Peers, "peers", cfg.Peers, "peers")
	fs.IntVar(&cfg.Kill, "kill", cfg.Kill, "peers to kill once the overlay settles")
	fs.BoolVar(&cfg.CourseCapacity, "capacity-rule", false, "limit peer i to 40·1.5^(−i/10) neighbours")
	pc := p2p.DefaultConfig()
	fast := intervalFlags(fs, &pc)
	dir := fs.String("out", ".", "folder for the pictures and the log")
	_ = fs.Parse(args)
	if *fast == 1 && !flagSet(fs, "gossip-interval", "liveness-interval", "refresh-interval") {
		*fast = 0.04 // the default sim runs in seconds
	}
	cfg.Peer = pc.Fast(*fast)
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(*dir, "p2p-sim-output.txt"))
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
	fmt.Fprintf(out, "sim: %d seeds, %d peers, liveness every %v, dead after %d failures\n",
		cfg.Seeds, cfg.Peers, cfg.Peer.LivenessInterval, cfg.Peer.LivenessFailures)
	res, err := p2p.RunSim(ctx, cfg)
	if err != nil {
		return err
	}
	for i, k := range res.Killed {
		verdict := "within"
		if res.Detected[i] > res.Bound {
			verdict = "OVER"
		}
		fmt.Fprintf(out, "  killed %v: removed from every seed after %v (%s the bound %v)\n",
			k, res.Detected[i].Round(time.Millisecond), verdict, res.Bound)
	}
	fmt.Fprintf(out, "  overlay: %d peers, %d links, %d component(s); after the kills %d component(s)\n",
		len(res.Settled.Nodes), len(res.Settled.Edges), res.Settled.Components(), res.After.Components())
	fmt.Fprintf(out, "  power-law exponent (MLE, k >= %d, %d peers): %.2f\n", res.KMin, res.AlphaN, res.Alpha)
	fmt.Fprintf(out, "  gossip messages delivered first-time: %d\n", res.Gossip)
	return writePictures(out, *dir, res)
}

func writePictures(out io.Writer, dir string, res *p2p.SimResult) error {
	deg := filepath.Join(dir, "p2p-degrees.png")
	if _, err := p2p.WriteDegreePlot(deg, res.Settled.Degrees(), res.KMin); err != nil {
		return err
	}
	dotPath := filepath.Join(dir, "p2p-overlay.dot")
	f, err := os.Create(dotPath)
	if err != nil {
		return err
	}
	if err := res.Settled.WriteDOT(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	png := filepath.Join(dir, "p2p-overlay.png")
	if err := res.Settled.WriteGraphPNG(png, 1); err != nil {
		return err
	}
	robust := filepath.Join(dir, "p2p-robustness.png")
	pts := res.Settled.Robustness(10, rand.New(rand.NewPCG(1, 2)))
	if err := p2p.WriteRobustnessPlot(robust, pts); err != nil {
		return err
	}
	at := pts[len(pts)*2/5] // 20% removed
	fmt.Fprintf(out, "  with %.0f%% of peers removed the largest component keeps %.0f%% of peers (random) vs %.0f%% (hubs first)\n",
		100*at.Removed, 100*at.Random, 100*at.Targeted)
	fmt.Fprintf(out, "wrote %s, %s, %s, %s and %s\n", deg, dotPath, png, robust, filepath.Join(dir, "p2p-sim-output.txt"))
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
