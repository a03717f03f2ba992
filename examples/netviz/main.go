// Command netviz analyses a packet capture the way Wireshark's Statistics
// menu does: protocol hierarchy, conversations, endpoints, I/O over time,
// HTTP requests and DNS queries, in tshark's layout, and draws it.
//
//	go run ./examples/netviz -r capture.pcapng -stats               # tables only, as tshark prints them
//	go run ./examples/netviz -r capture.pcapng -stats -format json  # the same tables as JSON (or csv)
//	go run ./examples/netviz -r capture.pcapng -out pics            # tables and pictures
//	sudo go run ./examples/netviz -i eth0 -duration 10s -out pics -w live.pcap
//	go run ./examples/netviz -demo -out pics                        # a generated capture
//
// With -stats it draws nothing and prints the tables tshark prints for
//
//	tshark -q -z io,phs -z conv,eth -z conv,ip -z conv,ipv6 -z conv,tcp -z conv,udp
//	  -z endpoints,eth ... -z endpoints,udp -z io,stat,1 -z http,tree -z http_req,tree -z http_srv,tree -z dns,tree
//
// in tshark's order and columns, so the two can be diffed. Without -stats
// it also writes into -out: protocols.png (the protocol hierarchy as
// indented bars), lengths.png (the frame-length histogram), graph.png and
// graph.svg (the -top busiest devices by bytes, the rest folded into one
// "other" node, drawn as nodes and links beside the conversation matrix)
// and graph.dot (the same graph for Graphviz).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/netlab-go/netlab/capture"
	"github.com/netlab-go/netlab/capture/chart"
	"github.com/netlab-go/netlab/internal/cli"
)

// options are netviz's flags, validated.
type options struct {
	read, iface, write, out, format, convs, output string
	duration, interval                             time.Duration
	demo, stats, noPayloads, skipDamaged           bool
	top, maxStreams                                int
}

func main() {
	cmd := cli.New("netviz", "analyse a packet capture as Wireshark's Statistics menu does, and draw it")
	var o options
	f := cmd.Flags
	f.StringVar(&o.read, "r", "", "capture file to read (pcap or pcapng, gzip or not)")
	f.StringVar(&o.iface, "i", "", "interface to capture live (Linux, root)")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "how long to capture live (1ms to 24h)")
	f.StringVar(&o.write, "w", "", "with -i: also write the live capture to this .pcap file")
	f.BoolVar(&o.demo, "demo", false, "analyse a generated capture (no file, no root)")
	f.BoolVar(&o.stats, "stats", false, "print the tables only, draw nothing")
	f.StringVar(&o.format, "format", "text", "table format: text (tshark's layout), json or csv")
	f.StringVar(&o.output, "o", "", "write the tables to this file instead of standard output")
	f.DurationVar(&o.interval, "interval", time.Second, "width of the I/O statistics' intervals (1µs to 24h), as in -z io,stat,INTERVAL")
	f.StringVar(&o.out, "out", "netviz-out", "folder for protocols.png, lengths.png, graph.png, graph.svg and graph.dot (not with -stats)")
	f.IntVar(&o.top, "top", 10, "draw the N devices that sent and received the most bytes; fold the rest into one \"other\" node (0: all, at most 200)")
	f.StringVar(&o.convs, "conv", "eth,ip,ipv6,tcp,udp", "with -format text and without -stats: conversation tables to print")
	f.IntVar(&o.maxStreams, "max-streams", 100_000, "TCP conversations reassembled at once (1 to 10000000); bounds reassembly's memory")
	f.BoolVar(&o.noPayloads, "no-payloads", false, "no payload dissection or TCP reassembly: rows stop at tcp and udp (faster)")
	f.BoolVar(&o.skipDamaged, "skip-damaged", false, "with -r: continue past a damaged record or block and say how many were skipped")
	cmd.Parse(os.Args[1:])
	cmd.NoArgs()
	cmd.Check(o.validate()...)

	ctx, stop := cmd.Context()
	defer stop()
	cmd.Fail(run(ctx, o))
}

func (o options) validate() []error {
	var errs []error
	n := 0
	for _, on := range []bool{o.read != "", o.iface != "", o.demo} {
		if on {
			n++
		}
	}
	switch {
	case n == 0:
		errs = append(errs, errors.New("say -r FILE, -i IFACE or -demo"))
	case n > 1:
		errs = append(errs, errors.New("flags -r, -i and -demo exclude each other: say one"))
	}
	if o.read != "" {
		errs = append(errs, cli.InFile("r", o.read))
	} else if o.skipDamaged {
		errs = append(errs, errors.New("flag -skip-damaged: only with -r"))
	}
	if o.iface != "" {
		errs = append(errs, cli.DurationRange("duration", o.duration, time.Millisecond, 24*time.Hour))
	}
	if o.write != "" {
		if o.iface == "" {
			errs = append(errs, fmt.Errorf("flag -w: value %q: only with -i", o.write))
		}
		errs = append(errs, cli.OutFile("w", o.write, ".pcap"))
	}
	errs = append(errs, cli.OneOf("format", o.format, "text", "json", "csv"),
		cli.DurationRange("interval", o.interval, time.Microsecond, 24*time.Hour),
		cli.IntRange("top", o.top, 0, 200),
		cli.IntRange("max-streams", o.maxStreams, 1, 10_000_000))
	if o.output != "" {
		errs = append(errs, cli.OutFile("o", o.output))
	}
	if !o.stats {
		if o.format != "text" {
			errs = append(errs, fmt.Errorf("flag -format: value %q: only with -stats (pictures go with the text tables)", o.format))
		}
		errs = append(errs, cli.OutDir("out", o.out))
	}
	for _, name := range strings.Split(o.convs, ",") {
		if name = strings.TrimSpace(name); name != "" {
			if _, err := capture.ParseConvKind(name); err != nil {
				errs = append(errs, fmt.Errorf("flag -conv: value %q: want a list of eth, ip, ipv6, tcp, udp", name))
				break
			}
		}
	}
	return errs
}

