package index

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/benchutil"
	"github.com/netlab-go/netlab/internal/testutil"

	"github.com/netlab-go/netlab/pdu"
)

// downloadSize is the file BenchmarkDownload moves: 256 MiB.
const downloadSize = 256 << 20

// BenchmarkDownload moves a 256 MiB file over loopback three ways in one
// run: a raw TCP io.Copy (the baseline: sendfile and splice, no protocol),
// the Classic codec (101-byte frames) and the Framed codec (64 KiB frames,
// SHA-256 verified). Each download lands in a temporary file renamed into
// place, like a Peer's. It reports MB/s and ratio-vs-raw.
func BenchmarkDownload(b *testing.B) {
	src := makeBenchFile(b, downloadSize)
	var rawMBps float64
	b.Run("raw", func(b *testing.B) {
		rawMBps = benchRaw(b, src, downloadSize).wall
	})
	for _, codec := range codecs {
		b.Run(codec.Name(), func(b *testing.B) {
			mbps := benchPeers(b, codec, src, downloadSize).wall
			if rawMBps > 0 {
				b.ReportMetric(mbps/rawMBps, "ratio-vs-raw")
			}
		})
	}
}

// timed runs get once to warm up, then b.N times under the timer, and
// reports MB/s, the cores the process got meanwhile (CPU time over wall
// time, internal/benchutil: below 2 on this 2-core machine means others
// took the rest), MB per CPU-second, and the allocations per MiB moved,
// both sides counted.
func timed(b *testing.B, size int64, get func()) rate {
	get()
	b.SetBytes(size)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	cpu := benchutil.CPUTime()
	b.ResetTimer()
	for range b.N {
		get()
	}
	b.StopTimer()
	elapsed := b.Elapsed()
	runtime.ReadMemStats(&ms)
	used := benchutil.CPUTime() - cpu
	b.ReportMetric(benchutil.Cores(used, elapsed), "cores")
	var r rate
	if used > 0 {
		// Throughput per CPU-second: what a phase costs, steadier than
		// MB/s when other processes take the cores.
		r.cpu = float64(size) * float64(b.N) / 1e6 / used.Seconds()
		b.ReportMetric(r.cpu, "MB/cpu-s")
	}
	b.ReportMetric(float64(ms.Mallocs-mallocs)/float64(b.N)/(float64(size)/(1<<20)), "allocs/MiB")
	r.wall = float64(size) * float64(b.N) / 1e6 / elapsed.Seconds()
	b.ReportMetric(r.wall, "MB/s")
	return r
}

// rate is a phase's throughput: MB per second of wall-clock time, and MB
// per second of CPU time (0 when unknown).
type rate struct{ wall, cpu float64 }

// benchRaw is the baseline: the bytes of the file, nothing else.
func benchRaw(b *testing.B, src string, size int64) rate {
	addr := testutil.ServeConns(b, func(c net.Conn) {
		if f, err := os.Open(src); err == nil {
			_, _ = io.Copy(c, f) // sendfile
			_ = f.Close()
		}
	}).String()
	get := func() {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		dir := b.TempDir()
		tmp, err := os.CreateTemp(dir, ".big.part-*")
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(tmp, c) // splice
		if err != nil || n != size {
			b.Fatalf("raw copy: %d bytes, %v", n, err)
		}
		if err := tmp.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(tmp.Name(), filepath.Join(dir, "big")); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		_ = os.RemoveAll(dir)
		b.StartTimer()
	}
	return timed(b, size, get) // the first get warms up page cache and sockets
}

// benchPeers downloads the file from a seeding Peer with a downloading Peer.
func benchPeers(b *testing.B, codec pdu.Codec, src string, size int64) rate {
	idx := startIndex(b, codec)
	seed, stopSeed := startPeer(b, "seed", idx, codec, nil)
	defer stopSeed()
	leech, stopLeech := startPeer(b, "leech", idx, codec, nil)
	defer stopLeech()
	if _, err := seed.Register("big", src); err != nil {
		b.Fatal(err)
	}
	get := func() {
		dir := b.TempDir()
		if _, err := leech.Download(context.Background(), "big", dir); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if _, err := leech.Deregister("big"); err != nil {
			b.Fatal(err)
		}
		_ = os.RemoveAll(dir)
		b.StartTimer()
	}
	return timed(b, size, get) // the first get also computes the seed's SHA-256 for Framed
}

// BenchmarkIndexSearch measures S lookups per second against 10,000
// registrations (1,000 contents held by 10 peers each), from 8 concurrent
// clients over loopback UDP, each waiting for its answer before asking again.
func BenchmarkIndexSearch(b *testing.B) {
	const contents, holders, clients = 1000, 10, 8
	reg := NewMemRegistry()
	seq := uint64(0)
	for c := range contents {
		for h := range holders {
			seq++
			addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, byte(1 + h)}), uint16(5000+c))
			if err := reg.Add(Registration{Peer: fmt.Sprintf("p%d", h), Content: fmt.Sprintf("c%d", c), Addr: addr, Seq: seq}); err != nil {
				b.Fatal(err)
			}
		}
	}
	cfg := DefaultConfig()
	cfg.Registry = reg
	cfg.ReplyBudget = -1 // 8 clients on one loopback address, as fast as they go
	srv, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	testutil.Serve(b, srv.Run)

	conns := make([]*net.UDPConn, clients)
	for i := range conns {
		c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(srv.Addr()))
		if err != nil {
			b.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	var codec pdu.Classic
	b.ResetTimer()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i, c := range conns {
		n := b.N / clients
		if i < b.N%clients {
			n++
		}
		wg.Go(func() {
			out := make([]byte, 0, pdu.ClassicFrame)
			in := make([]byte, pdu.ClassicFrame+1)
			var rep pdu.PDU
			for k := range n {
				req := pdu.PDU{Type: pdu.Search, Peer: "bench", Content: fmt.Sprintf("c%d", (k*clients+i)%contents)}
				out, _ = codec.Append(out[:0], &req)
				if _, err := c.Write(out); err != nil {
					errs <- err
					return
				}
				_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
				m, err := c.Read(in)
				if err != nil {
					errs <- err
					return
				}
				if err := codec.Decode(in[:m], pdu.Reply, &rep); err != nil || rep.Type != pdu.Search {
					errs <- fmt.Errorf("bad reply %q: %v", in[:m], err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lookups/s")
}

// makeBenchFile writes size random bytes to a file in a temporary folder:
// the file every download benchmark moves.
func makeBenchFile(b *testing.B, size int64) string {
	b.Helper()
	src := filepath.Join(b.TempDir(), "big")
	f, err := os.Create(src)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return src
}
