package p2p

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// startRefresh runs one refresh in the background unless one is running: the
// first call joins the overlay, later ones register again, reconnect to lost
// neighbours that the seeds list again, and top up the neighbours.
func (p *Peer) startRefresh(ctx context.Context) {
	p.mu.Lock()
	if p.refreshing {
		p.mu.Unlock()
		return
	}
	p.refreshing = true
	p.mu.Unlock()
	if !p.conns.Go(func() {
		p.refresh(ctx)
		p.mu.Lock()
		p.refreshing = false
		p.mu.Unlock()
	}) {
		p.mu.Lock()
		p.refreshing = false
		p.mu.Unlock()
	}
}

func (p *Peer) refresh(ctx context.Context) {
	known, err := p.register(ctx)
	if err != nil {
		p.log.Warn("registration failed", "self", p.addr.String(), "error", err.Error())
		return
	}
	// Lost neighbours first: a restored link counts toward the quota.
	p.reconnect(ctx, known)
	p.mu.Lock()
	want := p.cfg.Neighbours - len(p.links)
	p.mu.Unlock()
	if want > 0 {
		p.pickNeighbours(ctx, known, want, netip.AddrPort{})
	}
	p.mu.Lock()
	first := !p.joined
	p.joined = true
	p.mu.Unlock()
	if first {
		close(p.joinedCh)
	}
}

// register registers with Majority(n) seeds chosen at random, trying others
// in place of any that fail, and returns the union of their peer lists.
func (p *Peer) register(ctx context.Context) ([]netip.AddrPort, error) {
	p.mu.Lock()
	order := p.rnd.Perm(len(p.cfg.Seeds))
	p.mu.Unlock()
	need := Majority(len(p.cfg.Seeds))
	reg := Message{Kind: KindRegister, Addr: p.addr}.String()
	get := Message{Kind: KindGetPeerList}.String()
	var ok []netip.AddrPort
	union := map[netip.AddrPort]bool{}
	var errs []string
	for _, i := range order {
		if len(ok) == need {
			break
		}
		seed := p.cfg.Seeds[i]
		replies, err := exchange(ctx, p.dial, seed, p.cfg.DialTimeout, MaxLineLength, reg, get)
		if err == nil && (replies[0].Kind != KindRegistered || replies[1].Kind != KindPeerList) {
			err = fmt.Errorf("%s answered %s, %s", seed, replies[0].Kind, replies[1].Kind)
		}
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		ok = append(ok, seed)
		for _, a := range replies[1].Peers {
			union[a] = true
		}
		p.log.Info("peer list received", "self", p.addr.String(), "seed", seed.String(),
			"peers", peerListText(replies[1].Peers))
	}
	if len(ok) < need {
		return nil, fmt.Errorf("%w: %d of %d needed (%s)", ErrNoMajority, len(ok), need, strings.Join(errs, "; "))
	}
	known := make([]netip.AddrPort, 0, len(union))
	for a := range union {
		known = append(known, a)
	}
	p.mu.Lock()
	p.registered, p.known = ok, known
	p.mu.Unlock()
	return known, nil
}

func peerListText(peers []netip.AddrPort) string {
	s := Message{Kind: KindPeerList, Peers: peers}.String()
	return s[len(prefixPeerList):]
}

