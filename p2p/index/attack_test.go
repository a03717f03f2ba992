package index

// Attacks on the index server and on downloaders (issue 17): each test
// reproduces one and checks that it is contained.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/netlab-go/netlab/pdu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hostileHolder is a content server that reads the D request and then does
// what act says. accepted receives once per connection.
func hostileHolder(t *testing.T, codec pdu.Codec, act func(c net.Conn)) (netip.AddrPort, <-chan struct{}) {
	t.Helper()
	accepted := make(chan struct{}, 16)
	addr := testutil.ServeConns(t, func(c net.Conn) {
		var req pdu.PDU
		if err := codec.ReadPDU(pdu.NewReader(c), pdu.Request, &req); err != nil {
			return
		}
		accepted <- struct{}{}
		act(c)
	})
	return addr, accepted
}

// registerAs registers content at addr with the index from a UDP socket of
// its own, as any program can.
func registerAs(t *testing.T, idx *Server, codec pdu.Codec, peer, content string, addr netip.AddrPort) pdu.PDU {
	t.Helper()
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(idx.Addr()))
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() }) // the registration's owner lives as long as the test
	return askRaw(t, conn, codec, &pdu.PDU{Type: pdu.Register, Peer: peer, Content: content, Addr: addr})
}

func askRaw(t *testing.T, conn *net.UDPConn, codec pdu.Codec, req *pdu.PDU) pdu.PDU {
	t.Helper()
	b, err := codec.Append(nil, req)
	require.NoError(t, err)
	_, err = conn.Write(b)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, codec.Limits().MaxDatagram+1)
	n, err := conn.Read(buf)
	require.NoError(t, err)
	var rep pdu.PDU
	require.NoError(t, codec.Decode(buf[:n], pdu.Reply, &rep))
	return rep
}

// downloadWithin runs a download and fails the test if it has not ended
// within limit (the old code waited forever).
func downloadWithin(t *testing.T, limit time.Duration, p *Peer, name, dir string) error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := make(chan error, 1)
	go func() { _, err := p.Download(ctx, name, dir); res <- err }()
	select {
	case err := <-res:
		return err
	case <-time.After(limit):
		cancel()
		<-res
		t.Fatalf("download of %q still running after %v", name, limit)
		return nil
	}
}

func peerWith(t *testing.T, idx *Server, codec pdu.Codec, mutate func(*PeerConfig)) *Peer {
	t.Helper()
	cfg := DefaultPeerConfig()
	cfg.Name, cfg.Index, cfg.Codec, cfg.Timeout = "bob", idx.Addr(), codec, 2*time.Second
	mutate(&cfg)
	p, err := NewPeer(cfg)
	require.NoError(t, err)
	testutil.Serve(t, p.Run)
	return p
}

// classicFrames writes C frames to c until n bytes or an error.
func classicFrames(c net.Conn, n int) error {
	frame := append([]byte{'C'}, bytes.Repeat([]byte("x"), 100)...)
	w := bufio.NewWriterSize(c, 64<<10)
	for sent := 0; n < 0 || sent < n; sent += 100 {
		if _, err := w.Write(frame); err != nil {
			return err
		}
	}
	return w.Flush()
}

// TestStalledHolder: a holder that sends 2 MB and then nothing makes the
// download fail after IdleTimeout, leaving no file.
func TestStalledHolder(t *testing.T) {
	idx := startIndex(t, pdu.Classic{})
	stall := make(chan struct{})
	defer close(stall)
	at, _ := hostileHolder(t, pdu.Classic{}, func(c net.Conn) {
		if classicFrames(c, 2<<20) == nil {
			<-stall
		}
	})
	require.Equal(t, pdu.Ack, registerAs(t, idx, pdu.Classic{}, "mallory", "big", at).Type)
	bob := peerWith(t, idx, pdu.Classic{}, func(c *PeerConfig) { c.IdleTimeout = time.Second })
	dir := t.TempDir()
	start := time.Now()
	err := downloadWithin(t, 30*time.Second, bob, "big", dir)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.ErrorContains(t, err, "nothing received for 1s after ")
	t.Logf("gave up %v after the download started", time.Since(start))
	assert.Empty(t, entries(t, dir))
}

// TestFramedAnnouncementBounded: an announcement of 2^50 bytes is refused
// before anything is written.
func TestFramedAnnouncementBounded(t *testing.T) {
	idx := startIndex(t, pdu.Framed{})
	at, _ := hostileHolder(t, pdu.Framed{}, func(c net.Conn) {
		b, _ := pdu.Framed{}.Append(nil, &pdu.PDU{Type: pdu.Content, Announce: true, Size: 1 << 50})
		if _, err := c.Write(b); err != nil {
			return
		}
		_, _ = io.Copy(c, zeroReader{}) // and then an endless stream
	})
	err := downloadBounded(t, idx, pdu.Framed{}, at, 1<<20)
	assert.ErrorContains(t, err, "1125899906842624 bytes announced, the limit is 1048576")
}

