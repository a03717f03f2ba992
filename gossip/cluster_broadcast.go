package gossip

// Epidemic broadcast: dedup, relay through memberlist's transmit-limited
// queue, and large broadcasts announced by gossip and fetched over streams.

import (
	crand "crypto/rand"
	"fmt"
	"slices"
	"time"

	"github.com/hashicorp/memberlist"
)

// MaxBroadcast is the largest payload Broadcast accepts.
const MaxBroadcast = 16 << 20

type seenEntry struct {
	id msgID
	at time.Time
}

type body struct {
	origin  string
	data    []byte
	expires time.Time
}

// Broadcast sends data to every live member: it is piggy-backed on gossip
// (or, above ClusterConfig.LargeMessage bytes, announced by gossip and
// fetched over streams), and every member that receives it relays it. The
// other members' OnMessage receive it once each; this member's does not.
func (c *Cluster) Broadcast(data []byte) error {
	if c.isClosed() {
		return ErrClusterClosed
	}
	if len(data) > MaxBroadcast {
		return fmt.Errorf("%w: broadcast of %d bytes, at most %d", ErrTooLarge, len(data), MaxBroadcast)
	}
	var id msgID
	crand.Read(id[:])
	c.markSeen(id)
	c.stats.sent.Add(1)
	data = slices.Clone(data)
	c.keepBody(id, c.name, data)
	c.enqueue(c.gossipForm(id, c.name, data))
	return nil
}

// gossipForm is what is gossiped for a broadcast: the broadcast itself, or
// for a large one an announcement that this member holds it.
func (c *Cluster) gossipForm(id msgID, origin string, data []byte) []byte {
	if len(data) <= c.cfg.LargeMessage {
		return clusterMsg{typ: cmBroadcast, id: id, origin: origin, payload: data}.encode()
	}
	return c.announce(id, len(data))
}

// keepBody holds a broadcast's payload for DedupExpiry so that members who
// missed it can fetch it (large broadcasts, push-pull repair).
func (c *Cluster) keepBody(id msgID, origin string, data []byte) {
	c.mu.Lock()
	c.bodies[id] = &body{origin: origin, data: data, expires: time.Now().Add(c.cfg.DedupExpiry)}
	c.mu.Unlock()
}

func (c *Cluster) announce(id msgID, size int) []byte {
	return clusterMsg{typ: cmAnnounce, id: id, size: uint32(size), origin: c.name, peer: c.name, addr: c.addr}.encode()
}

// enqueue puts an encoded message in the gossip queue, enforcing MaxQueue.
func (c *Cluster) enqueue(b []byte) {
	if n := c.queue.NumQueued(); n >= c.cfg.MaxQueue {
		if c.cfg.QueueDrop == DropNewest {
			c.stats.queueDrops.Add(1)
			return
		}
		c.queue.Prune(c.cfg.MaxQueue - 1)
		c.stats.queueDrops.Add(uint64(n - c.queue.NumQueued()))
	}
	c.queue.QueueBroadcast(queued(b))
}

// markSeen records a broadcast ID and reports whether it was new. IDs are
// forgotten after DedupExpiry, or earlier beyond DedupMax.
func (c *Cluster) markSeen(id msgID) bool {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.seenQ) > 0 && (len(c.seenQ) >= c.cfg.DedupMax || now.Sub(c.seenQ[0].at) > c.cfg.DedupExpiry) {
		delete(c.seen, c.seenQ[0].id)
		c.seenQ = c.seenQ[1:]
	}
	if _, ok := c.seen[id]; ok {
		return false
	}
	c.seen[id] = now
	c.seenQ = append(c.seenQ, seenEntry{id, now})
	return true
}

func (c *Cluster) isSeen(id msgID) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.seen[id]
	return ok
}

// handle processes one user message from memberlist (gossip or stream).
func (c *Cluster) handle(buf []byte) {
	m, err := decodeClusterMsg(buf)
	if err != nil {
		c.stats.malformed.Add(1)
		c.logf("dropped malformed message", "err", err)
		return
	}
	switch m.typ {
	case cmBroadcast:
		if !c.markSeen(m.id) {
			c.stats.dups.Add(1)
			return
		}
		c.stats.received.Add(1)
		c.keepBody(m.id, m.origin, m.payload)
		c.relay(buf)
		c.deliver(ClusterMessage{From: m.origin, Data: m.payload, Broadcast: true})
	case cmAnnounce:
		c.onAnnounce(m)
	case cmWant:
		c.onWant(m)
	case cmBody:
		c.onBody(m)
	case cmDirect:
		c.deliver(ClusterMessage{From: m.peer, Data: m.payload})
	case cmRequest:
		select {
		case c.requests <- m:
		default:
			c.stats.inboxDrops.Add(1)
		}
	case cmResponse:
		c.mu.Lock()
		ch := c.pending[m.request]
		c.mu.Unlock()
		if ch != nil {
			select {
			case ch <- m:
			default:
			}
		}
	}
}

func (c *Cluster) relay(buf []byte) {
	if c.cfg.Relay {
		c.stats.relayed.Add(1)
		c.enqueue(buf)
	}
}

// onAnnounce asks the holder of a large broadcast for its body, unless we
// have it or asked someone recently.
func (c *Cluster) onAnnounce(m clusterMsg) {
	if c.isSeen(m.id) {
		c.stats.dups.Add(1)
		return
	}
	now := time.Now()
	c.mu.Lock()
	if at, ok := c.wanted[m.id]; ok && now.Sub(at) < 2*c.cfg.TCPTimeout {
		c.mu.Unlock()
		return
	}
	c.wanted[m.id] = now
	c.mu.Unlock()
	c.stream(m.peer, m.addr, clusterMsg{typ: cmWant, id: m.id, peer: c.name, addr: c.addr})
}

func (c *Cluster) onWant(m clusterMsg) {
	c.mu.Lock()
	b := c.bodies[m.id]
	c.mu.Unlock()
	if b == nil {
		return
	}
	c.stats.served.Add(1)
	c.stream(m.peer, m.addr, clusterMsg{typ: cmBody, id: m.id, origin: b.origin, payload: b.data})
}

func (c *Cluster) onBody(m clusterMsg) {
	if !c.markSeen(m.id) {
		c.stats.dups.Add(1)
		return
	}
	c.stats.fetched.Add(1)
	c.stats.received.Add(1)
	c.mu.Lock()
	delete(c.wanted, m.id)
	c.mu.Unlock()
	c.keepBody(m.id, m.origin, m.payload)
	c.relay(c.gossipForm(m.id, m.origin, m.payload))
	c.deliver(ClusterMessage{From: m.origin, Data: m.payload, Broadcast: true})
}

func (c *Cluster) forgetBodies() {
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, b := range c.bodies {
		if now.After(b.expires) {
			delete(c.bodies, id)
		}
	}
	for id, at := range c.wanted {
		if now.Sub(at) > c.cfg.DedupExpiry {
			delete(c.wanted, id)
		}
	}
}

// queued is a broadcast in memberlist's transmit-limited queue. It is
// unique (never invalidates another), so the queue skips that scan.
type queued []byte

func (q queued) Invalidates(memberlist.Broadcast) bool { return false }

func (q queued) Message() []byte { return q }

func (q queued) Finished() {}

func (q queued) UniqueBroadcast() {}

func (d *clusterDelegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.c.queue.GetBroadcasts(overhead, limit)
}
