package chat

import (
	"context"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var loopback = netip.MustParseAddr("127.0.0.1")

// startPeer starts a UDP peer on loopback and stops it when the test ends.
func startPeer(t *testing.T, name string, mod ...func(*PeerConfig)) *UDPPeer {
	t.Helper()
	cfg := DefaultPeerConfig()
	cfg.Name = name
	cfg.Addr = "127.0.0.1:0"
	for _, m := range mod {
		m(&cfg)
	}
	p, err := NewUDPPeer(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return p
}

func recv(t *testing.T, p *UDPPeer) Datagram {
	t.Helper()
	select {
	case d, ok := <-p.Incoming():
		require.True(t, ok, "incoming closed")
		return d
	case <-time.After(5 * time.Second):
		t.Fatal("no datagram within 5s")
	}
	return Datagram{}
}

func TestUDPPeerSendReceive(t *testing.T) {
	a := startPeer(t, "alice")
	b := startPeer(t, "bob")
	require.NoError(t, a.Send(b.Addr(), "hello bob, ça va?"))
	d := recv(t, b)
	assert.Equal(t, "hello bob, ça va?", d.Text)
	assert.Equal(t, a.Addr(), d.From, "the sender's address comes with the message")
	require.NoError(t, b.Send(d.From, "fine"))
	assert.Equal(t, "fine", recv(t, a).Text)
	assert.Equal(t, uint64(1), b.Stats().Received)
}

// A plain UDP socket stands in for `nc -u`: what it sends arrives as text,
// and what the peer sends it is one newline-terminated line.
func TestUDPPeerInteroperatesWithPlainSockets(t *testing.T) {
	p := startPeer(t, "alice")
	nc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer nc.Close()
	_, err = nc.WriteToUDPAddrPort([]byte("typed in nc\n"), p.Addr())
	require.NoError(t, err)
	d := recv(t, p)
	assert.Equal(t, "typed in nc", d.Text)
	require.NoError(t, p.Send(d.From, "answer"))
	buf := make([]byte, 100)
	require.NoError(t, nc.SetReadDeadline(time.Now().Add(5*time.Second)))
	n, _, err := nc.ReadFromUDPAddrPort(buf)
	require.NoError(t, err)
	assert.Equal(t, "answer\n", string(buf[:n]))

	// A discovery probe typed into nc gets the documented answer.
	_, err = nc.WriteToUDPAddrPort([]byte("NETLAB-DISCOVER 1 nc\n"), p.Addr())
	require.NoError(t, err)
	n, _, err = nc.ReadFromUDPAddrPort(buf)
	require.NoError(t, err)
	assert.Equal(t, "NETLAB-HERE 1 alice "+strconv.Itoa(int(p.Addr().Port()))+"\n", string(buf[:n]))
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }

func fmtInt(i int) string {
	return netip.AddrPortFrom(netip.Addr{}, uint16(i)).String()[len("invalid AddrPort"):]
}

func TestUDPPeerRejectsOversizedAndCountsBadInput(t *testing.T) {
	p := startPeer(t, "alice", func(c *PeerConfig) { c.MaxDatagram = 64 })
	err := p.Send(p.Addr(), strings.Repeat("x", 64))
	require.ErrorIs(t, err, ErrTooLarge, "64 bytes plus the newline exceed 64")
	require.Error(t, p.Send(p.Addr(), "\xff\xfe"), "not UTF-8")

	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer raw.Close()
	for _, b := range [][]byte{
		[]byte(strings.Repeat("y", 500)),   // oversized
		[]byte("NETLAB-DISCOVER 7 future"), // another version
		[]byte("NETLAB-HERE 1 x 0"),        // malformed
		{0xff, 0x00, 0xfe},                 // not text
		[]byte("still alive"),
	} {
		_, err := raw.WriteToUDPAddrPort(b, p.Addr())
		require.NoError(t, err)
	}
	assert.Equal(t, "still alive", recv(t, p).Text, "bad datagrams are skipped, the good one arrives")
	require.Eventually(t, func() bool {
		s := p.Stats()
		return s.Oversized == 1 && s.Malformed == 2 && s.NotText == 1 && s.Received == 1
	}, 5*time.Second, 5*time.Millisecond, "%+v", p.Stats())
}

func TestUDPPeerDropsWhenNobodyReads(t *testing.T) {
	p := startPeer(t, "alice", func(c *PeerConfig) { c.QueueLen = 2 })
	for i := 0; i < 5; i++ {
		require.NoError(t, p.Send(p.Addr(), "m"))
	}
	require.Eventually(t, func() bool { s := p.Stats(); return s.Received == 2 && s.Dropped == 3 },
		5*time.Second, 5*time.Millisecond)
}

func TestUDPPeerBroadcastToConfiguredTargets(t *testing.T) {
	// Loopback only: BroadcastTo replaces the interfaces' broadcast
	// addresses, so the test never sends onto a real network.
	b := startPeer(t, "bob")
	a := startPeer(t, "alice", func(c *PeerConfig) {
		c.BroadcastTo = []netip.Addr{loopback}
	})
	a.cfg.BroadcastPort = int(b.Addr().Port())
	n, err := a.Broadcast("to everyone")
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, "to everyone", recv(t, b).Text)
}

func TestPeerConfigValidation(t *testing.T) {
	for field, mod := range map[string]func(*PeerConfig){
		"Name":          func(c *PeerConfig) { c.Name = "no spaces" },
		"Addr":          func(c *PeerConfig) { c.Addr = "" },
		"MaxDatagram":   func(c *PeerConfig) { c.MaxDatagram = 70000 },
		"QueueLen":      func(c *PeerConfig) { c.QueueLen = 0 },
		"BroadcastPort": func(c *PeerConfig) { c.BroadcastPort = -1 },
		"BroadcastTo":   func(c *PeerConfig) { c.BroadcastTo = []netip.Addr{netip.MustParseAddr("::1")} },
	} {
		cfg := DefaultPeerConfig()
		cfg.Addr = "127.0.0.1:0"
		mod(&cfg)
		_, err := NewUDPPeer(cfg)
		require.Error(t, err, field)
		assert.Contains(t, err.Error(), field)
	}
}

func TestDirectedBroadcast(t *testing.T) {
	for in, want := range map[string]string{
		"192.168.1.37/24": "192.168.1.255",
		"10.1.2.3/8":      "10.255.255.255",
		"172.16.5.4/20":   "172.16.15.255",
		"10.0.0.1/30":     "10.0.0.3",
	} {
		got, ok := DirectedBroadcast(netip.MustParsePrefix(in))
		require.True(t, ok, in)
		assert.Equal(t, want, got.String(), in)
	}
	for _, in := range []string{"10.0.0.1/31", "10.0.0.1/32", "fe80::1/64"} {
		_, ok := DirectedBroadcast(netip.MustParsePrefix(in))
		assert.False(t, ok, in)
	}
}

func TestProbeTargets(t *testing.T) {
	cfg := DefaultDiscoverConfig()
	cfg.Targets = []netip.AddrPort{netip.MustParseAddrPort("10.0.0.9:4000"), netip.MustParseAddrPort("192.168.1.1:23432")}
	arp := Table{
		{IP: ip("192.168.1.1"), MAC: mac("a4:2b:b0:12:34:56"), Flags: FlagComplete},
		{IP: ip("192.168.1.77"), Flags: FlagIncomplete},
		{IP: ip("192.168.1.255"), MAC: mac("ff:ff:ff:ff:ff:ff"), Flags: FlagComplete},
	}
	got := ProbeTargets(cfg, []netip.Addr{ip("192.168.1.255"), ip("10.0.0.255")}, arp)
	var s []string
	for _, g := range got {
		s = append(s, g.String())
	}
	assert.Equal(t, []string{"192.168.1.255:23432", "10.0.0.255:23432", "255.255.255.255:23432",
		"192.168.1.1:23432", "10.0.0.9:4000"}, s)

	cfg.Broadcast, cfg.ARP = false, false
	assert.Len(t, ProbeTargets(cfg, []netip.Addr{ip("192.168.1.255")}, arp), 2)
}

func loopbackDiscoverConfig(targets ...netip.AddrPort) DiscoverConfig {
	cfg := DefaultDiscoverConfig()
	cfg.Name = "tester"
	cfg.Bind = "127.0.0.1:0"
	cfg.Broadcast, cfg.ARP = false, false // loopback only in default tests
	cfg.Targets = targets
	cfg.Wait = 5 * time.Second
	return cfg
}

func TestDiscoverOnLoopback(t *testing.T) {
	a := startPeer(t, "alice")
	b := startPeer(t, "bob")
	silent := startPeer(t, "carol", func(c *PeerConfig) { c.IgnoreProbes = true })
	cfg := loopbackDiscoverConfig(a.Addr(), b.Addr(), silent.Addr())
	cfg.StopAfter = 2
	var mu sync.Mutex
	var reported []string
	cfg.OnPeer = func(p Peer) { mu.Lock(); reported = append(reported, p.Name); mu.Unlock() }
	start := time.Now()
	res, err := Discover(context.Background(), cfg)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 4*time.Second, "StopAfter ends discovery early")
	names := map[string]netip.AddrPort{}
	for _, p := range res.Peers {
		names[p.Name] = p.Addr
		assert.Positive(t, p.RTT)
	}
	assert.Equal(t, map[string]netip.AddrPort{"alice": a.Addr(), "bob": b.Addr()}, names)
	assert.ElementsMatch(t, []string{"alice", "bob"}, reported, "each peer is reported once, as it arrives")
	assert.Equal(t, 3, res.Sent)
}