// pickNeighbours connects to up to want new neighbours from known, chosen by
// preferential attachment. Degrees are estimated by asking a random sample of
// candidates for their neighbour lists: a candidate's degree is known exactly
// when it was sampled, and otherwise estimated from how often it appears in
// the sampled lists (each appearance is one end of an edge, so appearances
// grow with degree). It returns how many links it made.
func (p *Peer) pickNeighbours(ctx context.Context, known []netip.AddrPort, want int, avoid netip.AddrPort) int {
	p.mu.Lock()
	var cands []netip.AddrPort
	for _, a := range known {
		if a != p.addr && a != avoid && p.links[a] == nil {
			cands = append(cands, a)
		}
	}
	p.rnd.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	p.mu.Unlock()
	if len(cands) == 0 {
		return 0
	}
	sample := cands[:min(p.cfg.Sample, len(cands))]
	exact := map[netip.AddrPort]int{}
	seen := map[netip.AddrPort]int{}
	get := Message{Kind: KindGetPeerList}.String()
	for _, a := range sample {
		replies, err := exchange(ctx, p.dial, a, p.cfg.DialTimeout, maxLinkLine*32, get)
		if err != nil || replies[0].Kind != KindPeerList {
			exact[a] = -1 // unreachable: not a candidate
			continue
		}
		exact[a] = len(replies[0].Peers)
		for _, n := range replies[0].Peers {
			seen[n]++
		}
	}
	scale := float64(len(cands)) / float64(len(sample))
	var weighted []Candidate
	for _, a := range cands {
		d, ok := exact[a]
		switch {
		case ok && d < 0:
			continue
		case !ok:
			d = int(float64(seen[a])*scale + 0.5)
		}
		weighted = append(weighted, Candidate{Addr: a, Degree: d})
	}
	p.mu.Lock()
	order := PreferentialPick(p.rnd, weighted, len(weighted))
	p.mu.Unlock()
	made := 0
	for _, a := range order {
		if made == want || ctx.Err() != nil {
			break
		}
		if err := p.connect(ctx, a); err != nil {
			p.log.Debug("connect failed", "self", p.addr.String(), "to", a.String(), "error", err.Error())
			continue
		}
		made++
	}
	return made
}

// reportAndReplace tells every seed the peer registered with that dead is
// dead, then the seeds it did not register with (the dead node may have
// registered with a different majority, and every seed should forget it),
// and picks a replacement neighbour from the seeds' fresh lists.
//
// Each report goes after a register line on the same connection: a seed
// takes Dead Node only from a registered peer, and this peer may not be
// registered with the seeds outside its majority. The seed probes the dead
// node before it answers, so a report may take up to the seed's probe
// timeout; the exchange allows twice DialTimeout.
func (p *Peer) reportAndReplace(ctx context.Context, dead netip.AddrPort) {
	p.mu.Lock()
	seeds := append([]netip.AddrPort(nil), p.registered...)
	p.mu.Unlock()
	for _, s := range p.cfg.Seeds {
		if !slices.Contains(seeds, s) {
			seeds = append(seeds, s)
		}
	}
	m := Message{Kind: KindDeadNode, Addr: dead, Time: StampOf(p.cfg.Now()), From: p.addr}
	reg := Message{Kind: KindRegister, Addr: p.addr}.String()
	line := m.String()
	var told, kept []string
	for _, s := range seeds {
		_, err := exchange(ctx, p.dial, s, 2*p.cfg.DialTimeout, maxLinkLine, reg, line)
		var declined *replyError
		switch {
		case errors.As(err, &declined) && declined.req == line:
			kept = append(kept, s.String())
			p.log.Info("seed kept the reported node", "self", p.addr.String(), "seed", s.String(), "dead", dead.String(),
				"reason", declined.text)
		case err != nil:
			p.log.Warn("dead node report failed", "self", p.addr.String(), "seed", s.String(), "error", err.Error())
		default:
			told = append(told, s.String())
		}
	}
	p.log.Info("dead node reported", "self", p.addr.String(), "dead", dead.String(),
		"timestamp", m.Time.String(), "reporter", nodeString(m.From), "seeds", strings.Join(told, ","),
		"kept_by", strings.Join(kept, ","))
	if ctx.Err() != nil {
		return
	}
	known, err := p.register(ctx)
	if err != nil {
		p.log.Warn("no replacement for dead neighbour", "self", p.addr.String(), "dead", dead.String(), "error", err.Error())
		return
	}
	p.pickNeighbours(ctx, known, 1, dead)
}
