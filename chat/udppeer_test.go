package chat

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/netlab-go/netlab/internal/testutil"
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
	return serveBuilt(t, cfg, NewUDPPeer, mod)
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

func TestUDPPeerShowsBadDatagramsAndCountsThem(t *testing.T) {
	p := startPeer(t, "alice", func(c *PeerConfig) { c.MaxDatagram = 64 })
	err := p.Send(p.Addr(), strings.Repeat("x", 64))
	require.ErrorIs(t, err, ErrTooLarge, "64 bytes plus the newline exceed 64")
	require.Error(t, p.Send(p.Addr(), "\xff\xfe"), "not UTF-8")

	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer raw.Close()
	sender := raw.LocalAddr().(*net.UDPAddr).AddrPort()
	for _, b := range [][]byte{
		[]byte(strings.Repeat("y", 500)),   // oversized
		[]byte("NETLAB-DISCOVER 7 future"), // another version
		[]byte("NETLAB-HERE 1 x 0"),        // malformed
		{'h', 'i', 0xff, 0x00, 0xfe, '\n'}, // not text
		[]byte("\x1b[2Jclear screen"),      // a terminal escape sequence
		[]byte(strings.Repeat("é", 40)),    // 80 bytes: cut at a character boundary
		[]byte("still alive"),
	} {
		_, err := raw.WriteToUDPAddrPort(b, p.Addr())
		require.NoError(t, err)
	}

	d := recv(t, p)
	assert.Equal(t, strings.Repeat("y", 64), d.Text)
	assert.Equal(t, 500, d.Size)
	assert.Equal(t, "over the 64-byte limit: showing the first 64", d.Problem)
	assert.Equal(t, "note: "+sender.String()+" sent a bad datagram of 500 bytes: over the 64-byte limit: showing the first 64", d.Note())

	d = recv(t, p)
	assert.Equal(t, "hi\uFFFD\uFFFD\uFFFD", d.Text, "the NUL is a control character, the others invalid bytes")
	assert.Equal(t, "not text: 2 bytes of invalid UTF-8 and 1 control character shown as U+FFFD", d.Problem)
	assert.Contains(t, d.Note(), sender.String(), "the note names the sender")

	d = recv(t, p)
	assert.Equal(t, "\uFFFD[2Jclear screen", d.Text, "ESC never reaches the terminal")
	assert.Equal(t, "not text: 1 control character shown as U+FFFD", d.Problem)

	d = recv(t, p)
	assert.Equal(t, strings.Repeat("é", 32), d.Text, "cut before the character that would straddle the limit")
	assert.Equal(t, "over the 64-byte limit: showing the first 64", d.Problem, "a cut alone is not reported as invalid text")

	d = recv(t, p)
	assert.Equal(t, "still alive", d.Text)
	assert.Empty(t, d.Problem)
	assert.Empty(t, d.Note())
	require.Eventually(t, func() bool {
		s := p.Stats()
		return s.Oversized == 2 && s.Malformed == 2 && s.NotText == 2 && s.Received == 5 && s.Dropped == 0
	}, 5*time.Second, 5*time.Millisecond, "%+v", p.Stats())
}

func TestDisplayable(t *testing.T) {
	for in, want := range map[string]struct {
		text              string
		invalid, controls int
	}{
		"plain text, ça va\t!": {"plain text, ça va\t!", 0, 0},
		"a\xffb":               {"a\uFFFDb", 1, 0},
		"\x00\x7f\u0085":       {"\uFFFD\uFFFD\uFFFD", 0, 3},
		"\xe2\x82":             {"\uFFFD\uFFFD", 2, 0}, // a cut in the middle of "€"
		"":                     {"", 0, 0},
	} {
		text, invalid, controls := Displayable([]byte(in))
		assert.Equal(t, want.text, text, "%q", in)
		assert.Equal(t, want.invalid, invalid, "%q", in)
		assert.Equal(t, want.controls, controls, "%q", in)
	}
}

// FuzzDisplayable checks that any bytes become printable UTF-8, that each
// replaced byte or character is one U+FFFD, and that clean text is kept as
// it is.
func FuzzDisplayable(f *testing.F) {
	for _, s := range []string{"hello", "a\xffb", "\x1b[31m", "é", "\xe2\x82", "\uFFFD", "tab\there"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		text, invalid, controls := Displayable(b)
		if !utf8.ValidString(text) {
			t.Fatalf("%q -> %q is not valid UTF-8", b, text)
		}
		if err := CheckText([]byte(text)); err != nil {
			t.Fatalf("%q -> %q: %v", b, text, err)
		}
		before := strings.Count(string(b), "\uFFFD")
		if got := strings.Count(text, "\uFFFD"); got != before+invalid+controls {
			t.Fatalf("%q -> %q: %d replacement characters, want %d kept + %d invalid + %d controls", b, text, got, before, invalid, controls)
		}
		if invalid == 0 && controls == 0 && text != string(b) {
			t.Fatalf("clean %q changed to %q", b, text)
		}
	})
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
		"MaxDatagram":   func(c *PeerConfig) { c.MaxDatagram = 70000 },
		"QueueLen":      func(c *PeerConfig) { c.QueueLen = -1 },
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

	// A port range: every address at every port.
	cfg.Broadcast, cfg.Targets = true, nil
	cfg.Ports = PortRange(40000, 40002)
	cfg.Hosts = []netip.Addr{ip("127.0.0.1")}
	s = nil
	for _, g := range ProbeTargets(cfg, []netip.Addr{ip("10.0.0.255")}, arp) {
		s = append(s, g.String())
	}
	assert.Equal(t, []string{"10.0.0.255:40000", "10.0.0.255:40001", "10.0.0.255:40002",
		"255.255.255.255:40000", "255.255.255.255:40001", "255.255.255.255:40002",
		"127.0.0.1:40000", "127.0.0.1:40001", "127.0.0.1:40002"}, s)
	assert.Nil(t, PortRange(5, 4))
}