// downloadBounded registers the holder at as mallory's "big" with idx and
// has bob, whose MaxDownload is maxDownload, download it: the download must
// fail with [pdu.ErrTooLarge], which it returns, and leave no file.
func downloadBounded(t *testing.T, idx *Server, codec pdu.Codec, at netip.AddrPort, maxDownload int64) error {
	t.Helper()
	require.Equal(t, pdu.Ack, registerAs(t, idx, codec, "mallory", "big", at).Type)
	bob := peerWith(t, idx, codec, func(c *PeerConfig) { c.MaxDownload = maxDownload })
	dir := t.TempDir()
	err := downloadWithin(t, 20*time.Second, bob, "big", dir)
	require.ErrorIs(t, err, pdu.ErrTooLarge)
	assert.Empty(t, entries(t, dir))
	return err
}

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) { clear(b); return len(b), nil }

// TestClassicStreamBounded: an endless stream of C frames stops at
// MaxDownload.
func TestClassicStreamBounded(t *testing.T) {
	idx := startIndex(t, pdu.Classic{})
	at, _ := hostileHolder(t, pdu.Classic{}, func(c net.Conn) { _ = classicFrames(c, -1) })
	err := downloadBounded(t, idx, pdu.Classic{}, at, 64<<10)
	assert.ErrorContains(t, err, "more than 65536 bytes")
}

// TestDownloadNeedsFreeSpace: a download the folder cannot hold fails
// before it fills the disk, with either codec.
func TestDownloadNeedsFreeSpace(t *testing.T) {
	for _, codec := range codecs {
		t.Run(codec.Name(), func(t *testing.T) {
			idx, _, _ := startHolder(t, codec, "alice", "big", 600<<10)
			bob := peerWith(t, idx, codec, func(*PeerConfig) {})
			bob.freeSpace = func(string) (uint64, bool) { return 100 << 10, true }
			dir := t.TempDir()
			err := downloadWithin(t, 20*time.Second, bob, "big", dir)
			require.ErrorIs(t, err, ErrNoSpace)
			assert.Empty(t, entries(t, dir))
			// With room, the same download succeeds.
			bob.freeSpace = func(string) (uint64, bool) { return 1 << 30, true }
			require.NoError(t, downloadWithin(t, 20*time.Second, bob, "big", dir))
		})
	}
}

// TestCleanStaleParts: what a killed downloader left is removed; what a
// running one writes, and other files, are kept.
func TestCleanStaleParts(t *testing.T) {
	idx := startIndex(t, pdu.Classic{})
	p := peerWith(t, idx, pdu.Classic{}, func(c *PeerConfig) { c.IdleTimeout = time.Second })
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for _, name := range []string{".song.part-123", ".a.b.part-9", ".song.part-456", "song", ".x.part-abc", ".y.part-1.tmp"} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte("x"), 0o644))
		if name != ".song.part-456" {
			require.NoError(t, os.Chtimes(path, old, old))
		}
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, ".d.part-1"), 0o755))
	removed, err := p.CleanStaleParts(dir)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{".song.part-123", ".a.b.part-9"}, removed)
	assert.ElementsMatch(t, []string{".song.part-456", "song", ".x.part-abc", ".y.part-1.tmp", ".d.part-1"}, entries(t, dir))

	// The shell cleans its folder when it starts.
	stale := filepath.Join(dir, ".film.part-77")
	require.NoError(t, os.WriteFile(stale, nil, 0o644))
	require.NoError(t, os.Chtimes(stale, old, old))
	var out bytes.Buffer
	require.NoError(t, Shell(context.Background(), p, dir, bytes.NewReader(nil), &out, nil))
	assert.Contains(t, out.String(), "removed 1 stale partial downloads: .film.part-77")
	assert.NoFileExists(t, stale)
}

// TestShellInterruptCancelsOnlyTheDownload: Ctrl-C during a stalled
// download ends the download, and the shell goes on.
func TestShellInterruptCancelsOnlyTheDownload(t *testing.T) {
	idx := startIndex(t, pdu.Classic{})
	stall := make(chan struct{})
	defer close(stall)
	at, accepted := hostileHolder(t, pdu.Classic{}, func(c net.Conn) {
		if classicFrames(c, 1000) == nil {
			<-stall
		}
	})
	require.Equal(t, pdu.Ack, registerAs(t, idx, pdu.Classic{}, "mallory", "big", at).Type)
	bob := peerWith(t, idx, pdu.Classic{}, func(*PeerConfig) {}) // IdleTimeout 30s: only the interrupt ends it soon
	in, feed := io.Pipe()
	var out testutil.SyncBuffer
	interrupt := make(chan os.Signal, 1)
	done := make(chan error, 1)
	go func() { done <- Shell(context.Background(), bob, t.TempDir(), in, &out, interrupt) }()

	_, err := io.WriteString(feed, "download big\n")
	require.NoError(t, err)
	<-accepted
	interrupt <- os.Interrupt
	require.Eventually(t, func() bool {
		return bytes.Contains([]byte(out.String()), []byte("download of big cancelled; nothing was saved"))
	},
		10*time.Second, 10*time.Millisecond)
	_, err = io.WriteString(feed, "serving\nquit\n")
	require.NoError(t, err)
	require.NoError(t, <-done)
	assert.Contains(t, out.String(), "serving: \n", "the shell went on after the interrupt")
	require.NoError(t, feed.Close())
}

