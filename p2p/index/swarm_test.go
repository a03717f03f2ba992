package index

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/netlab-go/netlab/pdu"
	"github.com/stretchr/testify/require"
)

const testChunk = pdu.MinChunkSize // small chunks: many of them in a small file

// fakeHolder serves content by Framed parts the way a Peer does, and
// misbehaves as told: it is the holder a test needs that no honest Peer
// would be. It registers itself at the index with a raw R.
type fakeHolder struct {
	t       testing.TB
	ln      net.Listener
	content []byte
	man     *pdu.Manifest
	// chunk decides, for the k-th chunk request (from 0) on this holder, what to send:
	// "ok", "corrupt" (a flipped byte, the right announcement), "cut"
	// (half the chunk, then close) or "stall" (half the chunk, then
	// nothing until the test ends).
	chunk func(k int) string
	// released, once set, exempts connections accepted from then on from
	// "stall": a connection accepted before keeps stalling, even for a
	// request the holder reads only after the test set it.
	released atomic.Bool
	served   atomic.Int64 // chunks sent whole and intact
	asked    atomic.Int64 // chunk requests
	quit     chan struct{}
	wg       sync.WaitGroup
}

func startFakeHolder(t testing.TB, idx *Server, peer, name string, content []byte, chunk func(k int) string) *fakeHolder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	m, err := pdu.BuildManifest(bytes.NewReader(content), int64(len(content)), testChunk)
	require.NoError(t, err)
	h := &fakeHolder{t: t, ln: ln, content: content, man: m, chunk: chunk, quit: make(chan struct{})}
	h.wg.Go(h.accept)
	t.Cleanup(func() { close(h.quit); _ = ln.Close(); h.wg.Wait() })
	registerRaw(t, idx, pdu.Framed{}, peer, name, ln.Addr())
	return h
}

func (h *fakeHolder) addr() netip.AddrPort { return h.ln.Addr().(*net.TCPAddr).AddrPort() }

func (h *fakeHolder) accept() {
	for {
		c, err := h.ln.Accept()
		if err != nil {
			return
		}
		h.wg.Go(func() { h.serve(c) })
	}
}

func (h *fakeHolder) serve(c net.Conn) {
	defer c.Close()
	released := h.released.Load()
	go func() { <-h.quit; _ = c.Close() }()
	br := bufio.NewReader(c)
	for {
		var req pdu.PDU
		if err := (pdu.Framed{}).ReadPDU(br, pdu.Request, &req); err != nil {
			return
		}
		var out bytes.Buffer
		switch req.Part {
		case pdu.PartManifest:
			b, _ := h.man.MarshalBinary()
			_ = pdu.SendContent(&out, pdu.Framed{}, bytes.NewReader(b), int64(len(b)), sha256Sum(b))
			if _, err := c.Write(out.Bytes()); err != nil {
				return
			}
			continue
		case pdu.PartChunk:
		default:
			return
		}
		k := int(h.asked.Add(1) - 1)
		off, n := h.man.Chunk(req.Chunk)
		data := bytes.Clone(h.content[off : off+int64(n)])
		what := h.chunk(k)
		if what == "stall" && released {
			what = "ok"
		}
		if what == "corrupt" {
			data[n/2] ^= 0x40
		}
		_ = pdu.SendContent(&out, pdu.Framed{}, bytes.NewReader(data), int64(n), h.man.Sums[req.Chunk])
		switch what {
		case "cut":
			_, _ = c.Write(out.Bytes()[:out.Len()/2])
			return
		case "stall":
			_, _ = c.Write(out.Bytes()[:out.Len()/2])
			<-h.quit
			return
		}
		if what == "ok" {
			h.served.Add(1) // before the write: the downloader may report it before Write returns
		}
		if _, err := c.Write(out.Bytes()); err != nil {
			return
		}
	}
}

