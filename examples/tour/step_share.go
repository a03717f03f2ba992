package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/netlab-go/netlab/p2p/index"
	"github.com/netlab-go/netlab/pdu"
)

// runShare runs the content-sharing lab on loopback with both codecs and
// keeps the Classic transcript, every PDU exchanged, in the output folder.
func runShare(ctx context.Context, e *env) error {
	dir, err := os.MkdirTemp("", "netlab-tour-share-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	for _, codec := range []pdu.Codec{pdu.Classic{}, pdu.Framed{}} {
		e.Printf("index server and peers alice, bob, carol with the %s codec ...", codec.Name())
		var transcript bytes.Buffer
		res, err := index.Walkthrough(ctx, &transcript, dir+"/"+codec.Name(), codec)
		if err != nil {
			return fmt.Errorf("%s walkthrough: %w", codec.Name(), err)
		}
		if !res.LeastUsed {
			return fmt.Errorf("%s: the index did not choose the least-used holder", codec.Name())
		}
		lines := strings.Count(transcript.String(), " → ") + strings.Count(transcript.String(), " ← ")
		e.Printf("  %d PDUs exchanged, types %s; %d downloads re-registered by their downloaders", lines, res.Types(), res.Downloads)
		if codec.Name() == "classic" {
			path := e.Path("share-classic-transcript.txt")
			if err := os.WriteFile(path, transcript.Bytes(), 0o644); err != nil {
				return err
			}
		}
		mbps, err := shareThroughput(ctx, dir+"/"+codec.Name()+"-speed", codec)
		if err != nil {
			return fmt.Errorf("%s download: %w", codec.Name(), err)
		}
		e.Printf("  a %d MiB file over loopback: %.0f MB/s", speedSize>>20, mbps)
		e.Report("%s: PDU types %s, %d downloads (%d bytes), least-used holder chosen, %d MiB at %.0f MB/s",
			codec.Name(), res.Types(), res.Downloads, res.Bytes, speedSize>>20, mbps)
	}
	return shareSwarm(ctx, e, dir+"/swarm")
}

// shareSwarm downloads a file from three holders at once, one of which
// quits midway (framed): the download completes from the other two.
func shareSwarm(ctx context.Context, e *env, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	e.Printf("a %d MiB file from three holders at once, in 1 MiB chunks; one holder quits midway ...", speedSize>>20)
	res, err := index.SwarmDemo(ctx, index.SwarmDemoConfig{Dir: dir, Holders: 3, Size: speedSize, ChunkSize: 1 << 20, Leave: 1})
	if err != nil {
		return fmt.Errorf("multi-source download: %w", err)
	}
	for _, h := range res.Report.Holders {
		state := "healthy"
		if h.Dropped != nil {
			state = "dropped: " + h.Dropped.Error()
		}
		e.Printf("  holder %v: %d chunks, %s", h.Addr, h.Chunks, state)
	}
	e.Report("framed multi-source: %d chunks verified from %d holders, %d dropped and the download completed from the others",
		res.Report.Chunks, len(res.Report.Holders), len(res.Report.Dropped()))
	return nil
}

const speedSize = 16 << 20

// shareThroughput times a download of a 16 MiB file between two peers.
func shareThroughput(ctx context.Context, dir string, codec pdu.Codec) (float64, error) {
	for _, d := range []string{"/warm", "/got"} {
		if err := os.MkdirAll(dir+d, 0o755); err != nil {
			return 0, err
		}
	}
	src := dir + "/big"
	data := make([]byte, speedSize)
	_, _ = rand.Read(data)
	if err := os.WriteFile(src, data, 0o644); err != nil {
		return 0, err
	}
	cfg := index.DefaultConfig()
	cfg.Codec = codec
	srv, err := index.New(cfg)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = srv.Run(ctx) })
	peer := func(name string) (*index.Peer, error) {
		pc := index.DefaultPeerConfig()
		pc.Name, pc.Index, pc.Codec = name, srv.Addr(), codec
		p, err := index.NewPeer(pc)
		if err != nil {
			return nil, err
		}
		wg.Go(func() { _ = p.Run(ctx) })
		return p, nil
	}
	seed, err := peer("seed")
	if err != nil {
		return 0, err
	}
	leech, err := peer("leech")
	if err != nil {
		return 0, err
	}
	// Close the peers (de-registering) before the index stops.
	defer leech.Close()
	defer seed.Close()
	if _, err := seed.Register("big", src); err != nil {
		return 0, err
	}
	// One untimed download warms the page cache and the seed's SHA-256.
	if _, err := leech.Download(ctx, "big", dir+"/warm"); err != nil {
		return 0, err
	}
	if _, err := leech.Deregister("big"); err != nil {
		return 0, err
	}
	start := time.Now()
	if _, err := leech.Download(ctx, "big", dir+"/got"); err != nil {
		return 0, err
	}
	return float64(speedSize) / 1e6 / time.Since(start).Seconds(), nil
}
