// Command p2p-share is the P2P content-sharing lab: an index server over UDP
// and content peers over TCP (package p2p/index).
//
//	go run ./examples/p2p-share -local                      # everything in one process, every PDU type shown
//	go run ./examples/p2p-share index -addr 127.0.0.1:9000  # the index server
//	go run ./examples/p2p-share peer -index 127.0.0.1:9000 -name alice
//	go run ./examples/p2p-share swarm -holders 3 -size 64MiB -leave 1   # a multi-source download
//
// A peer is an interactive shell: register NAME PATH, download NAME, get
// NAME (from every holder at once, framed), list, deregister NAME, serving,
// quit. Ctrl-C during a download cancels that
// download; at the prompt it leaves.
//
// The default codec is framed, netlab's format: every download is checked
// against the size and SHA-256 its server announced, which makes it the
// safe choice with peers you do not trust. -codec classic speaks the lab's
// byte layout, to talk to other implementations of the lab; Classic content
// is not verified, and a peer can alter it undetected. Index servers of other
// implementations that read the content name first in S want
// -requests content-first.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/netlab-go/netlab/internal/cli"
	"github.com/netlab-go/netlab/p2p/index"
	"github.com/netlab-go/netlab/pdu"
)

const synopsis = `usage:
  p2p-share [-codec framed|classic] -local
  p2p-share index [-addr HOST:PORT] [-codec framed|classic] [flags]
  p2p-share peer -index HOST:PORT -name NAME [-listen HOST:PORT] [-dir DIR] [-codec framed|classic] [flags]
  p2p-share swarm [-holders N] [-size SIZE] [-chunk SIZE] [-leave K]

The P2P content-sharing lab: an index server (UDP) and content peers (TCP).
-codec framed (the default) verifies every download against the size and
SHA-256 its server announced: the safe choice with peers you do not trust.
-codec classic is the lab's byte layout, for other implementations of the
lab; its content is not verified. Use the same codec on every side.
swarm runs, in this process, an index, N holders of one file and a
downloader that fetches its chunks from all of them at once (framed only),
with a progress line per holder; -leave K makes K holders quit midway.`

func main() {
	cli.Dispatch("p2p-share", synopsis, os.Args[1:], map[string]func([]string){
		"index": runIndex,
		"peer":  runPeer,
		"swarm": runSwarm,
	}, runLocal)
}

// codecFlags are the wire-format flags every role takes.
type codecFlags struct {
	codec, requests *string
}

func addCodecFlags(c *cli.Command) codecFlags {
	return codecFlags{
		codec:    c.Flags.String("codec", "framed", "wire format: framed (verified; the safe default with untrusted peers) or classic (the lab's layout, unverified)"),
		requests: c.Flags.String("requests", "peer-first", "classic only: order of the names in S and D, peer-first (netlab) or content-first (index servers that read the content name first)"),
	}
}

// pick validates the codec flags and returns the codec.
func (f codecFlags) pick() (pdu.Codec, error) {
	if err := cli.OneOf("codec", *f.codec, "framed", "classic"); err != nil {
		return nil, err
	}
	layout, err := pdu.ParseRequestLayout(*f.requests)
	if err != nil {
		return nil, cli.OneOf("requests", *f.requests, "peer-first", "content-first")
	}
	if *f.codec == "framed" {
		if layout != pdu.PeerFirst {
			return nil, fmt.Errorf("flag -requests: value %s: only with -codec classic", *f.requests)
		}
		return pdu.Framed{}, nil
	}
	return pdu.Classic{Requests: layout}, nil
}

func runLocal(args []string) {
	c := cli.New("p2p-share", synopsis)
	local := c.Flags.Bool("local", false, "start an index server and three peers in this process and walk through every PDU type")
	cf := addCodecFlags(c)
	c.Parse(args)
	c.NoArgs()
	codec, err := cf.pick()
	c.Check(err)
	if !*local {
		c.Check(errors.New("nothing to do: want -local, or the subcommand index or peer"))
	}
	ctx, stop := c.Context()
	defer stop()
	dir, err := os.MkdirTemp("", "p2p-share-")
	c.Fail(err)
	res, err := index.Walkthrough(ctx, os.Stdout, dir, codec)
	os.RemoveAll(dir)
	fmt.Printf("\nPDU types used: %s; %d downloads, %d bytes; least-used selection: %v\n",
		res.Types(), res.Downloads, res.Bytes, res.LeastUsed)
	if ctx.Err() != nil {
		c.Failf("interrupted before the walkthrough ended")
	}
	c.Fail(err)
}

