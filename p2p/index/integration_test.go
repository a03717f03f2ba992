package index

import (
	"bufio"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/netlab-go/netlab/pdu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIndexAndThreePeers walks the whole lab on loopback with both codecs:
// register, search, download, the automatic re-registration, least-used
// selection, list, de-register and quit.
func TestIndexAndThreePeers(t *testing.T) {
	for _, codec := range codecs {
		t.Run(codec.Name(), func(t *testing.T) { threePeers(t, codec) })
	}
}

func threePeers(t *testing.T, codec pdu.Codec) {
	idx := startIndex(t, codec)
	var mu sync.Mutex
	var carolSaw []Event
	alice, _ := startPeer(t, "alice", idx, codec, nil)
	bob, stopBob := startPeer(t, "bob", idx, codec, nil)
	carol, _ := startPeer(t, "carol", idx, codec, func(e Event) {
		mu.Lock()
		carolSaw = append(carolSaw, e)
		mu.Unlock()
	})

	aliceDir, bobDir, carolDir := t.TempDir(), t.TempDir(), t.TempDir()
	songPath, song := writeRandom(t, aliceDir, "song", 250) // C C F(50) in Classic
	filmPath, film := writeRandom(t, aliceDir, "film", 200) // C C and a lone F

	// Register: A; the same (peer, content) pair again: E.
	require.NoError(t, second(alice.Register("song", songPath)))
	require.NoError(t, second(alice.Register("film", filmPath)))
	impostor, _ := startPeer(t, "alice", idx, codec, nil)
	require.ErrorIs(t, second(impostor.Register("song", songPath)), ErrDuplicate)

	// List: the distinct names.
	names, err := carol.List()
	require.NoError(t, err)
	assert.Equal(t, Listing{Names: []string{"film", "song"}}, names)

	// Download: bob gets alice's song and registers it himself.
	path, err := bob.Download(context.Background(), "song", bobDir)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(bobDir, "song"), path)
	got, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, song, got)
	assert.Equal(t, []string{"song"}, bob.Serving(), "the downloader serves what it downloaded")
	assert.Equal(t, []string{"song"}, entries(t, bobDir), "no temporary file is left")

	// Least used: alice was used once (bob's search), bob never: carol gets bob.
	_, err = carol.Download(context.Background(), "song", carolDir)
	require.NoError(t, err)
	got, err = os.ReadFile(filepath.Join(carolDir, "song"))
	require.NoError(t, err)
	assert.Equal(t, song, got)
	mu.Lock()
	var dTo string
	for _, e := range carolSaw {
		if e.Sent && e.PDU.Type == pdu.Download {
			dTo = e.Remote
		}
	}
	mu.Unlock()
	assert.Equal(t, bob.Addr().String(), dTo, "the least-used server is chosen")

	// A second download of the same name into the same folder would replace it.
	_, err = carol.Download(context.Background(), "song", carolDir)
	require.ErrorIs(t, err, ErrExists)
	// Names are not paths.
	_, err = carol.Download(context.Background(), "../song", carolDir)
	require.ErrorIs(t, err, ErrBadName)

	// A 200-byte film is two full C frames and an empty F in Classic: it
	// arrives whole. dave withdraws his copy, so alice is film's only holder.
	dave, _ := startPeer(t, "dave", idx, codec, nil)
	path, err = dave.Download(context.Background(), "film", t.TempDir())
	require.NoError(t, err)
	got, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, film, got)
	require.NoError(t, second(dave.Deregister("film")))

	// De-register: film disappears from the list, and cannot be found.
	require.NoError(t, second(alice.Deregister("film")))
	names, err = carol.List()
	require.NoError(t, err)
	assert.Equal(t, []string{"song"}, names.Names)
	_, err = carol.Download(context.Background(), "film", carolDir)
	require.ErrorIs(t, err, ErrNotFound)

	// Quit: bob's Close withdraws his registrations; song is still served by
	// alice and carol.
	stopBob()
	names, err = alice.List()
	require.NoError(t, err)
	assert.Equal(t, []string{"song"}, names.Names)
	regs := idx.cfg.Registry.Holders("song", nil)
	var holders []string
	for _, r := range regs {
		holders = append(holders, r.Peer)
	}
	assert.ElementsMatch(t, []string{"alice", "carol"}, holders)
}

