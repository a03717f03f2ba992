package p2p

import (
	"context"
	"errors"
	"maps"
	"net/netip"
	"slices"
	"time"
)

// Healing a partition. A peer remembers the neighbours it declared dead (its
// lost list). At every refresh it compares that list with the seeds' fresh
// peer lists: a lost neighbour the seeds list again has registered since it
// was reported, so it is alive, and the only reason this peer could not reach
// it was the path between them (a partition, or a pause that looked like a
// death). The peer dials it again; once the path works, the link is back.
// This is how Serf heals partitions: it keeps failed members for a while and
// keeps trying to reconnect to them.

// lostMax bounds the lost list; the oldest entry makes room for a new one.
const lostMax = 64

// reconnectTries is how many lost neighbours one refresh dials at most, so
// that a refresh across a long partition does not wait for many dial
// timeouts. One restored link is enough to join two sides.
const reconnectTries = 3

// errRefused is wrapped by connect when the other peer answers refused.
var errRefused = errors.New("refused")

// errFull is returned by connect when this peer is at its Capacity.
var errFull = errors.New("at capacity")

// lose records that the neighbour addr was declared dead at now. The caller
// holds p.mu.
func (p *Peer) lose(addr netip.AddrPort, now time.Time) {
	if _, ok := p.lost[addr]; !ok && len(p.lost) >= lostMax {
		var oldest netip.AddrPort
		var at time.Time
		for a, t := range p.lost {
			if at.IsZero() || t.Before(at) {
				oldest, at = a, t
			}
		}
		delete(p.lost, oldest)
	}
	p.lost[addr] = now
}

// Lost returns the neighbours the peer declared dead and still tries to
// reconnect to when the seeds list them again, sorted.
func (p *Peer) Lost() []netip.AddrPort {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.SortedFunc(maps.Keys(p.lost), netip.AddrPort.Compare)
}

// reconnect dials lost neighbours that appear in known, the union of the
// seeds' fresh peer lists, and returns how many links it restored. Entries
// older than ReconnectTimeout, and neighbours that are linked again, leave
// the list; so does a neighbour that answers refused (it is reachable, and
// full: the partition, if any, is over between the two). A lost neighbour
// the seeds do not list is probably dead for good and is not dialled.
func (p *Peer) reconnect(ctx context.Context, known []netip.AddrPort) int {
	listed := make(map[netip.AddrPort]bool, len(known))
	for _, a := range known {
		listed[a] = true
	}
	now := p.cfg.Now()
	p.mu.Lock()
	var try []netip.AddrPort
	for a, at := range p.lost {
		switch {
		case now.Sub(at) > p.cfg.ReconnectTimeout || p.links[a] != nil:
			delete(p.lost, a)
		case listed[a]:
			try = append(try, a)
		}
	}
	// Sorted first, so that the injected Rand alone decides the order.
	slices.SortFunc(try, func(a, b netip.AddrPort) int { return a.Compare(b) })
	p.rnd.Shuffle(len(try), func(i, j int) { try[i], try[j] = try[j], try[i] })
	p.mu.Unlock()

	made := 0
	for _, a := range try[:min(len(try), reconnectTries)] {
		if ctx.Err() != nil {
			break
		}
		err := p.connect(ctx, a)
		if errors.Is(err, errFull) {
			break
		}
		if err != nil && !errors.Is(err, errRefused) {
			continue // still unreachable: try again at the next refresh
		}
		p.mu.Lock()
		delete(p.lost, a)
		if err == nil {
			made++
			p.stats.Reconnected++
		}
		p.mu.Unlock()
		if err == nil {
			p.log.Info("reconnected to lost neighbour", "self", p.addr.String(), "neighbour", a.String())
		}
	}
	return made
}
