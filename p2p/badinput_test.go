package p2p

import (
	"bufio"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// client is a raw TCP line client, like nc.
type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialFrom(t *testing.T, local string, to netip.AddrPort) *client {
	t.Helper()
	d := net.Dialer{Timeout: time.Second}
	if local != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(local)}
	}
	c, err := d.Dial("tcp4", to.String())
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return &client{t, c, bufio.NewReader(c)}
}

func (c *client) send(line string) {
	c.t.Helper()
	_, err := c.c.Write([]byte(line + "\n"))
	require.NoError(c.t, err)
}

func (c *client) recv() string {
	c.t.Helper()
	require.NoError(c.t, c.c.SetReadDeadline(time.Now().Add(5*time.Second)))
	s, err := c.br.ReadString('\n')
	require.NoError(c.t, err)
	return strings.TrimSuffix(s, "\n")
}

// ask sends line and returns the answer.
func (c *client) ask(line string) string {
	c.t.Helper()
	c.send(line)
	return c.recv()
}

// closed reports whether the other side has closed the connection.
func (c *client) closed() bool {
	c.t.Helper()
	require.NoError(c.t, c.c.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err := c.br.ReadString('\n')
	return err != nil
}

func TestSeedAnswersLikeTheCourse(t *testing.T) {
	var logs testutil.SyncBuffer
	cfg := DefaultSeedConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	s, _ := startSeed(t, cfg)
	// The dead node is a port where nothing listens, so the seed's probe of
	// it is refused.
	dead, live := closedAddr(t), closedAddr(t)
	if dead.Compare(live) > 0 {
		dead, live = live, dead
	}
	port := func(a netip.AddrPort) string { return strconv.Itoa(int(a.Port())) }
	c := dialFrom(t, "", s.Addr())
	assert.Equal(t, "registered successfully", c.ask("register:127.0.0.1:"+port(dead)))
	assert.Equal(t, "registered successfully", c.ask("register:127.0.0.1:"+port(live)))
	assert.Equal(t, "peer list:127.0.0.1#"+port(dead)+":127.0.0.1#"+port(live), c.ask("get peer list"))
	assert.Equal(t, "dead node removed", c.ask("Dead Node:127.0.0.1:"+port(dead)+":1700000000.000000:127.0.0.1"))
	assert.Equal(t, "peer list:127.0.0.1#"+port(live), c.ask("get peer list"))
	assert.Contains(t, logs.String(), "seed: connection request")
	assert.Contains(t, logs.String(), "seed: dead node report")
	assert.Contains(t, logs.String(), "dead="+dead.String())
}

func TestSeedRejectsBadInput(t *testing.T) {
	var logs testutil.SyncBuffer
	cfg := DefaultSeedConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	cfg.MaxErrors = 3
	s, _ := startSeed(t, cfg)

	c := dialFrom(t, "", s.Addr())
	assert.Contains(t, c.ask("hello seed"), "error:p2p: malformed line: unknown message kind")
	assert.Equal(t, "error:a seed does not take connect messages", c.ask("connect:127.0.0.1:4000"))
	assert.Equal(t, "peer list:", c.ask("get peer list"), "a good line still works between bad ones")
	assert.Contains(t, c.ask("register:127.0.0.1:0"), "out of range")
	assert.True(t, c.closed(), "the third bad line closes the connection")

	big := dialFrom(t, "", s.Addr())
	assert.Equal(t, "error:line longer than 65536 bytes", big.ask(strings.Repeat("x", MaxLineLength+10)))
	assert.True(t, big.closed(), "an oversized line closes the connection")

	// 127.0.0.2 is loopback too, but not the address being registered.
	spoof := dialFrom(t, "127.0.0.2", s.Addr())
	assert.Equal(t, "error:register address 127.0.0.1 does not match connection source 127.0.0.2", spoof.ask("register:127.0.0.1:4000"))
	assert.Equal(t, "registered successfully", spoof.ask("register:127.0.0.2:4000"))
	assert.Equal(t, []netip.AddrPort{netip.MustParseAddrPort("127.0.0.2:4000")}, s.Registry().Peers())
	assert.Contains(t, logs.String(), "seed: rejected line")
}

func TestSeedSurvivesAConnectionFlood(t *testing.T) {
	cfg := DefaultSeedConfig()
	cfg.MaxConns = 4
	cfg.ReadTimeout = 300 * time.Millisecond
	s, _ := startSeed(t, cfg)
	var idle []*client
	for range cfg.MaxConns {
		idle = append(idle, dialFrom(t, "", s.Addr()))
	}
	// The idle connections are being served: make sure all four are counted.
	require.Eventually(t, func() bool { _, n := s.conns.Counts(); return n == cfg.MaxConns }, waitFor, tick)
	extra := dialFrom(t, "", s.Addr())
	assert.Equal(t, "error:too many connections", extra.recv())
	assert.True(t, extra.closed())

	// The read deadline frees the slots held by silent connections.
	for _, c := range idle {
		assert.True(t, c.closed(), "a silent connection is closed after the read deadline")
	}
	require.Eventually(t, func() bool { _, n := s.conns.Counts(); return n == 0 }, waitFor, tick)
	c := dialFrom(t, "", s.Addr())
	assert.Equal(t, "peer list:", c.ask("get peer list"), "the seed serves again")
}

func TestPeerRejectsBadInputAndKeepsRunning(t *testing.T) {
	s, _ := startSeed(t, DefaultSeedConfig())
	var logs testutil.SyncBuffer
	cfg := testPeerConfig(seedAddrs(s), 0)
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	cfg.Capacity = 1
	cfg.LivenessInterval = time.Minute // the fake neighbour below does not answer pings
	p, _ := startPeer(t, cfg)

	c := dialFrom(t, "", p.Addr())
	assert.Contains(t, c.ask("what is this"), "unknown message kind")
	assert.Equal(t, "error:unexpected gossip before connect", c.ask("1700000000.0:127.0.0.1:1"))
	assert.Equal(t, "Liveness Reply:1700000000.000001:127.0.0.9:"+nodeString(p.Addr()), c.ask("Liveness Request:1700000000.000001:127.0.0.9"),
		"a liveness probe from nc is answered")
	assert.Contains(t, c.ask("connect:127.0.0.1:0"), "out of range")
	assert.True(t, c.closed())

	big := dialFrom(t, "", p.Addr())
	assert.Contains(t, big.ask(strings.Repeat("1", 2*maxLinkLine)), "error:line longer than")
	assert.True(t, big.closed())

	spoof := dialFrom(t, "127.0.0.2", p.Addr())
	assert.Contains(t, spoof.ask("connect:127.0.0.1:4000"), "does not match connection source 127.0.0.2")

	first := dialFrom(t, "", p.Addr())
	assert.Equal(t, "connected", first.ask("connect:127.0.0.1:4001"))
	second := dialFrom(t, "", p.Addr())
	assert.Equal(t, "refused:at capacity", second.ask("connect:127.0.0.1:4002"), "capacity 1 is full")

	// On a link, nonsense is answered and counted; the peer stays up.
	assert.Equal(t, "error:unexpected dead node on a link", first.ask("Dead Node:127.0.0.1:1:1.0:127.0.0.1"))
	assert.Equal(t, "Liveness Reply:5.000000:127.0.0.1#4001:"+nodeString(p.Addr()), first.ask("Liveness Request:5.000000:127.0.0.1#4001"))

	assert.GreaterOrEqual(t, p.Stats().Rejected, 6)
	assert.Contains(t, logs.String(), "rejected line")
	probe := dialFrom(t, "", p.Addr())
	assert.Equal(t, "peer list:127.0.0.1#4001", probe.ask("get peer list"), "the peer still serves, with its one neighbour")
}