// peerInRange starts a peer on a free port of [lo, hi), trying ports in
// turn, since a test may not assume any one port is free.
func peerInRange(t *testing.T, name string, lo, hi int) *UDPPeer {
	t.Helper()
	for port := lo; port < hi; port++ {
		cfg := DefaultPeerConfig()
		cfg.Name = name
		cfg.Addr = "127.0.0.1:" + strconv.Itoa(port)
		p, err := NewUDPPeer(cfg)
		if err != nil {
			continue
		}
		testutil.Serve(t, p.Run)
		return p
	}
	t.Fatalf("no free UDP port in %d-%d", lo, hi)
	return nil
}

// TestDiscoverFindsPeersOutsideTheCoursePorts: peers on ports far from
// 23430-23440 are found when Ports covers them (before, discovery asked
// only DefaultPort).
func TestDiscoverFindsPeersOutsideTheCoursePorts(t *testing.T) {
	a := peerInRange(t, "alice", 41000, 41100)
	b := peerInRange(t, "bob", int(a.Addr().Port())+1, 41200)
	cfg := loopbackDiscoverConfig()
	cfg.Hosts = []netip.Addr{loopback}
	cfg.Ports = PortRange(int(a.Addr().Port())-2, int(b.Addr().Port())+2)
	cfg.StopAfter = 2
	cfg.Wait = time.Minute
	res, err := Discover(context.Background(), cfg)
	require.NoError(t, err)
	found := map[string]netip.AddrPort{}
	for _, p := range res.Peers {
		found[p.Name] = p.Addr
	}
	assert.Equal(t, map[string]netip.AddrPort{"alice": a.Addr(), "bob": b.Addr()}, found,
		"each peer found at the port it announced")
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
	cfg.Wait = time.Minute // only StopAfter can end it early
	var mu sync.Mutex
	var reported []string
	cfg.OnPeer = func(p Peer) { mu.Lock(); reported = append(reported, p.Name); mu.Unlock() }
	start := time.Now()
	res, err := Discover(context.Background(), cfg)
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 30*time.Second, "StopAfter ended discovery before its minute of Wait")
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
		"Ports":     func(c *DiscoverConfig) { c.Ports = []int{0} },
		"Hosts":     func(c *DiscoverConfig) { c.Hosts = []netip.Addr{netip.MustParseAddr("::1")} },
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

// TestUDPPeerLearnsAnnouncedPeers: a peer that starts on a port nobody
// probes announces itself, and the peers it told know where it is.
func TestUDPPeerLearnsAnnouncedPeers(t *testing.T) {
	heard := make(chan Peer, 4)
	a := startPeer(t, "alice", func(c *PeerConfig) { c.OnAnnounce = func(p Peer) { heard <- p } })
	b := startPeer(t, "bob")
	n, err := b.Announce([]netip.AddrPort{a.Addr(), b.Addr()})
	require.NoError(t, err)
	assert.Equal(t, 1, n, "a peer does not announce itself to itself")
	select {
	case p := <-heard:
		assert.Equal(t, Peer{Name: "bob", Addr: b.Addr()}, p)
	case <-time.After(5 * time.Second):
		t.Fatal("alice never heard bob's announcement")
	}
	assert.Equal(t, []Peer{{Name: "bob", Addr: b.Addr()}}, a.Peers())

	// Announced again: known already, not reported twice.
	_, err = b.Announce([]netip.AddrPort{a.Addr()})
	require.NoError(t, err)
	require.NoError(t, b.Send(a.Addr(), "after"))
	assert.Equal(t, "after", recv(t, a).Text, "the second announcement was handled before this message")
	assert.Empty(t, heard)
	assert.Len(t, a.Peers(), 1)

	// A hand-written announcement (as nc could send) names another port:
	// the peer is recorded at the port it announced.
	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer raw.Close()
	_, err = raw.WriteToUDPAddrPort([]byte("NETLAB-HERE 1 carol 40404\n"), a.Addr())
	require.NoError(t, err)
	select {
	case p := <-heard:
		assert.Equal(t, Peer{Name: "carol", Addr: netip.AddrPortFrom(loopback, 40404)}, p)
	case <-time.After(5 * time.Second):
		t.Fatal("alice never heard carol")
	}
	assert.Equal(t, uint64(1), a.Stats().Received, "announcements are not chat messages: only \"after\" was one")
}

// TestUDPPeerBoundsAnnouncedPeers: a flood of forged announcements, each
// naming another port, cannot grow the peer list past MaxKnownPeers.
func TestUDPPeerBoundsAnnouncedPeers(t *testing.T) {
	p := startPeer(t, "alice", func(c *PeerConfig) { c.QueueLen = 1 })
	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	require.NoError(t, err)
	defer raw.Close()
	const flood = MaxKnownPeers + 200
	for i := range flood {
		_, err := raw.WriteToUDPAddrPort(fmt.Appendf(nil, "NETLAB-HERE 1 f%d %d\n", i, 1+i), p.Addr())
		require.NoError(t, err)
		if i%100 == 99 {
			// Let the peer keep up: a socket buffer overflow would lose
			// datagrams and make the bound look met when it was not tested.
			require.NoError(t, p.Send(p.Addr(), "mark"))
			recv(t, p)
		}
	}
	require.NoError(t, p.Send(p.Addr(), "end"))
	assert.Equal(t, "end", recv(t, p).Text)
	assert.Len(t, p.Peers(), MaxKnownPeers)
}