// startSwarmPeer runs a Framed peer with testChunk chunks.
func startSwarmPeer(t testing.TB, name string, idx *Server, idle time.Duration, progress func(SwarmProgress)) *Peer {
	t.Helper()
	cfg := DefaultPeerConfig()
	cfg.Name, cfg.Index, cfg.Codec = name, idx.Addr(), pdu.Framed{}
	cfg.ChunkSize, cfg.SwarmProgress = testChunk, progress
	cfg.Timeout = 2 * time.Second
	if idle > 0 {
		cfg.IdleTimeout = idle
	}
	p, err := NewPeer(cfg)
	require.NoError(t, err)
	testutil.Serve(t, p.Run)
	return p
}

func always(what string) func(int) string { return func(int) string { return what } }

func TestSwarmThreeHoldersOneCorruptOneCut(t *testing.T) {
	idx := startIndex(t, pdu.Framed{})
	path, content := writeRandom(t, t.TempDir(), "film", 256*testChunk+123)
	alice := startSwarmPeer(t, "alice", idx, 0, nil)
	_, err := alice.Register("film", path)
	require.NoError(t, err)
	mallory := startFakeHolder(t, idx, "mallory", "film", content, always("corrupt"))
	dave := startFakeHolder(t, idx, "dave", "film", content, func(k int) string {
		if k == 1 {
			return "cut" // the second chunk it is asked for: midway
		}
		return "ok"
	})
	bob := startSwarmPeer(t, "bob", idx, 0, nil)
	dir := t.TempDir()
	rep, err := bob.DownloadSwarm(context.Background(), "film", dir)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(dir, "film"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(content, got), "the file differs")
	require.ElementsMatch(t, []string{"film"}, entries(t, dir), "no part or state file is left")
	require.Equal(t, 257, rep.Chunks)

	byAddr := map[netip.AddrPort]HolderReport{}
	var total int64
	for _, h := range rep.Holders {
		byAddr[h.Addr] = h
		total += h.Bytes
	}
	require.Len(t, rep.Holders, 3)
	require.Equal(t, int64(len(content)), total, "every verified byte counted once")
	require.NoError(t, byAddr[alice.Addr()].Dropped)
	require.ErrorContains(t, byAddr[mallory.addr()].Dropped, "corrupt")
	require.Zero(t, byAddr[mallory.addr()].Chunks)
	require.ErrorContains(t, byAddr[dave.addr()].Dropped, "disconnected")
	require.Equal(t, 1, byAddr[dave.addr()].Chunks)
	require.Len(t, rep.Dropped(), 2)

	// bob now serves it too: the index names three holders and bob.
	carol := startSwarmPeer(t, "carol", idx, 0, nil)
	addrs, err := carol.searchAll("film")
	require.NoError(t, err)
	require.Contains(t, addrs, bob.Addr())
}

func TestSwarmStallingHolderIsDropped(t *testing.T) {
	idx := startIndex(t, pdu.Framed{})
	_, content := writeRandom(t, t.TempDir(), "film", 64*testChunk)
	// The honest holder is slow (a pause well within the idle timeout
	// before each chunk), so that the download lasts beyond the moment
	// the staller is given up on.
	startFakeHolder(t, idx, "alice", "film", content, func(int) string {
		time.Sleep(20 * time.Millisecond)
		return "ok"
	})
	sam := startFakeHolder(t, idx, "sam", "film", content, always("stall"))
	bob := startSwarmPeer(t, "bob", idx, 300*time.Millisecond, nil)
	rep, err := bob.DownloadSwarm(context.Background(), "film", t.TempDir())
	require.NoError(t, err)
	require.Len(t, rep.Dropped(), 1)
	require.Equal(t, sam.addr(), rep.Dropped()[0].Addr)
	require.ErrorContains(t, rep.Dropped()[0].Dropped, "stalled")
}