// TestContentServerRefuses: a D for a path, or for content the peer did not
// register, gets E, and nothing is served.
func TestContentServerRefuses(t *testing.T) {
	for _, codec := range codecs {
		t.Run(codec.Name(), func(t *testing.T) {
			idx := startIndex(t, codec)
			alice, _ := startPeer(t, "alice", idx, codec, nil)
			songPath, _ := writeRandom(t, t.TempDir(), "song", 10)
			require.NoError(t, second(alice.Register("song", songPath)))
			require.ErrorIs(t, second(alice.Register("../etc", songPath)), ErrBadName)

			for _, name := range []string{"../song", "secret", "song/.."} {
				conn, err := net.Dial("tcp", alice.Addr().String())
				require.NoError(t, err)
				b, err := codec.Append(nil, &pdu.PDU{Type: pdu.Download, Peer: "mallory", Content: name})
				require.NoError(t, err)
				_, err = conn.Write(b)
				require.NoError(t, err)
				_, err = pdu.ReceiveContent(pdu.NewReader(conn), codec, new(nopWriter), pdu.ReceiveOptions{})
				var remote *pdu.RemoteError
				require.ErrorAs(t, err, &remote, name)
				assert.Equal(t, "content not registered here", remote.Text)
				require.NoError(t, conn.Close())
			}
		})
	}
}

type nopWriter struct{}

func (*nopWriter) Write(b []byte) (int, error) { return len(b), nil }

// TestClassicTalksToCPeers plays a C peer of the lab: whole 101-byte structs,
// an unspecified address in R, and the short S form.
func TestClassicTalksToCPeers(t *testing.T) {
	idx := startIndex(t, pdu.Classic{})
	conn, err := net.Dial("udp", idx.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	ask := func(req []byte) []byte {
		t.Helper()
		msg := make([]byte, 101) // struct pdu { char type; char data[100]; }
		copy(msg, req)
		_, err := conn.Write(msg)
		require.NoError(t, err)
		buf := make([]byte, 200)
		n, err := bufio.NewReader(conn).Read(buf)
		require.NoError(t, err)
		return buf[:n]
	}
	reply := ask([]byte("Rcpeer\x00\x00\x00\x00\x00notes\x00\x00\x00\x00\x00\x00\x00\x00\x00\x1f\x90"))
	assert.Equal(t, "Acpeer\x00\x00\x00\x00\x00", string(reply))
	reply = ask([]byte("Snotes"))
	assert.Equal(t, []byte{'S', 127, 0, 0, 1, 0x1f, 0x90}, reply, "0.0.0.0 became the sender's address")
	reply = ask([]byte("Snothing"))
	assert.Equal(t, "E"+MsgNotFound, string(reply))
}

// TestClassicServesCPeerDownloads plays a C peer downloading over TCP: it
// sends the whole 101-byte struct with the short D form, and reads 101-byte
// C frames and a final F until the server closes.
func TestClassicServesCPeerDownloads(t *testing.T) {
	_, alice, content := startHolder(t, pdu.Classic{}, "alice", "notes", 1234)

	conn, err := net.Dial("tcp", alice.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	msg := make([]byte, 101)
	copy(msg, "Dnotes")
	_, err = conn.Write(msg)
	require.NoError(t, err)
	all, err := io.ReadAll(conn)
	require.NoError(t, err)
	require.Len(t, all, 12*101+1+34, "12 C frames, then F with 34 bytes")
	var got []byte
	for i := range 12 {
		frame := all[i*101 : (i+1)*101]
		require.Equal(t, byte('C'), frame[0])
		got = append(got, frame[1:]...)
	}
	require.Equal(t, byte('F'), all[12*101])
	got = append(got, all[12*101+1:]...)
	assert.Equal(t, content, got)
}

// TestFramedOverIPv6 runs the index and two peers on ::1: Framed carries
// IPv6 addresses, Classic cannot.
func TestFramedOverIPv6(t *testing.T) {
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		_ = ln.Close()
	}
	cfg := DefaultConfig()
	cfg.Addr, cfg.Codec = "[::1]:0", pdu.Framed{}
	srv, err := New(cfg)
	require.NoError(t, err)
	testutil.Serve(t, srv.Run)

	var peers []*Peer
	for _, name := range []string{"alice-with-a-long-name", "bob"} {
		pc := DefaultPeerConfig()
		pc.Name, pc.Index, pc.Listen, pc.Codec = name, srv.Addr(), "[::1]:0", pdu.Framed{}
		p, err := NewPeer(pc)
		require.NoError(t, err)
		testutil.Serve(t, p.Run)
		peers = append(peers, p)
	}
	path, content := writeRandom(t, t.TempDir(), "a-long-content-name.bin", 200_000)
	require.NoError(t, second(peers[0].Register("a-long-content-name.bin", path)))
	got, err := peers[1].Download(context.Background(), "a-long-content-name.bin", t.TempDir())
	require.NoError(t, err)
	b, err := os.ReadFile(got)
	require.NoError(t, err)
	assert.Equal(t, content, b)
	assert.True(t, srv.Addr().Addr().Is6())
}