func TestDiscoverWaitsAndCountsMalformedReplies(t *testing.T) {
	// A fake peer that answers with garbage.
	fake, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer fake.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 200)
		_, from, err := fake.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		_, _ = fake.WriteToUDPAddrPort([]byte("NETLAB-HERE 1 fake 0"), from)
		_, _ = fake.WriteToUDPAddrPort([]byte("NETLAB-HERE 9 fake 5"), from)
	}()
	a := startPeer(t, "alice")
	cfg := loopbackDiscoverConfig(a.Addr(), fake.LocalAddr().(*net.UDPAddr).AddrPort())
	cfg.Wait = 300 * time.Millisecond
	cfg.Attempts = 1
	res, err := Discover(context.Background(), cfg)
	require.NoError(t, err)
	wg.Wait()
	require.Len(t, res.Peers, 1)
	assert.Equal(t, "alice", res.Peers[0].Name)
	assert.Equal(t, 2, res.Malformed)
}

func TestDiscoverConfigValidation(t *testing.T) {
	for field, mod := range map[string]func(*DiscoverConfig){
		"Name":      func(c *DiscoverConfig) { c.Name = "" },
		"Port":      func(c *DiscoverConfig) { c.Port = 0 },
		"Wait":      func(c *DiscoverConfig) { c.Wait = 0 },
		"Attempts":  func(c *DiscoverConfig) { c.Attempts = 0 },
		"StopAfter": func(c *DiscoverConfig) { c.StopAfter = -1 },
		"Targets":   func(c *DiscoverConfig) { c.Targets = []netip.AddrPort{netip.MustParseAddrPort("[::1]:5")} },
	} {
		cfg := loopbackDiscoverConfig()
		mod(&cfg)
		_, err := Discover(context.Background(), cfg)
		require.Error(t, err, field)
		assert.Contains(t, err.Error(), field)
	}
	_, err := Discover(context.Background(), loopbackDiscoverConfig())
	assert.ErrorContains(t, err, "no targets")
}

