package gossip

// Membership: who is in the cluster, the events a member sees when that
// changes, graceful leaves, and reconnection to members that failed.

import (
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/memberlist"
)

// Member is a live member of the cluster.
type Member struct {
	Name string
	Addr string // host:port
	Meta []byte
}

// EventKind says what happened to a member.
type EventKind uint8

// Membership events.
const (
	EventJoin   EventKind = iota + 1 // a member joined (or came back)
	EventLeave                       // a member left gracefully
	EventFail                        // a member was declared dead by failure detection
	EventUpdate                      // a member's metadata changed
)

// String names the event kind.
func (k EventKind) String() string { return enumName(eventNames[:], uint8(k), "event") }

var eventNames = [...]string{EventJoin: "join", EventLeave: "leave", EventFail: "fail", EventUpdate: "update"}

// Event is a membership change seen by this member.
type Event struct {
	Kind   EventKind
	Member Member
	At     time.Time
}

type deadMember struct {
	addr  string
	since time.Time
}

// Leave tells the cluster this member is leaving, waiting up to timeout for
// each of its two messages to go out. The member keeps running until Close.
//
// memberlist reports a graceful leave and a failure through the same
// callback, so Leave first publishes a "leaving" flag in the member's
// metadata; the others then report [EventLeave] rather than [EventFail] and do
// not try to reconnect.
func (c *Cluster) Leave(timeout time.Duration) error {
	if c.isClosed() {
		return ErrClusterClosed
	}
	if !c.leaving.Swap(true) {
		if err := c.ml.UpdateNode(timeout); err != nil {
			c.logf("leave: metadata update", "err", err)
		}
	}
	return c.ml.Leave(timeout)
}

// Members returns the live members, this one included, sorted by name.
func (c *Cluster) Members() []Member {
	c.mu.Lock()
	out := make([]Member, 0, len(c.live))
	for _, m := range c.live {
		out = append(out, m)
	}
	c.mu.Unlock()
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// NumMembers returns how many live members this member knows, itself included.
func (c *Cluster) NumMembers() int { return c.ml.NumMembers() }

// Events returns the channel of membership events (this member's own join
// included). It is never closed; events are dropped (and counted) when it
// is full.
func (c *Cluster) Events() <-chan Event { return c.events }

// Member metadata on the wire is one flags byte followed by
// [ClusterConfig.Meta].
const metaLeaving = 1

func toMember(n *memberlist.Node) Member {
	m := Member{Name: n.Name, Addr: n.Address()}
	if len(n.Meta) > 1 {
		m.Meta = slices.Clone(n.Meta[1:])
	}
	return m
}

func isLeaving(n *memberlist.Node) bool { return len(n.Meta) > 0 && n.Meta[0]&metaLeaving != 0 }

func (c *Cluster) emit(kind EventKind, n *memberlist.Node) {
	select {
	case c.events <- Event{Kind: kind, Member: toMember(n), At: time.Now()}:
	default:
		c.stats.eventDrops.Add(1)
	}
}

// housekeepLoop retries failed members and forgets old bodies.
func (c *Cluster) housekeepLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.ReconnectInterval)
	defer t.Stop()
	for {
		select {
		case <-c.closed:
			return
		case <-t.C:
			c.reconnect()
			c.forgetBodies()
		}
	}
}

// reconnect tries to join one randomly chosen failed member, with
// probability failed/alive (as Serf does), so that the cluster as a whole
// makes about one attempt per ReconnectInterval however large it is, and a
// burst of false failures cannot turn into a storm of joins. A join is a
// push-pull state exchange over a stream: if the member is back (or the
// partition healed), each side learns the other's view, each refutes the
// other's belief that it is dead, and the views merge.
func (c *Cluster) reconnect() {
	now := time.Now()
	alive := c.ml.NumMembers()
	c.mu.Lock()
	var addrs []string
	for name, d := range c.dead {
		if now.Sub(d.since) > c.cfg.ReconnectTimeout {
			delete(c.dead, name)
			continue
		}
		addrs = append(addrs, d.addr)
	}
	if len(addrs) == 0 || c.rng.Float64() >= float64(len(addrs))/float64(max(1, alive)) {
		c.mu.Unlock()
		return
	}
	slices.Sort(addrs)
	addr := addrs[c.rng.IntN(len(addrs))]
	c.mu.Unlock()
	c.stats.reconnectAttempts.Add(1)
	if _, err := c.ml.Join([]string{addr}); err == nil {
		c.stats.reconnects.Add(1)
	}
}

func (d *clusterDelegate) NotifyMsg(b []byte) { d.c.handle(slices.Clone(b)) }

func (d *clusterDelegate) NotifyJoin(n *memberlist.Node) {
	d.c.mu.Lock()
	delete(d.c.dead, n.Name)
	d.c.live[n.Name] = toMember(n)
	d.c.mu.Unlock()
	d.c.emit(EventJoin, n)
}

func (d *clusterDelegate) NotifyLeave(n *memberlist.Node) {
	failed := !isLeaving(n)
	d.c.mu.Lock()
	delete(d.c.live, n.Name)
	if failed {
		d.c.dead[n.Name] = deadMember{addr: n.Address(), since: time.Now()}
	} else {
		delete(d.c.dead, n.Name)
	}
	d.c.mu.Unlock()
	d.c.wakeJoin()
	if failed {
		d.c.emit(EventFail, n)
	} else {
		d.c.emit(EventLeave, n)
	}
}

func (d *clusterDelegate) NotifyUpdate(n *memberlist.Node) {
	d.c.mu.Lock()
	d.c.live[n.Name] = toMember(n)
	d.c.mu.Unlock()
	if !isLeaving(n) { // the leaving flag is announced by the leave itself
		d.c.emit(EventUpdate, n)
	}
}
