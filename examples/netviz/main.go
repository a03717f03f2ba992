// Command netviz analyses a packet capture the way Wireshark's Statistics
// menu does and draws it.
//
//	go run ./examples/netviz -r capture.pcapng -out pics
//	sudo go run ./examples/netviz -i eth0 -duration 10s -out pics -w live.pcap
//	go run ./examples/netviz -demo -out pics      # a generated capture
//
// It writes histogram.png (frames per protocol), graph.png and graph.svg
// (the device graph) and graph.dot (Graphviz), and prints the protocol
// hierarchy and the conversation tables in tshark's layout, so the numbers
// can be set beside `tshark -q -z io,phs -z conv,ip`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/netlab-go/netlab/capture"
)

func main() {
	read := flag.String("r", "", "capture file to read (pcap or pcapng, gzip or not)")
	iface := flag.String("i", "", "interface to capture live (Linux, root)")
	duration := flag.Duration("duration", 10*time.Second, "how long to capture live")
	write := flag.String("w", "", "with -i: also write the live capture to this pcap file")
	demo := flag.Bool("demo", false, "analyse a generated capture (no file, no root)")
	out := flag.String("out", "netviz-out", "folder for histogram.png, graph.png, graph.svg and graph.dot")
	top := flag.Int("top", 25, "keep the N busiest devices in the graph (0: all)")
	byBytes := flag.Bool("bytes", false, "weigh graph edges by bytes instead of frames")
	convs := flag.String("conv", "eth,ip,ipv6,tcp,udp", "conversation tables to print")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *read, *iface, *duration, *write, *demo, *out, *top, *byBytes, *convs); err != nil {
		fmt.Fprintln(os.Stderr, "netviz:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, read, iface string, duration time.Duration, write string, demo bool, out string, top int, byBytes bool, convs string) error {
	a, err := capture.New(capture.DefaultConfig())
	if err != nil {
		return err
	}
	switch {
	case read != "":
		err = readFile(ctx, a, read)
	case iface != "":
		err = captureLive(ctx, a, iface, duration, write)
	case demo:
		err = readDemo(ctx, a)
	default:
		return errors.New("say -r FILE, -i IFACE or -demo (see -h)")
	}
	if err != nil && a.Summary().Frames == 0 {
		return err
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "warning: %v\n(the statistics cover the frames before it)\n", err)
	}
	s := a.Summary()
	fmt.Printf("%d frames, %d bytes, %d malformed, %d cut by the snap length\n", s.Frames, s.Bytes, s.Malformed, s.Truncated)
	if err := a.Hierarchy().WritePHS(os.Stdout); err != nil {
		return err
	}
	fmt.Println("\nThe same tree with each row's share of all frames and bytes:")
	if err := a.Hierarchy().WriteTree(os.Stdout); err != nil {
		return err
	}
	for _, name := range strings.Split(convs, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		kind, err := capture.ParseConvKind(name)
		if err != nil {
			return err
		}
		if err := capture.WriteConversations(os.Stdout, kind, a.Conversations(kind)); err != nil {
			return err
		}
	}
	return draw(a, out, top, byBytes)
}

func readFile(ctx context.Context, a *capture.Analyzer, path string) error {
	r, err := capture.OpenFile(path, 0)
	if err != nil {
		return err
	}
	defer r.Close()
	start := time.Now()
	for n := 1; ; n++ {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		a.Add(p)
		if n%1_000_000 == 0 {
			fmt.Fprintf(os.Stderr, "  %d frames read (%.0f/s)\n", n, float64(n)/time.Since(start).Seconds())
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
}

func captureLive(ctx context.Context, a *capture.Analyzer, iface string, duration time.Duration, write string) error {
	cfg := capture.DefaultLiveConfig(iface)
	if write != "" {
		f, err := os.Create(write)
		if err != nil {
			return err
		}
		defer f.Close()
		cfg.Output = f
	}
	live, err := capture.OpenLive(cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "capturing on %s for %v (Ctrl-C stops early; on lo every packet shows twice)...\n", iface, duration)
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	return live.Run(ctx, a.Add)
}

func readDemo(ctx context.Context, a *capture.Analyzer) error {
	pr, pw := io.Pipe()
	go func() {
		_, err := capture.Generate(pw, capture.GenerateConfig{Hosts: 12, Frames: 20000, Seed: 1})
		pw.CloseWithError(err)
	}()
	defer pr.Close()
	r, err := capture.NewReader(pr, 0)
	if err != nil {
		return err
	}
	return a.ReadFrom(ctx, r)
}

func draw(a *capture.Analyzer, out string, top int, byBytes bool) error {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if a.Summary().Frames == 0 {
		fmt.Println("no frames: nothing to draw")
		return nil
	}
	hist := filepath.Join(out, "histogram.png")
	if err := capture.SaveHistogram(hist, a.Hierarchy().Totals(), 20, 640, 400); err != nil {
		return err
	}
	g, err := a.Graph(capture.GraphConfig{TopN: top, ByBytes: byBytes, Seed: 1})
	if err != nil {
		return err
	}
	for _, name := range []string{"graph.png", "graph.svg"} {
		if err := g.Save(filepath.Join(out, name), 800, 600); err != nil {
			return err
		}
	}
	dot, err := os.Create(filepath.Join(out, "graph.dot"))
	if err != nil {
		return err
	}
	if err := g.WriteDOT(dot); err != nil {
		dot.Close()
		return err
	}
	if err := dot.Close(); err != nil {
		return err
	}
	fmt.Printf("wrote %s, %s/graph.png, graph.svg and graph.dot (%d devices, %d edges)\n", hist, out, len(g.Nodes), len(g.Edges))
	return nil
}