func TestSwarmNoHonestHolderKeepsVerifiedChunks(t *testing.T) {
	idx := startIndex(t, pdu.Framed{})
	_, content := writeRandom(t, t.TempDir(), "film", 16*testChunk)
	startFakeHolder(t, idx, "dave", "film", content, func(k int) string {
		if k < 5 {
			return "ok"
		}
		return "cut"
	})
	bob := startSwarmPeer(t, "bob", idx, 0, nil)
	dir := t.TempDir()
	rep, err := bob.DownloadSwarm(context.Background(), "film", dir)
	require.ErrorIs(t, err, ErrNoHolders)
	require.ElementsMatch(t, []string{partName("film"), stateName("film")}, entries(t, dir), "no file under the final name")
	require.Equal(t, 5, rep.Holders[0].Chunks)
}

// TestSwarmResumeAfterKill kills a downloading process (this test binary,
// run again as a child) while its only holder holds back a chunk, and then
// resumes the download: the chunks the child reported verified are not
// fetched again, and no chunk is sent whole twice.
func TestSwarmResumeAfterKill(t *testing.T) {
	if env := os.Getenv("NETLAB_SWARM_CHILD"); env != "" {
		swarmChild(env)
		return
	}
	const chunks, before = 48, 20
	idx := startIndex(t, pdu.Framed{})
	_, content := writeRandom(t, t.TempDir(), "film", chunks*testChunk-7)
	// The holder stalls from chunk `before` on, on the child's connection
	// only (released below): a request the child sent just before it was
	// killed may reach the holder after that and must not count as served.
	h := startFakeHolder(t, idx, "dave", "film", content, func(k int) string {
		if k >= before {
			return "stall"
		}
		return "ok"
	})
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestSwarmResumeAfterKill$")
	cmd.Env = append(os.Environ(), "NETLAB_SWARM_CHILD="+idx.Addr().String()+"|"+dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	seen := 0
	for seen < before && sc.Scan() {
		if strings.HasPrefix(sc.Text(), "verified ") {
			seen++
		}
	}
	require.Equal(t, before, seen, "the child reported %d verified chunks", seen)
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.Equal(t, int64(before), h.served.Load())

	h.released.Store(true)
	bob := startSwarmPeer(t, "bob", idx, 0, nil)
	rep, err := bob.DownloadSwarm(context.Background(), "film", dir)
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(dir, "film"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(content, got), "the resumed file differs")
	require.Equal(t, before, rep.Resumed, "every chunk the child verified is kept")
	require.Equal(t, chunks-before, rep.Holders[0].Chunks, "only the rest is fetched")
	require.Equal(t, int64(chunks), h.served.Load(), "no chunk sent whole twice")
}

// swarmChild is the downloading process of TestSwarmResumeAfterKill: it
// prints a line per verified chunk and is killed before it ends.
func swarmChild(env string) {
	indexAddr, dir, _ := strings.Cut(env, "|")
	cfg := DefaultPeerConfig()
	cfg.Name, cfg.Index, cfg.Codec = "child", netip.MustParseAddrPort(indexAddr), pdu.Framed{}
	cfg.IdleTimeout = time.Minute
	cfg.SwarmProgress = func(p SwarmProgress) {
		if p.Holder.Dropped == nil {
			fmt.Printf("verified %d\n", p.Holder.Chunks)
		}
	}
	p, err := NewPeer(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	_, err = p.DownloadSwarm(context.Background(), "film", dir)
	fmt.Fprintln(os.Stderr, "child: the download ended:", err)
	os.Exit(1)
}

func TestSwarmPathSafety(t *testing.T) {
	idx := startIndex(t, pdu.Framed{})
	bob := startSwarmPeer(t, "bob", idx, 0, nil)
	for _, name := range []string{"../film", "a/b", "..", ".", "", "x\x00y", `..\film`} {
		_, err := bob.DownloadSwarm(context.Background(), name, t.TempDir())
		require.ErrorIs(t, err, ErrBadName, "name %q", name)
	}

	// A planted symbolic link where the part file goes is refused, not
	// followed.
	path, content := writeRandom(t, t.TempDir(), "film", 8*testChunk)
	alice := startSwarmPeer(t, "alice", idx, 0, nil)
	_, err := alice.Register("film", path)
	require.NoError(t, err)
	dir, outside := t.TempDir(), filepath.Join(t.TempDir(), "victim")
	require.NoError(t, os.WriteFile(outside, []byte("keep"), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(dir, partName("film"))))
	_, err = bob.DownloadSwarm(context.Background(), "film", dir)
	require.ErrorContains(t, err, "not a regular file")
	b, err := os.ReadFile(outside)
	require.NoError(t, err)
	require.Equal(t, "keep", string(b))

	// A chunk index beyond the manifest is refused by the holder; a D for
	// a path is not found.
	for _, req := range []pdu.PDU{
		{Type: pdu.Download, Content: "film", Part: pdu.PartChunk, Chunk: 8},
		{Type: pdu.Download, Content: "../" + filepath.Base(path), Part: pdu.PartManifest},
	} {
		c, err := net.Dial("tcp", alice.Addr().String())
		require.NoError(t, err)
		b, err := pdu.Framed{}.Append(nil, &req)
		require.NoError(t, err)
		_, err = c.Write(b)
		require.NoError(t, err)
		_, err = pdu.ReceiveContent(pdu.NewReader(c), pdu.Framed{}, &bytes.Buffer{}, pdu.ReceiveOptions{})
		var remote *pdu.RemoteError
		require.True(t, errors.As(err, &remote), "%+v: got %v", req, err)
		_ = c.Close()
	}
	_ = content
}

func sha256Sum(b []byte) [32]byte { return sha256.Sum256(b) }

func TestSwarmDemoHolderLeavesMidway(t *testing.T) {
	var lines atomic.Int64
	res, err := SwarmDemo(context.Background(), SwarmDemoConfig{
		Dir: t.TempDir(), Holders: 3, Size: 512*testChunk + 5, ChunkSize: testChunk, Leave: 1,
		Progress: func(SwarmProgress) { lines.Add(1) },
	})
	require.NoError(t, err)
	require.Equal(t, 513, res.Verified)
	require.Len(t, res.Report.Holders, 3)
	require.Len(t, res.Report.Dropped(), 1, "the holder that left is reported")
	require.Equal(t, int64(513+1), lines.Load(), "a line per chunk and one per drop")

	_, err = SwarmDemo(context.Background(), SwarmDemoConfig{Dir: t.TempDir(), Holders: 2, Leave: 2})
	require.ErrorContains(t, err, "Leave")
}

func TestSwarmRefusesContentOverMaxDownload(t *testing.T) {
	idx := startIndex(t, pdu.Framed{})
	_, content := writeRandom(t, t.TempDir(), "film", 8*testChunk)
	startFakeHolder(t, idx, "dave", "film", content, always("ok"))
	cfg := DefaultPeerConfig()
	cfg.Name, cfg.Index, cfg.Codec, cfg.MaxDownload = "bob", idx.Addr(), pdu.Framed{}, 4*testChunk
	bob, err := NewPeer(cfg)
	require.NoError(t, err)
	defer bob.Close()
	dir := t.TempDir()
	_, err = bob.DownloadSwarm(context.Background(), "film", dir)
	require.ErrorIs(t, err, pdu.ErrTooLarge)
	require.Empty(t, entries(t, dir), "nothing written")

	classic := DefaultPeerConfig()
	classic.Name, classic.Index = "carol", idx.Addr()
	carol, err := NewPeer(classic)
	require.NoError(t, err)
	defer carol.Close()
	_, err = carol.DownloadSwarm(context.Background(), "film", dir)
	require.ErrorContains(t, err, "needs the Framed codec")
}
