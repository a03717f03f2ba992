package p2p

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// serveIncoming answers the request lines of a connection the peer accepted
// until it turns into a link (connect), goes quiet, or misbehaves: a peer
// list (the neighbours) and liveness requests are answered to anyone.
func (p *Peer) serveIncoming(c net.Conn) {
	p.serveLines(c, maxLinkLine, p.cfg.MaxErrors, p.cfg.ReadTimeout, func(line string, br *bufio.Reader) (string, bool, error) {
		m, err := Parse(line)
		if err != nil {
			return "", false, err
		}
		switch m.Kind {
		case KindConnect:
			err := p.acceptLink(c, br, m)
			var refused *refusal
			if errors.As(err, &refused) {
				p.log.Info("refused connect", "self", p.addr.String(), "from", m.Addr.String(), "reason", refused.reason)
				return prefixRefused + refused.reason, true, nil
			}
			return "", err == nil, err // after a link, the connection is done
		case KindGetPeerList:
			return Message{Kind: KindPeerList, Peers: p.Neighbours()}.String(), false, nil
		case KindLivenessRequest:
			return p.livenessReply(m), false, nil
		}
		return "", false, fmt.Errorf("unexpected %s before connect", m.Kind)
	})
}

// refusal is a connect the peer declines; the other side gets "refused:".
type refusal struct{ reason string }

func (r *refusal) Error() string { return r.reason }

// acceptLink completes a connect handshake and reads the link until it
// breaks. A returned error means the handshake was rejected.
func (p *Peer) acceptLink(c net.Conn, br *bufio.Reader, m Message) error {
	if src := remoteAddr(c); src != m.Addr.Addr() {
		return fmt.Errorf("connect address %s does not match connection source %s", m.Addr.Addr(), src)
	}
	if m.Addr == p.addr {
		return &refusal{"that is my own address"}
	}
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		return err
	}
	lc, ok := p.attach(m.Addr, c, false, lineConnected)
	if !ok {
		return &refusal{"at capacity"}
	}
	p.readLink(m.Addr, lc, br)
	return nil
}

// connect dials addr, performs the connect handshake and, when accepted, runs
// the link in a goroutine.
func (p *Peer) connect(ctx context.Context, addr netip.AddrPort) error {
	p.mu.Lock()
	full := p.cfg.Capacity > 0 && len(p.links) >= p.cfg.Capacity && p.links[addr] == nil
	p.mu.Unlock()
	if full {
		return fmt.Errorf("%w (%d neighbours)", errFull, p.cfg.Capacity)
	}
	dctx, cancel := context.WithTimeout(ctx, p.cfg.DialTimeout)
	defer cancel()
	c, err := p.dial(dctx, addr.String())
	if err != nil {
		return err
	}
	if !p.conns.Track(c) {
		return net.ErrClosed
	}
	fail := func(err error) error { p.conns.Untrack(c); return err }
	if err := writeLine(c, Message{Kind: KindConnect, Addr: p.addr}.String(), p.cfg.DialTimeout); err != nil {
		return fail(err)
	}
	if err := c.SetReadDeadline(time.Now().Add(p.cfg.DialTimeout)); err != nil {
		return fail(err)
	}
	br := newLineReader(c, maxLinkLine)
	line, err := readLine(br)
	if err != nil {
		return fail(err)
	}
	m, err := Parse(line)
	switch {
	case err != nil:
		return fail(err)
	case m.Kind == KindRefused:
		return fail(fmt.Errorf("%s %w: %s", addr, errRefused, m.Text))
	case m.Kind != KindConnected:
		return fail(fmt.Errorf("%s answered connect with %s", addr, m.Kind))
	}
	if err := c.SetReadDeadline(time.Time{}); err != nil {
		return fail(err)
	}
	lc, ok := p.attach(addr, c, true, "")
	if !ok {
		return fail(fmt.Errorf("no room for %s", addr))
	}
	if !p.conns.Go(func() {
		defer p.conns.Untrack(c)
		p.readLink(addr, lc, br)
	}) {
		return fail(net.ErrClosed)
	}
	return nil
}