func runIndex(args []string) {
	c := cli.New("p2p-share index", synopsis)
	addr := c.Flags.String("addr", "127.0.0.1:9000", "UDP address to listen on (port 0: any free port)")
	perSource := c.Flags.Int("max-per-source", index.DefaultMaxPerSource, "most registrations from one IP address")
	total := c.Flags.Int("max-registrations", index.DefaultMaxRegistrations, "most registrations in total")
	allowOther := c.Flags.Bool("allow-other-addr", false, "accept an R that advertises another host's address (by default an R must advertise the sender's own IP)")
	budget := c.Flags.Int("reply-budget", index.DefaultReplyBudget, "reply bytes per second to one IP address; requests beyond it are dropped (bounds reflection toward forged sources)")
	cf := addCodecFlags(c)
	c.Parse(args)
	c.NoArgs()
	codec, err := cf.pick()
	c.Check(err,
		cli.Addr("addr", *addr),
		cli.IntRange("max-per-source", *perSource, 1, 1<<20),
		cli.IntRange("max-registrations", *total, 1, 1<<24),
		cli.IntRange("reply-budget", *budget, 101, 1<<30))
	cfg := index.DefaultConfig()
	cfg.Addr, cfg.Codec = *addr, codec
	cfg.MaxPerSource, cfg.MaxRegistrations, cfg.AllowOtherAddr, cfg.ReplyBudget = *perSource, *total, *allowOther, *budget
	srv, err := index.New(cfg)
	c.Fail(err)
	ctx, stop := c.Context()
	defer stop()
	fmt.Printf("index server on udp %v (%s codec); Ctrl-C to stop\n", srv.Addr(), codec.Name())
	fmt.Printf("peers: go run ./examples/p2p-share peer -codec %s -index %v -name NAME\n", codec.Name(), srv.Addr())
	err = srv.Run(ctx)
	st := srv.Stats()
	fmt.Printf("stopped after %d datagrams (%d refused as malformed, %d dropped over the reply budget)\n", st.Requests, st.Refused, st.Limited)
	c.Fail(err)
}

func runPeer(args []string) {
	c := cli.New("p2p-share peer", synopsis)
	indexAddr := c.Flags.String("index", "", "UDP address of the index server, HOST:PORT (required)")
	name := c.Flags.String("name", "", "this peer's name (required; at most 10 bytes with -codec classic, 9 where C peers take part)")
	listen := c.Flags.String("listen", "127.0.0.1:0", "TCP address to serve content on (port 0: any free port)")
	dir := c.Flags.String("dir", ".", "folder for downloads (created if needed)")
	maxDownload := c.Flags.String("max-download", "1GiB", "largest download accepted, such as 200MiB or 2GiB")
	idle := c.Flags.Duration("idle-timeout", 30*time.Second, "give up on a transfer after this long without a byte")
	timeout := c.Flags.Duration("timeout", time.Second, "wait this long for each answer of the index server")
	retries := c.Flags.Int("retries", 2, "times a request to the index is sent again after a timeout")
	cf := addCodecFlags(c)
	c.Parse(args)
	c.NoArgs()
	codec, err := cf.pick()
	maxBytes, sizeErr := parseSize("max-download", *maxDownload)
	c.Check(err,
		cli.NonEmpty("index", *indexAddr),
		cli.Addr("index", *indexAddr),
		cli.NonEmpty("name", *name),
		nameFits(*name, codec),
		cli.Addr("listen", *listen),
		sizeErr,
		cli.DurationRange("idle-timeout", *idle, 100*time.Millisecond, time.Hour),
		cli.DurationRange("timeout", *timeout, 10*time.Millisecond, time.Minute),
		cli.IntRange("retries", *retries, 0, 20),
		cli.OutDir("dir", *dir))
	ua, err := net.ResolveUDPAddr("udp", *indexAddr)
	switch {
	case err != nil:
		c.Check(fmt.Errorf("flag -index: value %q: want the index server's HOST:PORT: %w", *indexAddr, err))
	case ua.Port == 0:
		c.Check(fmt.Errorf("flag -index: value %q: want a port from 1 to 65535", *indexAddr))
	}

	cfg := index.DefaultPeerConfig()
	cfg.Name, cfg.Index, cfg.Listen, cfg.Codec = *name, ua.AddrPort(), *listen, codec
	cfg.MaxDownload, cfg.IdleTimeout, cfg.Timeout, cfg.Retries = maxBytes, *idle, *timeout, *retries
	cfg.Progress = downloadProgress()
	cfg.SwarmProgress = holderProgress()
	p, err := index.NewPeer(cfg)
	c.Fail(err)

	// SIGINT goes to the shell (it cancels a running download, or leaves at
	// the prompt); SIGTERM ends the shell at once.
	interrupt := make(chan os.Signal, 1)
	signal.Notify(interrupt, os.Interrupt)
	defer signal.Stop(interrupt)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()

	runCtx, stopRun := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	shellErr := index.Shell(ctx, p, *dir, os.Stdin, os.Stdout, interrupt)
	served := p.Serving()
	stopRun() // Run closes the peer: its content is de-registered
	closeErr := <-done
	fmt.Printf("bye: %d files were shared and are now withdrawn\n", len(served))
	c.Fail(shellErr)
	c.Fail(closeErr)
}

