package p2p

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"
)

// DefaultProbeTimeout is how long a seed waits for a peer reported dead to
// answer its probe when [SeedConfig.ProbeTimeout] is zero. It is below
// [DefaultConfig]'s DialTimeout, so the reporter hears the verdict.
const DefaultProbeTimeout = time.Second

// Dead Node reports. The line protocol has no credentials, so a seed that
// believed every report would let anyone evict any live peer. A seed removes
// a peer only when both hold:
//
//  1. the reporter is a registered peer (its IP, or IP#Port when given, is in
//     the registry) and, with CheckSource, the line comes from the reporter's
//     IP; a seed cannot see the overlay's links, so this is as close to "a
//     neighbour" as it can check;
//  2. the seed's own probe of the reported peer gets no answer: a Liveness
//     Request on a fresh connection to the peer's listen address, answered
//     by any line within ProbeTimeout, means the peer lives.
//
// A report about a peer the registry does not hold is answered "dead node
// removed" without a probe, so nobody can aim the seed's probes at an
// arbitrary host.

// probeCall is one probe in flight, shared by every report about the same
// peer that arrives while it runs.
type probeCall struct {
	done  chan struct{}
	alive bool
}

// deadNode handles a Dead Node report on connection from src. The reply is
// "dead node removed", or an error line when the seed keeps the peer; a
// non-nil error means the report itself was not acceptable (a stranger's).
func (s *Seed) deadNode(src netip.Addr, m Message) (string, error) {
	if err := s.checkReporter(src, m.From); err != nil {
		return "", err
	}
	logArgs := []any{"seed", s.addr.String(), "dead", m.Addr.String(), "timestamp", m.Time.String(),
		"reporter", nodeString(m.From)}
	if !slices.Contains(s.reg.Peers(), m.Addr) {
		s.log.Info("seed: dead node report", append(logArgs, "removed", false, "reason", "not registered")...)
		return lineRemoved, nil
	}
	if s.probe(m.Addr) {
		s.log.Info("seed: dead node report", append(logArgs, "removed", false, "reason", "the peer answered the seed's probe")...)
		return prefixError + m.Addr.String() + " answered the seed's probe: not removed", nil
	}
	removed := s.reg.Remove(m.Addr)
	s.log.Info("seed: dead node report", append(logArgs, "removed", removed)...)
	return lineRemoved, nil
}

// checkReporter accepts a reporter that is a registered peer and, with
// CheckSource, the connection's source. A reporter written as an IP alone
// (the course's form) matches any registered peer at that IP.
func (s *Seed) checkReporter(src netip.Addr, from netip.AddrPort) error {
	if s.cfg.CheckSource && src != from.Addr() {
		return fmt.Errorf("reporter address %s does not match connection source %s", from.Addr(), src)
	}
	for _, p := range s.reg.Peers() {
		if p == from || (from.Port() == 0 && p.Addr() == from.Addr()) {
			return nil
		}
	}
	return fmt.Errorf("reporter %s is not a registered peer", nodeString(from))
}

// probe reports whether the peer at addr answers a Liveness Request within
// ProbeTimeout. Concurrent reports about one peer share one probe.
func (s *Seed) probe(addr netip.AddrPort) bool {
	s.mu.Lock()
	if pc := s.probes[addr]; pc != nil {
		s.mu.Unlock()
		<-pc.done
		return pc.alive
	}
	pc := &probeCall{done: make(chan struct{})}
	s.probes[addr] = pc
	s.mu.Unlock()

	pc.alive = s.ping(addr)
	s.mu.Lock()
	delete(s.probes, addr)
	s.mu.Unlock()
	close(pc.done)
	return pc.alive
}

// ping sends one Liveness Request to addr on a fresh connection. Any line
// back, a Liveness Reply or even an error line from a peer that does not
// take requests outside a link, shows that the process is there and serving.
// A refused or failed dial, a closed connection or silence is no answer.
func (s *Seed) ping(addr netip.AddrPort) bool {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.ProbeTimeout)
	defer cancel()
	c, err := s.dial(ctx, addr.String())
	if err != nil {
		return false
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	deadline, _ := ctx.Deadline()
	if err := c.SetDeadline(deadline); err != nil {
		return false
	}
	req := Message{Kind: KindLivenessRequest, Time: StampOf(s.cfg.Now()), From: s.addr}.String()
	if err := writeLine(c, req, s.cfg.ProbeTimeout); err != nil {
		return false
	}
	_, err = readLine(newLineReader(c, maxLinkLine))
	return err == nil || errors.Is(err, errLineTooLong)
}
