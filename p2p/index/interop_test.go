package index

// Interoperation with other implementations of the lab. labIndex, labPeer
// and labClient below are written from the lab handout's description, not
// from netlab's code (they do not use package pdu): every PDU is the C
// struct { char type; char data[100]; } sent whole; names are 10-byte
// NUL-padded fields with the content name first in S and D; an address is
// 4 bytes of IPv4 and 2 of port, big-endian; R and T are answered with an A
// or an E carrying a NUL-terminated sentence; O is answered with
// "peer|content|ip:port;" records or "No content registered"; content comes
// over TCP in 'C' frames of 100 data bytes and a final 'F' with the rest,
// after which the server closes.

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/netlab-go/netlab/pdu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// labPDU is the handout's struct, sent whole: 101 bytes.
func labPDU(typ byte, data []byte) []byte {
	b := make([]byte, 101)
	b[0] = typ
	copy(b[1:], data)
	return b
}

// cstr reads a NUL-terminated string from a fixed field.
func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return string(b[:i])
	}
	return string(b)
}

// field returns s in a 10-byte NUL-padded field.
func field(s string) []byte {
	f := make([]byte, 10)
	copy(f, s)
	return f
}

type labEntry struct {
	peer, content string
	addr          [6]byte // IPv4 and port, as received
}

// labIndex is an index server as a classmate would write it from the
// handout.
type labIndex struct {
	conn    *net.UDPConn
	mu      sync.Mutex
	entries []labEntry
	done    chan struct{}
}

func startLabIndex(t *testing.T) *labIndex {
	t.Helper()
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	li := &labIndex{conn: conn, done: make(chan struct{})}
	go li.serve()
	t.Cleanup(func() { conn.Close(); <-li.done })
	return li
}

