package chat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// LimitedBroadcast is 255.255.255.255, the limited broadcast address (RFC 919):
// every host on the local link, never forwarded by a router.
var LimitedBroadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// DirectedBroadcast returns the directed broadcast address of an IPv4
// subnet (RFC 919, RFC 922): the network address with every host bit set,
// 192.168.1.255 for 192.168.1.37/24. /31 and /32 subnets have no broadcast
// address (RFC 3021) and IPv6 has no broadcast at all: ok is false for them.
func DirectedBroadcast(p netip.Prefix) (bcast netip.Addr, ok bool) {
	if !p.Addr().Is4() || p.Bits() < 0 || p.Bits() > 30 {
		return netip.Addr{}, false
	}
	a := p.Addr().As4()
	host := ^uint32(0) >> p.Bits()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// InterfaceBroadcasts returns the directed broadcast address of every IPv4
// subnet on an interface that is up, broadcast-capable and not loopback.
func InterfaceBroadcasts() ([]netip.Addr, error) {
	ifaces, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("chat: list interfaces: %w", err)
	}
	var out []netip.Addr
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagBroadcast == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, err := ifc.Addrs()
		if err != nil {
			continue
		}
		for _, a := range addrs {
			ipn, ok := a.(*net.IPNet)
			if !ok {
				continue
			}
			p, ok := prefixOf(ipn)
			if !ok {
				continue
			}
			if b, ok := DirectedBroadcast(p); ok && !slices.Contains(out, b) {
				out = append(out, b)
			}
		}
	}
	return out, nil
}