// TestShellInterruptAtPromptQuits: Ctrl-C with no download running ends the
// shell.
func TestShellInterruptAtPromptQuits(t *testing.T) {
	idx := startIndex(t, pdu.Framed{})
	bob := peerWith(t, idx, pdu.Framed{}, func(*PeerConfig) {})
	in, feed := io.Pipe()
	defer feed.Close()
	interrupt := make(chan os.Signal, 1)
	interrupt <- os.Interrupt
	var out testutil.SyncBuffer
	require.NoError(t, Shell(context.Background(), bob, t.TempDir(), in, &out, interrupt))
	assert.NotContains(t, out.String(), "warning:", "Framed content is verified: no warning")
}

// TestIndexStrangers: a stranger's T and R leave the registry unchanged.
func TestIndexStrangers(t *testing.T) {
	idx, alice, _ := startHolder(t, pdu.Classic{}, "alice", "doc", 10)
	before := idx.cfg.Registry.Holders("doc", nil)

	stranger, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(idx.Addr()))
	require.NoError(t, err)
	defer stranger.Close()
	rep := askRaw(t, stranger, pdu.Classic{}, &pdu.PDU{Type: pdu.Deregister, Peer: "alice", Content: "doc"})
	assert.Equal(t, pdu.PDU{Type: pdu.Error, Text: MsgNotOwner}, rep)
	rep = askRaw(t, stranger, pdu.Classic{}, &pdu.PDU{Type: pdu.Register, Peer: "mallory", Content: "doc", Addr: netip.MustParseAddrPort("10.1.2.3:22")})
	assert.Equal(t, pdu.PDU{Type: pdu.Error, Text: MsgAddrMismatch}, rep)
	assert.Equal(t, before, idx.cfg.Registry.Holders("doc", nil), "the registry is unchanged")

	// alice herself can still withdraw it.
	require.NoError(t, second(alice.Deregister("doc")))
	assert.Empty(t, idx.cfg.Registry.Holders("doc", nil))
}

// TestIndexListIsNotAnAmplifier: one O gets one datagram whatever the
// registry holds, and a flood of O from one source gets no more reply
// bytes than its budget.
func TestIndexListIsNotAnAmplifier(t *testing.T) {
	reg := NewMemRegistry()
	for i := range 5000 {
		require.NoError(t, reg.Add(Registration{Peer: "p", Content: fmt.Sprintf("c%04d", i), Addr: netip.MustParseAddrPort("127.0.0.1:5000")}))
	}
	cfg := DefaultConfig()
	cfg.Registry, cfg.Workers = reg, 1 // one worker: replies in request order
	idx, err := New(cfg)
	require.NoError(t, err)
	testutil.Serve(t, idx.Run)

	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(idx.Addr()))
	require.NoError(t, err)
	defer conn.Close()
	// A 1-byte O, then an S whose E marks the end of the O's replies.
	_, err = conn.Write([]byte("O"))
	require.NoError(t, err)
	_, err = conn.Write([]byte("Snothing\x00\x00\x00"))
	require.NoError(t, err)
	var replies []string
	buf := make([]byte, 200)
	for {
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
		n, err := conn.Read(buf)
		require.NoError(t, err)
		if buf[0] == 'E' {
			break
		}
		replies = append(replies, string(buf[:n]))
	}
	require.Len(t, replies, 1, "one datagram for one O (the old index sent 501)")
	assert.Len(t, replies[0], 101)

	// A flood: 3,000 O requests, in bursts of 100 that the server (and
	// the socket buffers) can take without losing any.
	start := time.Now()
	const flood = 3000
	for sent := 0; sent < flood; {
		for range 100 {
			_, err := conn.Write([]byte("O"))
			require.NoError(t, err)
			sent++
		}
		require.Eventually(t, func() bool { return idx.Stats().Requests == uint64(2+sent) }, 10*time.Second, time.Millisecond)
	}
	elapsed := time.Since(start)
	got := 0
	for {
		require.NoError(t, conn.SetReadDeadline(time.Now().Add(200*time.Millisecond)))
		n, err := conn.Read(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			break
		}
		require.NoError(t, err)
		got += n
	}
	allowed := float64(DefaultReplyBudget) * (1 + elapsed.Seconds() + 0.2) // the bucket, refilled while the flood ran and drained
	t.Logf("flood of %d O requests (1 byte each) over %v: %d reply bytes, budget allows %.0f; %d dropped", flood, elapsed, got, allowed, idx.Stats().Limited)
	assert.LessOrEqual(t, float64(got), allowed+101, "bytes received")
	answered := flood - int(idx.Stats().Limited)
	assert.LessOrEqual(t, float64(answered*101), allowed+101, "bytes sent")
	assert.Positive(t, idx.Stats().Limited)
}