func (li *labIndex) addr() netip.AddrPort { return li.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

func (li *labIndex) serve() {
	defer close(li.done)
	buf := make([]byte, 101)
	for {
		n, from, err := li.conn.ReadFromUDP(buf)
		if err != nil {
			return
		}
		if n < 1 {
			continue
		}
		data := make([]byte, 100)
		copy(data, buf[1:n])
		_, _ = li.conn.WriteToUDP(li.handle(buf[0], data), from)
	}
}

func (li *labIndex) handle(typ byte, data []byte) []byte {
	li.mu.Lock()
	defer li.mu.Unlock()
	switch typ {
	case 'R':
		e := labEntry{peer: cstr(data[0:10]), content: cstr(data[10:20])}
		copy(e.addr[:], data[20:26])
		for _, x := range li.entries {
			if x.peer == e.peer && x.content == e.content {
				return labPDU('E', []byte("Peer name already in use"))
			}
		}
		li.entries = append(li.entries, e)
		return labPDU('A', []byte("Registration successful"))
	case 'S':
		content := cstr(data[0:10]) // content name first
		for _, x := range li.entries {
			if x.content == content {
				return labPDU('S', x.addr[:])
			}
		}
		return labPDU('E', []byte("Content not found"))
	case 'T':
		peer, content := cstr(data[0:10]), cstr(data[10:20])
		for i, x := range li.entries {
			if x.peer == peer && x.content == content {
				li.entries = append(li.entries[:i], li.entries[i+1:]...)
				return labPDU('A', []byte("Deregistration successful"))
			}
		}
		return labPDU('E', []byte("Not registered"))
	case 'O':
		if len(li.entries) == 0 {
			return labPDU('O', []byte("No content registered"))
		}
		var sb strings.Builder
		for _, x := range li.entries {
			ip := netip.AddrFrom4([4]byte(x.addr[0:4]))
			fmt.Fprintf(&sb, "%s|%s|%s:%d;", x.peer, x.content, ip, binary.BigEndian.Uint16(x.addr[4:6]))
		}
		return labPDU('O', []byte(sb.String()))
	}
	return labPDU('E', []byte("Unknown PDU type"))
}

// labPeer is a content server as a classmate would write it.
type labPeer struct {
	at    netip.AddrPort
	files map[string][]byte
}

func startLabPeer(t *testing.T, files map[string][]byte) *labPeer {
	t.Helper()
	lp := &labPeer{files: files}
	lp.at = testutil.ServeConns(t, lp.serve)
	return lp
}

func (lp *labPeer) addr() netip.AddrPort { return lp.at }

func (lp *labPeer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	req := make([]byte, 101)
	if _, err := io.ReadAtLeast(c, req, 11); err != nil || req[0] != 'D' {
		return
	}
	content, ok := lp.files[cstr(req[1:11])] // content name first
	if !ok {
		_, _ = c.Write(labPDU('E', []byte("File not found")))
		return
	}
	for len(content) >= 100 {
		_, _ = c.Write(append([]byte{'C'}, content[:100]...))
		content = content[100:]
	}
	_, _ = c.Write(append([]byte{'F'}, content...))
}

// registerLab registers content held by a lab peer with the lab index, as
// the lab's own client would.
func registerLab(t *testing.T, li *labIndex, peer, content string, at netip.AddrPort) {
	t.Helper()
	var data []byte
	data = append(data, field(peer)...)
	data = append(data, field(content)...)
	ip := at.Addr().As4()
	data = append(data, ip[:]...)
	data = binary.BigEndian.AppendUint16(data, at.Port())
	require.Equal(t, byte('A'), li.handle('R', append(data, make([]byte, 100-len(data))...))[0])
}

func newContentFirstPeer(t *testing.T, name string, index netip.AddrPort) *Peer {
	t.Helper()
	cfg := DefaultPeerConfig()
	cfg.Name, cfg.Index, cfg.Codec, cfg.Timeout = name, index, pdu.Classic{Requests: pdu.ContentFirst}, 2*time.Second
	p, err := NewPeer(cfg)
	require.NoError(t, err)
	testutil.Serve(t, p.Run)
	return p
}

// TestNetlabClientWithLabIndexAndPeer: netlab's peers against an index
// server and a content peer of another implementation.
func TestNetlabClientWithLabIndexAndPeer(t *testing.T) {
	li := startLabIndex(t)
	film := bytes.Repeat([]byte("0123456789abcdefghij"), 13) // 260 bytes: C C F(60)
	lp := startLabPeer(t, map[string][]byte{"film": film})

	alice := newContentFirstPeer(t, "alice", li.addr())
	bob := newContentFirstPeer(t, "bob", li.addr())

	// Empty index: a text, shown rather than parsed.
	l, err := bob.List()
	require.NoError(t, err)
	assert.Equal(t, Listing{Text: "No content registered"}, l)

	// R answered by an A with a sentence; E with a sentence.
	songPath, song := writeRandom(t, t.TempDir(), "song", 333)
	text, err := alice.Register("song", songPath)
	require.NoError(t, err)
	assert.Equal(t, "Registration successful", text)
	impostor := newContentFirstPeer(t, "alice", li.addr())
	_, err = impostor.Register("song", songPath)
	var remote *pdu.RemoteError
	require.ErrorAs(t, err, &remote)
	assert.Equal(t, "Peer name already in use", remote.Text)

	// O answered with peer|content|ip:port; records.
	registerLab(t, li, "carl", "film", lp.addr())
	l, err = bob.List()
	require.NoError(t, err)
	assert.Equal(t, []string{"song", "film"}, l.Names)
	assert.Equal(t, []pdu.Holder{
		{Peer: "alice", Content: "song", Addr: alice.Addr()},
		{Peer: "carl", Content: "film", Addr: lp.addr()},
	}, l.Holders)

	// Download from the lab's content peer: S and D content-first, C C F.
	dir := t.TempDir()
	d, err := bob.download(context.Background(), "film", dir)
	require.NoError(t, err)
	assert.Equal(t, lp.addr(), d.From)
	assert.Equal(t, int64(len(film)), d.Size)
	assert.Equal(t, "Registration successful", d.Ack, "the re-registration's A text")
	got, err := os.ReadFile(filepath.Join(dir, "film"))
	require.NoError(t, err)
	assert.Equal(t, film, got)

	// Download from a netlab peer found through the lab's index.
	path, err := bob.Download(context.Background(), "song", dir)
	require.NoError(t, err)
	got, err = os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, song, got)

	// Unknown content: the lab's E text comes through.
	_, err = bob.Download(context.Background(), "nothing", dir)
	require.ErrorAs(t, err, &remote)
	assert.Equal(t, "Content not found", remote.Text)

	text, err = bob.Deregister("film")
	require.NoError(t, err)
	assert.Equal(t, "Deregistration successful", text)
}