func prefixOf(ipn *net.IPNet) (netip.Prefix, bool) {
	ip, ok := netip.AddrFromSlice(ipn.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ip = ip.Unmap()
	ones, bits := ipn.Mask.Size()
	if !ip.Is4() || (bits != 32 && bits != 128) {
		return netip.Prefix{}, false
	}
	if bits == 128 {
		ones -= 96
	}
	return netip.PrefixFrom(ip, ones), true
}

// Peer is a chat peer that answered a discovery probe.
type Peer struct {
	Name string         // the name in its NETLAB-HERE reply
	Addr netip.AddrPort // the reply's source address with the port it announced
	RTT  time.Duration  // from the first probe sent to this reply
}

// DiscoverConfig configures [Discover].
type DiscoverConfig struct {
	// Name is this prober's name, sent in NETLAB-DISCOVER.
	Name string
	// Ports are the UDP ports peers may listen on: every broadcast address,
	// neighbour and host is probed at each of them, and a peer that answers
	// announces its own port in NETLAB-HERE. Empty means [DefaultPort] alone.
	// [PortRange] builds a range; at most [MaxDiscoverPorts].
	Ports []int
	// Hosts are addresses probed by unicast at every port of Ports, as the
	// broadcast addresses are (127.0.0.1 finds the peers on this host).
	Hosts []netip.Addr
	// Bind is the local address of the probing socket; "0.0.0.0:0" by
	// default. Bind "127.0.0.1:0" to keep discovery on loopback.
	Bind string
	// Broadcast probes the directed broadcast address of every up IPv4
	// interface and the limited broadcast 255.255.255.255.
	Broadcast bool
	// ARP probes every resolved neighbour in the ARP table by unicast.
	ARP bool
	// Targets are further addresses to probe by unicast.
	Targets []netip.AddrPort
	// Wait is how long to collect replies from the first probe on.
	Wait time.Duration
	// Attempts is how many rounds of probes are sent, spread over the first
	// half of Wait, since UDP may lose any one of them.
	Attempts int
	// StopAfter ends discovery as soon as this many peers answered; 0 waits
	// the whole of Wait.
	StopAfter int
	// OnPeer, when set, is called for each new peer as its reply arrives,
	// one call at a time.
	OnPeer func(Peer)
	// Logger receives debug records; nil is silent.
	Logger *slog.Logger
}

// DefaultDiscoverConfig probes the broadcast addresses and ARP neighbours at
// [DefaultPort] for one second, in two rounds.
func DefaultDiscoverConfig() DiscoverConfig {
	return DiscoverConfig{
		Name: "netlab", Ports: []int{DefaultPort}, Bind: "0.0.0.0:0",
		Broadcast: true, ARP: true, Wait: time.Second, Attempts: 2,
	}
}

func (c DiscoverConfig) validate() error {
	if err := ValidateName(c.Name); err != nil {
		return fmt.Errorf("chat: DiscoverConfig.Name: %w", err)
	}
	if len(c.Ports) > MaxDiscoverPorts {
		return fmt.Errorf("chat: DiscoverConfig.Ports has %d ports, at most %d", len(c.Ports), MaxDiscoverPorts)
	}
	for _, p := range c.Ports {
		if p < 1 || p > 65535 {
			return fmt.Errorf("chat: DiscoverConfig.Ports: %d outside 1..65535", p)
		}
	}
	for _, h := range c.Hosts {
		if !h.Is4() {
			return fmt.Errorf("chat: DiscoverConfig.Hosts: %v is not an IPv4 address", h)
		}
	}
	if c.Wait <= 0 {
		return fmt.Errorf("chat: DiscoverConfig.Wait %v must be positive", c.Wait)
	}
	if c.Attempts < 1 || c.Attempts > 10 {
		return fmt.Errorf("chat: DiscoverConfig.Attempts %d outside 1..10", c.Attempts)
	}
	if c.StopAfter < 0 {
		return fmt.Errorf("chat: DiscoverConfig.StopAfter %d is negative", c.StopAfter)
	}
	for _, t := range c.Targets {
		if !t.Addr().Is4() || t.Port() == 0 {
			return fmt.Errorf("chat: DiscoverConfig.Targets: %v is not an IPv4 address with a port", t)
		}
	}
	return nil
}

// DiscoverResult is what a discovery or port scan found.
type DiscoverResult struct {
	Peers      []Peer           // in order of arrival, one per name and address
	Targets    []netip.AddrPort // where probes went
	Sent       int              // probes sent
	SendErrors int              // probes the kernel refused (e.g. no route to 255.255.255.255)
	Malformed  int              // replies that were not a valid NETLAB-HERE
}

// MaxDiscoverPorts bounds [DiscoverConfig.Ports]: each port multiplies the
// probes sent to every address.
const MaxDiscoverPorts = 4096

// PortRange returns the ports from through to, both included (nil when
// from > to).
func PortRange(from, to int) []int {
	if from > to {
		return nil
	}
	out := make([]int, 0, to-from+1)
	for p := from; p <= to; p++ {
		out = append(out, p)
	}
	return out
}

// ProbeTargets lists where [Discover] sends its probes: each directed broadcast
// in bcasts and 255.255.255.255 (when cfg.Broadcast), each neighbour of arp
// (when cfg.ARP) and each of cfg.Hosts, each at every port of cfg.Ports
// ([DefaultPort] when empty), then cfg.Targets as they are, without
// duplicates.
func ProbeTargets(cfg DiscoverConfig, bcasts []netip.Addr, arp Table) []netip.AddrPort {
	var addrs []netip.Addr
	if cfg.Broadcast {
		addrs = append(addrs, bcasts...)
		addrs = append(addrs, LimitedBroadcast)
	}
	if cfg.ARP {
		for _, e := range arp.Neighbours() {
			addrs = append(addrs, e.IP)
		}
	}
	addrs = append(addrs, cfg.Hosts...)
	ports := cfg.Ports
	if len(ports) == 0 {
		ports = []int{DefaultPort}
	}
	var out []netip.AddrPort
	seen := map[netip.AddrPort]bool{}
	add := func(ap netip.AddrPort) {
		if !seen[ap] {
			seen[ap] = true
			out = append(out, ap)
		}
	}
	for _, a := range addrs {
		for _, p := range ports {
			add(netip.AddrPortFrom(a, uint16(p)))
		}
	}
	for _, t := range cfg.Targets {
		add(t)
	}
	return out
}

// Discover looks for chat peers: it sends NETLAB-DISCOVER probes to the
// targets [ProbeTargets] lists (so it finds peers on any port of
// [DiscoverConfig.Ports], not only [DefaultPort]) and collects NETLAB-HERE replies until Wait has
// passed, StopAfter peers answered, or ctx ends (then it returns what it found
// with ctx's error).
func Discover(ctx context.Context, cfg DiscoverConfig) (DiscoverResult, error) {
	if err := cfg.validate(); err != nil {
		return DiscoverResult{}, err
	}
	var bcasts []netip.Addr
	var arp Table
	var err error
	if cfg.Broadcast {
		if bcasts, err = InterfaceBroadcasts(); err != nil {
			return DiscoverResult{}, err
		}
	}
	if cfg.ARP {
		if arp, err = ARPTable(); err != nil {
			logger(cfg.Logger).Debug("no ARP table", "err", err)
		}
	}
	targets := ProbeTargets(cfg, bcasts, arp)
	if len(targets) == 0 {
		return DiscoverResult{}, errors.New("chat: discovery has no targets (enable Broadcast or ARP, or give Hosts or Targets)")
	}
	pr, err := newProber(cfg.Name, cfg.Bind, cfg.StopAfter, cfg.OnPeer)
	if err != nil {
		return DiscoverResult{}, err
	}
	finish := func(err error) (DiscoverResult, error) {
		pr.close() // no reply is counted after this
		return pr.result(targets), err
	}
	deadline := time.NewTimer(cfg.Wait)
	defer deadline.Stop()
	gap := cfg.Wait / time.Duration(2*cfg.Attempts)
	for i := 0; i < cfg.Attempts; i++ {
		for _, t := range targets {
			pr.send(t)
		}
		if i == cfg.Attempts-1 {
			break
		}
		select {
		case <-time.After(gap):
		case <-pr.enough:
			return finish(nil)
		case <-ctx.Done():
			return finish(ctx.Err())
		}
	}
	select {
	case <-deadline.C:
	case <-pr.enough:
	case <-ctx.Done():
		return finish(ctx.Err())
	}
	return finish(nil)
}

// prober owns the socket of one discovery or scan: it sends probes and a
// goroutine collects the replies.
type prober struct {
	conn      *net.UDPConn
	probe     []byte
	start     time.Time
	stopAfter int
	onPeer    func(Peer)
	enough    chan struct{}
	done      chan struct{}
	closeOnce sync.Once

	mu        sync.Mutex
	peers     []Peer
	sent      int
	sendErrs  int
	malformed int
}

func newProber(name, bind string, stopAfter int, onPeer func(Peer)) (*prober, error) {
	probe, err := Probe{Kind: ProbeDiscover, Name: name}.MarshalText()
	if err != nil {
		return nil, err
	}
	if bind == "" {
		bind = "0.0.0.0:0"
	}
	la, err := net.ResolveUDPAddr("udp4", bind)
	if err != nil {
		return nil, fmt.Errorf("chat: bind address %q: %w", bind, err)
	}
	conn, err := net.ListenUDP("udp4", la)
	if err != nil {
		return nil, fmt.Errorf("chat: bind %s: %w", bind, err)
	}
	pr := &prober{conn: conn, probe: probe, start: time.Now(), stopAfter: stopAfter, onPeer: onPeer,
		enough: make(chan struct{}), done: make(chan struct{})}
	go pr.receive()
	return pr, nil
}

func (pr *prober) send(to netip.AddrPort) {
	_, err := pr.conn.WriteToUDPAddrPort(pr.probe, to)
	pr.mu.Lock()
	defer pr.mu.Unlock()
	pr.sent++
	if err != nil {
		pr.sendErrs++
	}
}

func (pr *prober) receive() {
	defer close(pr.done)
	buf := make([]byte, MaxProbeBytes+1)
	for {
		n, from, err := pr.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			return // closed by close(); an unconnected UDP socket reports nothing else
		}
		p, err := ParseProbe(buf[:n])
		if err != nil {
			if !errors.Is(err, ErrNotProbe) {
				pr.count(&pr.malformed)
			}
			continue
		}
		if p.Kind != ProbeHere {
			continue
		}
		peer := Peer{Name: p.Name, Addr: netip.AddrPortFrom(from.Addr().Unmap(), uint16(p.Port)), RTT: time.Since(pr.start)}
		if pr.add(peer) && pr.onPeer != nil {
			pr.onPeer(peer)
		}
	}
}

func (pr *prober) count(c *int) {
	pr.mu.Lock()
	*c++
	pr.mu.Unlock()
}

// add records a peer unless already known, closing enough at StopAfter.
func (pr *prober) add(p Peer) bool {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	for _, q := range pr.peers {
		if q.Name == p.Name && q.Addr == p.Addr {
			return false
		}
	}
	pr.peers = append(pr.peers, p)
	if pr.stopAfter > 0 && len(pr.peers) == pr.stopAfter {
		close(pr.enough)
	}
	return true
}

func (pr *prober) close() {
	pr.closeOnce.Do(func() { _ = pr.conn.Close() })
	<-pr.done
}

func (pr *prober) result(targets []netip.AddrPort) DiscoverResult {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	return DiscoverResult{Peers: slices.Clone(pr.peers), Targets: targets, Sent: pr.sent,
		SendErrors: pr.sendErrs, Malformed: pr.malformed}
}