// downloadProgress shows each download's progress on stderr: a bar on a
// terminal, occasional plain lines in a pipe or a file.
func downloadProgress() func(index.DownloadProgress) {
	var bar *cli.Progress
	return func(d index.DownloadProgress) {
		if bar == nil {
			total := max(d.Total, 0) // 0: unknown (classic)
			bar = cli.NewProgress(os.Stderr, "download "+d.Content, total, "bytes")
		}
		bar.Set(d.Done)
		if d.End {
			bar.Done()
			bar = nil
		}
	}
}

// nameFits checks the peer name against the codec's bound.
func nameFits(name string, codec pdu.Codec) error {
	if codec == nil || name == "" {
		return nil
	}
	if max := codec.Limits().MaxName; len(name) > max || strings.ContainsRune(name, 0) {
		return fmt.Errorf("flag -name: value %q: want 1 to %d bytes with the %s codec", name, max, codec.Name())
	}
	return nil
}

// parseSize reads a size such as 1048576, 512KiB, 200MiB, 2GiB (also KB, MB,
// GB as powers of 1000).
func parseSize(flag, s string) (int64, error) {
	units := []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40}, {"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12}, {"B", 1}, {"", 1}}
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
		if err != nil || n < 1 || n > (1<<62)/u.mult {
			break
		}
		return n * u.mult, nil
	}
	return 0, fmt.Errorf("flag -%s: value %q: want a size from 1 byte, such as 200MiB or 2GiB", flag, s)
}

func runSwarm(args []string) {
	c := cli.New("p2p-share swarm", synopsis)
	holders := c.Flags.Int("holders", 3, "holders of the file, 1 to 16")
	sizeFlag := c.Flags.String("size", "32MiB", "size of the file shared, such as 64MiB")
	chunkFlag := c.Flags.String("chunk", "1MiB", "chunk size of the manifest, a power of two from 4KiB to 16MiB")
	leave := c.Flags.Int("leave", 0, "holders that quit when a third of the file has arrived (fewer than -holders)")
	c.Parse(args)
	c.NoArgs()
	size, sizeErr := parseSize("size", *sizeFlag)
	chunk, chunkErr := parseSize("chunk", *chunkFlag)
	if chunkErr == nil && (chunk < pdu.MinChunkSize || chunk > pdu.MaxChunkSize || chunk&(chunk-1) != 0) {
		chunkErr = fmt.Errorf("flag -chunk: value %s: want a power of two from 4KiB to 16MiB", *chunkFlag)
	}
	if sizeErr == nil && chunkErr == nil && (size+chunk-1)/chunk > pdu.MaxChunks {
		chunkErr = fmt.Errorf("flag -chunk: value %s: %s makes more than %d chunks; want a larger chunk", *chunkFlag, *sizeFlag, pdu.MaxChunks)
	}
	c.Check(cli.IntRange("holders", *holders, 1, pdu.FramedMaxHolders), sizeErr, chunkErr,
		cli.IntRange("leave", *leave, 0, max(0, *holders-1)))
	dir, err := os.MkdirTemp("", "p2p-share-swarm-")
	c.Fail(err)
	defer os.RemoveAll(dir)
	c.Check(cli.Memory("size", uint64(4*chunk*int64(*holders+1)), "chunk buffers"))
	ctx, stop := c.Context()
	defer stop()
	res, err := index.SwarmDemo(ctx, index.SwarmDemoConfig{
		Dir: dir, Holders: *holders, Size: size, ChunkSize: int(chunk), Leave: *leave,
		Progress: holderProgress(),
	})
	printSwarm(res)
	if ctx.Err() != nil {
		c.Failf("interrupted: %d of %d chunks verified and kept", res.Verified, res.Report.Chunks)
	}
	c.Fail(err)
}

// holderProgress shows one progress line per holder on stderr: what it
// has sent of the file; a holder dropped ends its line.
func holderProgress() func(index.SwarmProgress) {
	bars := make(map[string]*cli.Progress)
	return func(p index.SwarmProgress) {
		key := p.Holder.Addr.String()
		bar := bars[key]
		if bar == nil {
			bar = cli.NewProgress(os.Stderr, "holder "+key, p.Total, "bytes")
			bars[key] = bar
		}
		bar.Set(p.Holder.Bytes)
		if p.Holder.Dropped != nil || p.Done == p.Total {
			for k, b := range bars {
				if p.Done == p.Total || k == key {
					b.Done()
					delete(bars, k)
				}
			}
		}
	}
}

func printSwarm(res index.SwarmDemoResult) {
	r := res.Report
	fmt.Printf("%s in %d chunks of %s, root %x\n", cli.Bytes(uint64(r.Size)), r.Chunks, cli.Bytes(uint64(res.ChunkSize)), r.Root[:8])
	for _, h := range r.Holders {
		state := "healthy"
		if h.Dropped != nil {
			state = "dropped: " + h.Dropped.Error()
		}
		fmt.Printf("  holder %-21v %4d chunks %10s  %s\n", h.Addr, h.Chunks, cli.Bytes(uint64(h.Bytes)), state)
	}
	if r.Path != "" {
		fmt.Printf("verified and saved in %v (%.0f MB/s)\n", res.Elapsed.Round(time.Millisecond), float64(r.Size)/1e6/res.Elapsed.Seconds())
	}
}