func run(ctx context.Context, o options) (err error) {
	cfg := capture.DefaultConfig()
	cfg.Interval, cfg.MaxStreams, cfg.NoPayloads, cfg.SkipDamaged = o.interval, o.maxStreams, o.noPayloads, o.skipDamaged
	a, err := capture.New(cfg)
	if err != nil {
		return err
	}
	switch {
	case o.read != "":
		err = readFile(ctx, a, o.read)
	case o.iface != "":
		err = captureLive(ctx, a, o.iface, o.duration, o.write)
	default:
		err = readDemo(ctx, a)
	}
	interrupted := errors.Is(err, context.Canceled)
	if err != nil && !interrupted {
		return err
	}
	out := os.Stdout
	if o.output != "" {
		f, cerr := os.Create(o.output)
		if cerr != nil {
			return cerr
		}
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
		out = f
	}
	if err := printTables(out, a, o); err != nil {
		return err
	}
	if interrupted {
		fmt.Fprintln(os.Stderr, "netviz: interrupted; the tables cover the frames read before it")
	}
	if n := a.Summary().Skipped; n > 0 {
		fmt.Fprintf(os.Stderr, "netviz: skipped %d damaged records or blocks (-skip-damaged)\n", n)
	}
	if o.stats {
		return nil
	}
	return draw(a, o.out, o.top)
}

func printTables(w io.Writer, a *capture.Analyzer, o options) error {
	switch o.format {
	case "json":
		return a.WriteJSON(w)
	case "csv":
		return a.WriteCSV(w)
	}
	if o.stats {
		return a.WriteText(w)
	}
	s := a.Summary()
	fmt.Fprintf(w, "%d frames, %d bytes, %d malformed, %d cut by the snap length\n", s.Frames, s.Bytes, s.Malformed, s.Truncated)
	if err := a.Hierarchy().WritePHS(w); err != nil {
		return err
	}
	for _, name := range strings.Split(o.convs, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		kind, _ := capture.ParseConvKind(name) // validated
		if err := capture.WriteConversations(w, kind, a.Conversations(kind)); err != nil {
			return err
		}
	}
	return nil
}

// countingReader counts the bytes read from the file, for the progress bar.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func readFile(ctx context.Context, a *capture.Analyzer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	cr := &countingReader{r: f}
	r, err := capture.NewReader(cr, 0)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer r.Close()
	prog := cli.NewProgress(os.Stderr, "reading "+filepath.Base(path), st.Size(), "B")
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				prog.Set(cr.n.Load())
			}
		}
	}()
	err = a.ReadFrom(ctx, r)
	close(done)
	prog.Set(cr.n.Load())
	prog.Done()
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %w", path, err)
	}
	return err
}

func captureLive(ctx context.Context, a *capture.Analyzer, iface string, duration time.Duration, write string) (err error) {
	cfg := capture.DefaultLiveConfig(iface)
	if write != "" {
		f, err := os.Create(write)
		if err != nil {
			return err
		}
		defer func() { // a pcap file that failed to close is not complete
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
		cfg.Output = f
	}
	live, err := capture.OpenLive(cfg)
	if err != nil {
		return err
	}
	defer live.Close()
	fmt.Fprintf(os.Stderr, "capturing on %s for %v (Ctrl-C stops early; on lo every packet shows twice)...\n", iface, duration)
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	err = live.Run(ctx, a.Add)
	if errors.Is(err, context.DeadlineExceeded) {
		return nil
	}
	return err
}

func readDemo(ctx context.Context, a *capture.Analyzer) error {
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := capture.Generate(pw, capture.GenerateConfig{Hosts: 12, Frames: 20000, Seed: 1})
		pw.CloseWithError(err)
	}()
	defer func() { pr.Close(); <-done }()
	r, err := capture.NewReader(pr, 0)
	if err != nil {
		return err
	}
	return a.ReadFrom(ctx, r)
}

func draw(a *capture.Analyzer, out string, top int) error {
	if a.Summary().Frames == 0 {
		fmt.Fprintln(os.Stderr, "netviz: no frames: nothing to draw")
		return nil
	}
	if err := chart.SaveHierarchy(a.Hierarchy(), 40, filepath.Join(out, "protocols.png")); err != nil {
		return err
	}
	if err := chart.SaveLengths(a.FrameLengths(), filepath.Join(out, "lengths.png")); err != nil {
		return err
	}
	g, err := a.Graph(capture.GraphConfig{ByBytes: true, Seed: 1, Updates: 1})
	if err != nil {
		return err
	}
	if len(g.Nodes) == 0 {
		fmt.Fprintf(os.Stderr, "wrote %s/protocols.png and lengths.png; no conversations: no device graph\n", out)
		return nil
	}
	d := chart.TopTalkers(g, top)
	for _, name := range []string{"graph.png", "graph.svg"} {
		if err := chart.SaveGraph(d, filepath.Join(out, name)); err != nil {
			return err
		}
	}
	dot, err := os.Create(filepath.Join(out, "graph.dot"))
	if err != nil {
		return err
	}
	if err := chart.WriteDOT(dot, d); err != nil {
		dot.Close()
		return err
	}
	if err := dot.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "wrote %s/protocols.png, lengths.png, graph.png, graph.svg and graph.dot (%d devices drawn, %d folded into %q, %d links)\n",
		out, len(d.Nodes)-min(d.Folded, 1), d.Folded, chart.OtherLabel, len(d.Links))
	return nil
}
