package index

import (
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/netlab-go/netlab/pdu"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startIndex runs an index server on loopback until the test ends.
func startIndex(t testing.TB, codec pdu.Codec) *Server {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Codec = codec
	s, err := New(cfg)
	require.NoError(t, err)
	testutil.Serve(t, s.Run)
	return s
}

// startPeer runs a content peer until the test ends (or stop is called).
func startPeer(t testing.TB, name string, idx *Server, codec pdu.Codec, trace func(Event)) (p *Peer, stop func()) {
	t.Helper()
	cfg := DefaultPeerConfig()
	cfg.Name, cfg.Index, cfg.Codec, cfg.Trace = name, idx.Addr(), codec, trace
	cfg.Timeout = 2 * time.Second
	p, err := NewPeer(cfg)
	require.NoError(t, err)
	return p, testutil.Serve(t, p.Run)
}

// startHolder runs an index and a peer called holder that has registered
// n random bytes under content (written in a temp dir), until the test
// ends; it returns them and the bytes.
func startHolder(t testing.TB, codec pdu.Codec, holder, content string, n int) (*Server, *Peer, []byte) {
	t.Helper()
	idx := startIndex(t, codec)
	p, _ := startPeer(t, holder, idx, codec, nil)
	path, data := writeRandom(t, t.TempDir(), content, n)
	require.NoError(t, second(p.Register(content, path)))
	return idx, p, data
}

// writeRandom writes n random bytes to dir/name and returns them.
func writeRandom(t testing.TB, dir, name string, n int) (string, []byte) {
	t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path, b
}

// entries lists the names in dir.
func entries(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

var codecs = []pdu.Codec{pdu.Classic{}, pdu.Framed{}}

// registerRaw registers addr as (peer, content) with the index in one R
// datagram over UDP, as any program speaking the protocol could, and
// requires the index's Ack.
func registerRaw(t testing.TB, idx *Server, codec pdu.Codec, peer, content string, addr net.Addr) {
	t.Helper()
	conn, err := net.Dial("udp", idx.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	b, err := codec.Append(nil, &pdu.PDU{Type: pdu.Register, Peer: peer, Content: content, Addr: addr.(*net.TCPAddr).AddrPort()})
	require.NoError(t, err)
	_, err = conn.Write(b)
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	buf := make([]byte, 2048)
	n, err := conn.Read(buf)
	require.NoError(t, err)
	var rep pdu.PDU
	require.NoError(t, codec.Decode(buf[:n], pdu.Reply, &rep))
	require.Equal(t, pdu.Ack, rep.Type, rep.Text)
}
