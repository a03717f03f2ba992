package index

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/netlab-go/netlab/pdu"
)

// SwarmDemoConfig sets up [SwarmDemo].
type SwarmDemoConfig struct {
	Dir       string // folder for the shared file and the download
	Holders   int    // peers holding the file, 1 to pdu.FramedMaxHolders
	Size      int64  // bytes of the file shared (random)
	ChunkSize int    // the holders' chunk size; 0: pdu.ChunkSizeFor(Size)
	// Leave is how many holders quit (Close) once a third of the file has
	// arrived: the downloader sees them disconnect, drops them and goes on
	// with the others. Fewer than Holders.
	Leave int
	// Progress, if not nil, sees every step of the download (see
	// [PeerConfig.SwarmProgress]); it is called from the download's
	// goroutines, one call at a time.
	Progress func(SwarmProgress)
}

// SwarmDemoResult is what [SwarmDemo] did.
type SwarmDemoResult struct {
	Report    SwarmReport
	ChunkSize int
	Elapsed   time.Duration // the download's wall-clock time
	Verified  int           // chunks verified, also when the download did not end
}

// SwarmDemo runs, in this process and on loopback, an index server
// (Framed), cfg.Holders peers that each register one random file, and a
// downloader that fetches it from all of them at once with DownloadSwarm;
// cfg.Leave holders quit midway. Everything it started is stopped when it
// returns.
func SwarmDemo(ctx context.Context, cfg SwarmDemoConfig) (SwarmDemoResult, error) {
	res := SwarmDemoResult{ChunkSize: cfg.ChunkSize}
	if cfg.ChunkSize == 0 {
		res.ChunkSize = pdu.ChunkSizeFor(cfg.Size)
	}
	switch {
	case cfg.Holders < 1 || cfg.Holders > pdu.FramedMaxHolders:
		return res, fmt.Errorf("index: SwarmDemoConfig.Holders is %d, want 1 to %d", cfg.Holders, pdu.FramedMaxHolders)
	case cfg.Leave < 0 || cfg.Leave >= cfg.Holders:
		return res, fmt.Errorf("index: SwarmDemoConfig.Leave is %d, want 0 to %d", cfg.Leave, cfg.Holders-1)
	case cfg.Size < 0:
		return res, fmt.Errorf("index: SwarmDemoConfig.Size is %d, want >= 0", cfg.Size)
	}
	if free, ok := freeSpace(cfg.Dir); ok && uint64(2*cfg.Size) > free {
		return res, fmt.Errorf("%w in %s: the file and its download need %d bytes, %d free", ErrNoSpace, cfg.Dir, 2*cfg.Size, free)
	}
	src := filepath.Join(cfg.Dir, "shared")
	if err := writeRandomFile(src, cfg.Size); err != nil {
		return res, err
	}
	icfg := DefaultConfig()
	icfg.Addr, icfg.Codec = "127.0.0.1:0", pdu.Framed{}
	srv, err := New(icfg)
	if err != nil {
		return res, err
	}
	var wg sync.WaitGroup
	runCtx, stopAll := context.WithCancel(context.Background())
	defer func() { stopAll(); wg.Wait() }()
	wg.Go(func() { _ = srv.Run(runCtx) })

	start := func(name string, progress func(SwarmProgress)) (*Peer, error) {
		pc := DefaultPeerConfig()
		pc.Name, pc.Index, pc.Codec, pc.ChunkSize, pc.SwarmProgress = name, srv.Addr(), pdu.Framed{}, cfg.ChunkSize, progress
		p, err := NewPeer(pc)
		if err != nil {
			return nil, err
		}
		wg.Go(func() { _ = p.Run(runCtx) })
		return p, nil
	}
	holders := make([]*Peer, cfg.Holders)
	for i := range holders {
		if holders[i], err = start(fmt.Sprintf("holder%d", i+1), nil); err != nil {
			return res, err
		}
		if _, err := holders[i].Register("film", src); err != nil {
			return res, err
		}
	}
	var (
		once    sync.Once
		mu      sync.Mutex
		leaving sync.WaitGroup
	)
	leech, err := start("leech", func(p SwarmProgress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Holder.Dropped == nil {
			res.Verified++
		}
		if cfg.Progress != nil {
			cfg.Progress(p)
		}
		if cfg.Leave > 0 && p.Done*3 >= p.Total {
			once.Do(func() {
				for _, h := range holders[:cfg.Leave] {
					leaving.Go(func() { _ = h.Close() })
				}
			})
		}
	})
	if err != nil {
		return res, err
	}
	began := time.Now()
	res.Report, err = leech.DownloadSwarm(ctx, "film", filepath.Join(cfg.Dir))
	res.Elapsed = time.Since(began)
	leaving.Wait()
	if err == nil && res.Report.Path != "" {
		err = sameFile(src, res.Report.Path)
	}
	return res, err
}

// writeRandomFile writes size random bytes to path.
func writeRandomFile(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.CopyN(f, rand.Reader, size)
	return errors.Join(err, f.Close())
}

// sameFile checks that the download equals the original, byte for byte.
func sameFile(a, b string) error {
	fa, err := os.Open(a)
	if err != nil {
		return err
	}
	defer fa.Close()
	fb, err := os.Open(b)
	if err != nil {
		return err
	}
	defer fb.Close()
	ba, bb := make([]byte, 1<<20), make([]byte, 1<<20)
	for {
		na, ea := io.ReadFull(fa, ba)
		nb, _ := io.ReadFull(fb, bb)
		if na != nb || string(ba[:na]) != string(bb[:nb]) {
			return fmt.Errorf("index: the download %s differs from %s", b, a)
		}
		if ea != nil {
			return nil
		}
	}
}