func TestDiscoverStopsWithContext(t *testing.T) {
	a := startPeer(t, "alice", func(c *PeerConfig) { c.IgnoreProbes = true })
	cfg := loopbackDiscoverConfig(a.Addr())
	cfg.Wait = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := Discover(ctx, cfg)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestScanPortsFindsPeersInRange(t *testing.T) {
	a := startPeer(t, "alice")
	port := int(a.Addr().Port())
	cfg := DefaultScanConfig()
	cfg.Name = "scanner"
	cfg.Bind = "127.0.0.1:0"
	cfg.FromPort, cfg.ToPort = max(1, port-3), min(65535, port+3)
	var mu sync.Mutex
	var progress []int
	cfg.Progress = func(sent, total int) { mu.Lock(); progress = append(progress, sent); mu.Unlock() }
	cfg.Rate = 200
	start := time.Now()
	res, err := ScanPorts(context.Background(), cfg)
	require.NoError(t, err)
	total := cfg.ToPort - cfg.FromPort + 1
	assert.GreaterOrEqual(t, time.Since(start), time.Duration(total-1)*time.Second/200, "the rate limit paces probes")
	require.NotEmpty(t, res.Peers)
	found := false
	for _, p := range res.Peers {
		found = found || (p.Name == "alice" && p.Addr == a.Addr())
	}
	assert.True(t, found, "%+v", res.Peers)
	assert.Equal(t, total, res.Sent)
	assert.Len(t, progress, total)
	assert.Equal(t, total, progress[len(progress)-1])
}

func TestScanPortsIsBounded(t *testing.T) {
	base := DefaultScanConfig()
	base.Bind = "127.0.0.1:0"
	for want, mod := range map[string]func(*ScanConfig){
		"not a local address": func(c *ScanConfig) { c.Hosts = []netip.Addr{ip("8.8.8.8")} },
		"MaxProbes":           func(c *ScanConfig) { c.FromPort, c.ToPort = 10, 65534 },
		"Rate":                func(c *ScanConfig) { c.Rate = 1e6 },
		"FromPort <= ToPort":  func(c *ScanConfig) { c.FromPort, c.ToPort = 9, 8 },
		"Hosts is empty":      func(c *ScanConfig) { c.Hosts = nil },
	} {
		cfg := base
		mod(&cfg)
		_, err := ScanPorts(context.Background(), cfg)
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
	}
	assert.True(t, IsLocalTarget(ip("127.0.0.1")))
	assert.True(t, IsLocalTarget(ip("192.168.3.4")))
	assert.True(t, IsLocalTarget(ip("169.254.1.1")))
	assert.False(t, IsLocalTarget(ip("1.1.1.1")))
}