// attach makes c the connection of the link to addr, replacing a broken or
// older one, and starts its writer. first, if set, is the first line sent.
// It fails when the peer is closing or, for a new neighbour, at capacity.
func (p *Peer) attach(addr netip.AddrPort, c net.Conn, outgoing bool, first string) (*lconn, bool) {
	lc := &lconn{c: c, out: make(chan string, linkQueue), done: make(chan struct{})}
	if first != "" {
		lc.out <- first
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.links[addr]
	if l == nil && p.cfg.Capacity > 0 && len(p.links) >= p.cfg.Capacity {
		return nil, false
	}
	// A closed peer spawns nothing; Close, which waits for p.mu, closes
	// every link attached before.
	if !p.conns.Go(func() { p.writeLink(lc) }) {
		return nil, false
	}
	if l == nil {
		l = &link{addr: addr}
		p.links[addr] = l
	} else if l.c != nil {
		l.c.close()
	}
	l.c, l.outgoing, l.failures, l.awaiting = lc, outgoing, 0, false
	return lc, true
}

// writeLink sends queued lines until the connection closes.
func (p *Peer) writeLink(lc *lconn) {
	for {
		select {
		case <-lc.done:
			return
		case s := <-lc.out:
			if err := writeLine(lc.c, s, p.cfg.DialTimeout); err != nil {
				lc.close()
				return
			}
		}
	}
}

// readLink handles a link's incoming lines until it breaks; then the link is
// marked down (liveness decides whether the neighbour is dead).
func (p *Peer) readLink(addr netip.AddrPort, lc *lconn, br *bufio.Reader) {
	defer p.linkDown(addr, lc)
	errs := 0
	for {
		line, err := readLine(br)
		if errors.Is(err, errLineTooLong) {
			p.reject(addr.String(), "", fmt.Errorf("line longer than %d bytes", maxLinkLine))
			return
		}
		if err != nil {
			return
		}
		m, err := Parse(line)
		if err == nil {
			err = p.onLinkMessage(m, addr, lc)
		}
		if err != nil {
			errs++
			p.reject(addr.String(), line, err)
			lc.send(prefixError + err.Error())
			if errs >= p.cfg.MaxErrors {
				return
			}
		}
	}
}

func (p *Peer) onLinkMessage(m Message, from netip.AddrPort, lc *lconn) error {
	switch m.Kind {
	case KindGossip:
		p.onGossip(m, from)
	case KindLivenessRequest:
		lc.send(p.livenessReply(m))
	case KindLivenessReply:
		p.mu.Lock()
		if l := p.links[from]; l != nil && l.c == lc {
			l.awaiting, l.failures = false, 0
		}
		p.mu.Unlock()
	case KindError:
		p.log.Warn("neighbour reported an error", "self", p.addr.String(), "from", from.String(), "error", m.Text)
	default:
		return fmt.Errorf("unexpected %s on a link", m.Kind)
	}
	return nil
}

func (p *Peer) livenessReply(req Message) string {
	return Message{Kind: KindLivenessReply, Time: req.Time, From: req.From, To: p.addr}.String()
}

// linkDown marks the link down if lc is still its connection.
func (p *Peer) linkDown(addr netip.AddrPort, lc *lconn) {
	lc.close()
	p.mu.Lock()
	defer p.mu.Unlock()
	if l := p.links[addr]; l != nil && l.c == lc {
		l.c = nil
	}
}

// checkLiveness is one liveness round. A neighbour whose last request went
// unanswered, or whose connection is down, has failed one more check; at
// LivenessFailures it is declared dead, reported and replaced. A neighbour
// whose link is down is probed on a fresh connection (see probe).
func (p *Peer) checkLiveness(ctx context.Context) {
	now := p.cfg.Now()
	req := Message{Kind: KindLivenessRequest, Time: StampOf(now), From: p.addr}.String()
	var dead []netip.AddrPort
	type target struct {
		addr     netip.AddrPort
		outgoing bool
	}
	var probe []target
	p.mu.Lock()
	for addr, l := range p.links {
		if l.awaiting || l.c == nil {
			l.failures++
		}
		switch {
		case l.failures >= p.cfg.LivenessFailures:
			dead = append(dead, addr)
			p.lose(addr, now)
			if l.c != nil {
				l.c.close()
			}
			delete(p.links, addr)
		case l.c != nil:
			l.awaiting = true
			l.c.send(req)
		case !l.probing:
			l.probing = true
			probe = append(probe, target{addr, l.outgoing})
		}
	}
	p.stats.DeadReported += len(dead)
	p.mu.Unlock()
	for _, t := range probe {
		p.conns.Go(func() { p.probe(ctx, t.addr, t.outgoing, req) })
	}
	for _, a := range dead {
		p.conns.Go(func() { p.reportAndReplace(ctx, a) })
	}
}

// probe checks a neighbour whose link is down. The peer that opened the link
// redials it; the other side sends a one-off Liveness Request to the
// neighbour's listen address, and if that is answered the neighbour is alive
// and merely dropped the link (it declared this peer dead, or restarted), so
// the link is forgotten without a Dead Node report. A failed probe leaves the
// failure that this round already counted.
func (p *Peer) probe(ctx context.Context, addr netip.AddrPort, outgoing bool, req string) {
	alive := false
	if outgoing {
		alive = p.connect(ctx, addr) == nil
	} else {
		replies, err := exchange(ctx, p.dial, addr, p.cfg.DialTimeout, maxLinkLine, req)
		alive = err == nil && replies[0].Kind == KindLivenessReply
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	l := p.links[addr]
	if l == nil {
		return
	}
	l.probing = false
	if alive && !outgoing && l.c == nil {
		delete(p.links, addr)
	}
}