// TestShellWithLabIndex: the peer shell shows the lab index's texts.
func TestShellWithLabIndex(t *testing.T) {
	li := startLabIndex(t)
	alice := newContentFirstPeer(t, "alice", li.addr())
	songPath, _ := writeRandom(t, t.TempDir(), "song", 10)
	var out bytes.Buffer
	in := strings.NewReader("list\nregister song " + songPath + "\nlist\nderegister song\n")
	require.NoError(t, Shell(context.Background(), alice, t.TempDir(), in, &out, nil))
	text := out.String()
	assert.Equal(t, 1, strings.Count(text, ClassicWarning), "warned once, at the start")
	assert.Contains(t, text, `the index says: "No content registered"`)
	assert.Contains(t, text, `registered song (the index says: "Registration successful")`)
	assert.Contains(t, text, "1 registered:\n  song       held by alice      at "+alice.Addr().String())
	assert.Contains(t, text, `de-registered song (the index says: "Deregistration successful")`)
}

// labExchange sends one lab PDU to addr and returns the reply datagram.
func labExchange(t *testing.T, conn *net.UDPConn, typ byte, data []byte) []byte {
	t.Helper()
	_, err := conn.Write(labPDU(typ, data))
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 200)
	n, err := conn.Read(buf)
	require.NoError(t, err)
	return buf[:n]
}

// TestLabClientWithNetlabIndex: netlab's index server driven by a client
// that sends whole structs and S with the content name first.
func TestLabClientWithNetlabIndex(t *testing.T) {
	idx := startIndex(t, pdu.Classic{})
	conn, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(idx.Addr()))
	require.NoError(t, err)
	defer conn.Close()

	r := append(append(field("carl"), field("film")...), 127, 0, 0, 1, 0x13, 0x88) // 127.0.0.1:5000
	rep := labExchange(t, conn, 'R', r)
	assert.Equal(t, "A", string(rep[:1]))
	assert.Equal(t, "carl", cstr(rep[1:]), "netlab's A echoes the peer name")

	// S: content first, then the peer name; and content only.
	want := []byte{'S', 127, 0, 0, 1, 0x13, 0x88}
	assert.Equal(t, want, labExchange(t, conn, 'S', append(field("film"), field("dora")...)))
	assert.Equal(t, want, labExchange(t, conn, 'S', field("film")))
	rep = labExchange(t, conn, 'S', append(field("song"), field("dora")...))
	assert.Equal(t, "E"+MsgNotFound, string(rep))

	// O: netlab's slots.
	assert.Equal(t, append([]byte{'O'}, field("film")...), labExchange(t, conn, 'O', nil))

	// T from the registering socket.
	rep = labExchange(t, conn, 'T', append(field("carl"), field("film")...))
	assert.Equal(t, "A", string(rep[:1]))
}

// TestLabClientWithNetlabContentPeer: a D with the content name first
// reaches netlab's content server whatever its own layout.
func TestLabClientWithNetlabContentPeer(t *testing.T) {
	_, alice, song := startHolder(t, pdu.Classic{}, "alice", "song", 250)
	c, err := net.Dial("tcp", alice.Addr().String())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write(labPDU('D', append(field("song"), field("dora")...)))
	require.NoError(t, err)
	require.NoError(t, c.SetReadDeadline(time.Now().Add(5*time.Second)))
	stream, err := io.ReadAll(c)
	require.NoError(t, err)
	var want []byte
	want = append(append(want, 'C'), song[:100]...)
	want = append(append(want, 'C'), song[100:200]...)
	want = append(append(want, 'F'), song[200:]...)
	assert.Equal(t, want, stream)
}
