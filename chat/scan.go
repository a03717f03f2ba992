package chat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// ScanConfig configures [ScanPorts], the bounded form of the course's port
// sweep: instead of every port from 10 to 65534 for a minute, a short range
// on local hosts at a fixed rate.
type ScanConfig struct {
	// Name is this prober's name, sent in NETLAB-DISCOVER.
	Name string
	// Hosts are the addresses to sweep. Each must be local: loopback,
	// private (RFC 1918), link-local, or on a subnet of an up interface.
	Hosts []netip.Addr
	// FromPort and ToPort bound the sweep, both included.
	FromPort, ToPort int
	// Rate is the number of probes sent per second (1..10,000).
	Rate int
	// MaxProbes bounds len(Hosts) × (ToPort-FromPort+1).
	MaxProbes int
	// Wait is how long replies are still collected after the last probe.
	Wait time.Duration
	// Bind is the probing socket's local address; "0.0.0.0:0" by default.
	Bind string
	// Progress, when set, is called after each probe with the number sent so
	// far and the total.
	Progress func(sent, total int)
	// OnPeer, when set, is called for each new peer as its reply arrives.
	OnPeer func(Peer)
}

// DefaultScanConfig sweeps 127.0.0.1 from port 23430 to 23440 at 1,000
// probes per second, at most 4,096 probes, collecting replies for 300 ms more.
func DefaultScanConfig() ScanConfig {
	return ScanConfig{
		Name: "netlab", Hosts: []netip.Addr{netip.MustParseAddr("127.0.0.1")},
		FromPort: DefaultPort - 2, ToPort: DefaultPort + 8, Rate: 1000, MaxProbes: 4096,
		Wait: 300 * time.Millisecond,
	}
}

func (c ScanConfig) validate(local func(netip.Addr) bool) error {
	if err := ValidateName(c.Name); err != nil {
		return fmt.Errorf("chat: ScanConfig.Name: %w", err)
	}
	if len(c.Hosts) == 0 {
		return errors.New("chat: ScanConfig.Hosts is empty")
	}
	for _, h := range c.Hosts {
		if !h.Is4() {
			return fmt.Errorf("chat: ScanConfig.Hosts: %v is not an IPv4 address", h)
		}
		if !local(h) {
			return fmt.Errorf("chat: ScanConfig.Hosts: %v is not a local address (loopback, private, link-local or on an attached subnet)", h)
		}
	}
	if c.FromPort < 1 || c.ToPort > 65535 || c.FromPort > c.ToPort {
		return fmt.Errorf("chat: ScanConfig ports %d-%d: want 1 <= FromPort <= ToPort <= 65535", c.FromPort, c.ToPort)
	}
	if c.Rate < 1 || c.Rate > 10000 {
		return fmt.Errorf("chat: ScanConfig.Rate %d outside 1..10000 probes/s", c.Rate)
	}
	if c.MaxProbes < 1 {
		return fmt.Errorf("chat: ScanConfig.MaxProbes %d must be at least 1", c.MaxProbes)
	}
	if n := len(c.Hosts) * (c.ToPort - c.FromPort + 1); n > c.MaxProbes {
		return fmt.Errorf("chat: ScanConfig: %d probes exceed MaxProbes %d; narrow the port range", n, c.MaxProbes)
	}
	if c.Wait < 0 {
		return fmt.Errorf("chat: ScanConfig.Wait %v is negative", c.Wait)
	}
	return nil
}

// IsLocalTarget reports whether ip is an address [ScanPorts] may probe:
// loopback, private (10/8, 172.16/12, 192.168/16), link-local (169.254/16),
// or inside the subnet of an up interface of this host.
func IsLocalTarget(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() {
		return true
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return false
	}
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok {
				if p, ok := prefixOf(ipn); ok && p.Masked().Contains(ip) {
					return true
				}
			}
		}
	}
	return false
}

// ScanPorts sends a NETLAB-DISCOVER probe to every port of the range on each
// host, paced at Rate, and collects NETLAB-HERE replies until Wait after the
// last probe. It finds peers on ports nobody announced, where [Discover] only
// asks the well-known one.
func ScanPorts(ctx context.Context, cfg ScanConfig) (DiscoverResult, error) {
	if err := cfg.validate(IsLocalTarget); err != nil {
		return DiscoverResult{}, err
	}
	pr, err := newProber(cfg.Name, cfg.Bind, 0, cfg.OnPeer)
	if err != nil {
		return DiscoverResult{}, err
	}
	var targets []netip.AddrPort
	for _, h := range cfg.Hosts {
		for port := cfg.FromPort; port <= cfg.ToPort; port++ {
			targets = append(targets, netip.AddrPortFrom(h, uint16(port)))
		}
	}
	finish := func(err error) (DiscoverResult, error) {
		pr.close()
		return pr.result(targets), err
	}
	interval := time.Second / time.Duration(cfg.Rate)
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i, t := range targets {
		// Pace against the start time, not the previous send, so timer
		// lateness does not add up over a long sweep.
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return finish(ctx.Err())
			}
		}
		pr.send(t)
		if cfg.Progress != nil {
			cfg.Progress(i+1, len(targets))
		}
	}
	timer.Reset(cfg.Wait)
	select {
	case <-timer.C:
	case <-ctx.Done():
		return finish(ctx.Err())
	}
	return finish(nil)
}
