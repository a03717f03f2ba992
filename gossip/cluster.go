package gossip

import (
	"context"
	crand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
)

// MaxBroadcast is the largest payload Broadcast accepts.
const MaxBroadcast = 16 << 20

// Errors returned by Cluster methods.
var (
	// ErrClusterClosed is returned once the Cluster has been closed.
	ErrClusterClosed = errors.New("gossip: cluster closed")
	// ErrUnknownMember is returned by Send and Request for a name that is
	// not a live member.
	ErrUnknownMember = errors.New("gossip: unknown member")
	// ErrNoEncryption is returned by the key methods of a cluster created
	// without ClusterConfig.Keys.
	ErrNoEncryption = errors.New("gossip: encryption is not enabled")
	// ErrRemote wraps the error text a member's OnRequest returned.
	ErrRemote = errors.New("gossip: remote error")
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
func (k EventKind) String() string {
	switch k {
	case EventJoin:
		return "join"
	case EventLeave:
		return "leave"
	case EventFail:
		return "fail"
	case EventUpdate:
		return "update"
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

// Event is a membership change seen by this member.
type Event struct {
	Kind   EventKind
	Member Member
	At     time.Time
}

// ClusterMessage is a broadcast or direct message received from another
// member.
type ClusterMessage struct {
	From      string // name of the member that sent (for a broadcast: originated) it
	Data      []byte
	Broadcast bool // true for Broadcast, false for Send
}

// ClusterStats counts what a Cluster did. Every bounded queue has a drop
// counter here.
type ClusterStats struct {
	BroadcastsSent     uint64 // Broadcast calls
	BroadcastsReceived uint64 // first copies of other members' broadcasts
	Duplicates         uint64 // further copies, discarded
	Relayed            uint64 // broadcasts re-queued for epidemic relay
	LargeServed        uint64 // large-broadcast bodies sent to members that asked
	LargeFetched       uint64 // large-broadcast bodies fetched over a stream
	Malformed          uint64 // undecodable messages, dropped
	QueueDrops         uint64 // broadcasts dropped because the queue was full
	InboxDrops         uint64 // messages dropped because OnMessage fell behind
	EventDrops         uint64 // events dropped because nobody read Events()
	OutboxDrops        uint64 // stream sends dropped because the workers fell behind
	StreamErrors       uint64 // stream sends that failed
	TransportDrops     uint64 // packets and streams the in-memory transport dropped
	Repairs            uint64 // broadcasts fetched because a push-pull digest showed them missing
	ReconnectAttempts  uint64 // joins tried to failed members
	Reconnects         uint64 // of which succeeded
	Queued             int    // broadcasts waiting in the queue now
}

// Cluster is a member of a gossip cluster on hashicorp/memberlist: SWIM
// membership and failure detection, plus epidemic broadcast with dedup,
// large messages over streams, direct messages and requests, reconnection
// to failed members, and encryption with key rotation. See the package
// documentation for how each works.
//
// NewCluster starts the member (it answers at once); Run blocks until its
// context ends and then leaves gracefully and closes; Close shuts down
// without leaving. All methods are safe for concurrent use.
type Cluster struct {
	cfg     ClusterConfig
	name    string
	addr    string
	ml      *memberlist.Memberlist
	keyring *memberlist.Keyring
	mt      *MemberlistTransport
	queue   *memberlist.TransmitLimitedQueue

	events   chan Event
	inbox    chan ClusterMessage
	requests chan clusterMsg
	outbox   chan func()
	closed   chan struct{}
	wg       sync.WaitGroup
	once     sync.Once
	running  atomic.Bool
	leaving  atomic.Bool

	mu     sync.Mutex
	rng    *rand.Rand
	seen   map[msgID]time.Time
	seenQ  []seenEntry
	bodies map[msgID]*body
	wanted map[msgID]time.Time
	dead   map[string]deadMember
	// live is this member's view of the live members, copied inside
	// memberlist's event callbacks (which run under memberlist's node
	// lock). memberlist's Members returns pointers into its own state that
	// it keeps updating, so reading their fields later would race.
	live    map[string]Member
	pending map[uint64]chan clusterMsg
	nextReq uint64

	stats struct {
		sent, received, dups, relayed, served, fetched, malformed   atomic.Uint64
		queueDrops, inboxDrops, eventDrops, outboxDrops, streamErrs atomic.Uint64
		reconnectAttempts, reconnects, repairs                      atomic.Uint64
	}
}

type seenEntry struct {
	id msgID
	at time.Time
}

type body struct {
	origin  string
	data    []byte
	expires time.Time
}

type deadMember struct {
	addr  string
	since time.Time
}

// NewCluster validates cfg, binds (sockets, or an endpoint on cfg.Network)
// and starts the member. It is alone until Join.
func NewCluster(cfg ClusterConfig) (*Cluster, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Cluster{
		cfg:      cfg,
		events:   make(chan Event, cfg.EventBuffer),
		inbox:    make(chan ClusterMessage, cfg.InboxSize),
		requests: make(chan clusterMsg, cfg.InboxSize),
		outbox:   make(chan func(), cfg.InboxSize),
		closed:   make(chan struct{}),
		rng:      rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())),
		seen:     map[msgID]time.Time{},
		bodies:   map[msgID]*body{},
		wanted:   map[msgID]time.Time{},
		dead:     map[string]deadMember{},
		live:     map[string]Member{},
		pending:  map[uint64]chan clusterMsg{},
	}
	mlc, err := c.memberlistConfig()
	if err != nil {
		return nil, err
	}
	c.queue = &memberlist.TransmitLimitedQueue{RetransmitMult: cfg.RetransmitMult, NumNodes: c.numNodes}
	ml, err := memberlist.Create(mlc)
	if err != nil {
		mlc.Transport.Shutdown()
		return nil, fmt.Errorf("gossip: start member %s: %w", c.name, err)
	}
	c.ml = ml
	c.wg.Add(2 + cfg.RequestWorkers + cfg.RequestWorkers)
	go c.deliverLoop()
	go c.housekeepLoop()
	for range cfg.RequestWorkers {
		go c.requestWorker()
		go c.outboxWorker()
	}
	return c, nil
}

// memberlistConfig translates the config and creates the transport.
func (c *Cluster) memberlistConfig() (*memberlist.Config, error) {
	cfg := c.cfg
	mlc := memberlist.DefaultLANConfig()
	if cfg.Logger != nil {
		mlc.Logger = slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug)
	} else {
		mlc.Logger = log.New(io.Discard, "", 0)
	}
	if cfg.Network != nil {
		mt, err := NewMemberlistTransport(cfg.Network, "")
		if err != nil {
			return nil, err
		}
		c.mt, c.addr = mt, mt.Addr()
		mlc.Transport = mt
	} else {
		var nt *memberlist.NetTransport
		var err error
		for range 10 { // port 0: TCP picks a port, UDP may find it taken
			nt, err = memberlist.NewNetTransport(&memberlist.NetTransportConfig{
				BindAddrs: []string{cfg.BindAddr}, BindPort: cfg.BindPort, Logger: mlc.Logger,
			})
			if err == nil || cfg.BindPort != 0 {
				break
			}
		}
		if err != nil {
			return nil, fmt.Errorf("gossip: ClusterConfig.BindAddr %s port %d: %w", cfg.BindAddr, cfg.BindPort, err)
		}
		ip, port, err := nt.FinalAdvertiseAddr("", 0)
		if err != nil {
			nt.Shutdown()
			return nil, fmt.Errorf("gossip: advertise address: %w", err)
		}
		c.addr = net.JoinHostPort(ip.String(), fmt.Sprint(port))
		mlc.Transport = nt
	}
	c.name = cfg.Name
	if c.name == "" {
		c.name = c.addr
	}
	if len(c.name) > maxNameBytes {
		mlc.Transport.Shutdown()
		return nil, fmt.Errorf("gossip: ClusterConfig.Name is %d bytes, at most %d", len(c.name), maxNameBytes)
	}
	mlc.Name = c.name
	mlc.ProbeInterval, mlc.ProbeTimeout = cfg.ProbeInterval, cfg.ProbeTimeout
	mlc.IndirectChecks, mlc.SuspicionMult = cfg.IndirectChecks, cfg.SuspicionMult
	mlc.SuspicionMaxTimeoutMult, mlc.DeadNodeReclaimTime = cfg.SuspicionMaxTimeoutMult, cfg.DeadNodeReclaimTime
	mlc.GossipInterval, mlc.GossipNodes = cfg.GossipInterval, cfg.GossipNodes
	mlc.RetransmitMult, mlc.GossipToTheDeadTime = cfg.RetransmitMult, cfg.GossipToTheDeadTime
	mlc.PushPullInterval, mlc.TCPTimeout = cfg.PushPullInterval, cfg.TCPTimeout
	mlc.UDPBufferSize = cfg.UDPBufferSize
	if len(cfg.Keys) > 0 {
		kr, err := memberlist.NewKeyring(cfg.Keys, cfg.Keys[0])
		if err != nil {
			mlc.Transport.Shutdown()
			return nil, fmt.Errorf("gossip: ClusterConfig.Keys: %w", err)
		}
		c.keyring = kr
		mlc.Keyring = kr
	}
	d := &clusterDelegate{c}
	mlc.Delegate = d
	mlc.Events = d
	return mlc, nil
}

// Name returns the member's name.
func (c *Cluster) Name() string { return c.name }

// Addr returns the member's host:port, the address others Join.
func (c *Cluster) Addr() string { return c.addr }

// Join contacts the given members (host:port) and merges their view of the
// cluster; it returns how many it reached.
func (c *Cluster) Join(seeds []string) (int, error) {
	if c.isClosed() {
		return 0, ErrClusterClosed
	}
	n, err := c.ml.Join(seeds)
	if err != nil {
		return n, fmt.Errorf("gossip: join %s: %w", strings.Join(seeds, ","), err)
	}
	return n, nil
}

// Leave tells the cluster this member is leaving, waiting up to timeout for
// each of its two messages to go out. The member keeps running until Close.
//
// memberlist reports a graceful leave and a failure through the same
// callback, so Leave first publishes a "leaving" flag in the member's
// metadata; the others then report EventLeave rather than EventFail and do
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

// Send delivers data to the named member's OnMessage over a reliable
// stream. It returns when the data has been handed over.
func (c *Cluster) Send(to string, data []byte) error {
	if c.isClosed() {
		return ErrClusterClosed
	}
	n, err := c.member(to)
	if err != nil {
		return err
	}
	if err := c.ml.SendReliable(n, clusterMsg{typ: cmDirect, peer: c.name, addr: c.addr, payload: data}.encode()); err != nil {
		return fmt.Errorf("gossip: send to %s: %w", to, err)
	}
	return nil
}

// Request sends request to the named member's OnRequest over a reliable
// stream and waits for the answer, until ctx ends. An error returned by the
// remote OnRequest comes back wrapping ErrRemote.
func (c *Cluster) Request(ctx context.Context, to string, request []byte) ([]byte, error) {
	if c.isClosed() {
		return nil, ErrClusterClosed
	}
	n, err := c.member(to)
	if err != nil {
		return nil, err
	}
	ch := make(chan clusterMsg, 1)
	c.mu.Lock()
	c.nextReq++
	id := c.nextReq
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()
	msg := clusterMsg{typ: cmRequest, request: id, peer: c.name, addr: c.addr, payload: request}
	if err := c.ml.SendReliable(n, msg.encode()); err != nil {
		return nil, fmt.Errorf("gossip: request to %s: %w", to, err)
	}
	select {
	case r := <-ch:
		if r.status != statusOK {
			return nil, fmt.Errorf("gossip: request to %s: %w: %s", to, ErrRemote, r.payload)
		}
		return r.payload, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("gossip: request to %s: %w", to, ctx.Err())
	case <-c.closed:
		return nil, ErrClusterClosed
	}
}

// AddKey installs an extra key for decryption (the first step of a key
// rotation: add the new key on every member, then UseKey it on every
// member, then RemoveKey the old one everywhere).
func (c *Cluster) AddKey(key []byte) error {
	if c.keyring == nil {
		return ErrNoEncryption
	}
	return c.keyring.AddKey(key)
}

// UseKey makes an installed key the one used to encrypt.
func (c *Cluster) UseKey(key []byte) error {
	if c.keyring == nil {
		return ErrNoEncryption
	}
	return c.keyring.UseKey(key)
}

// RemoveKey uninstalls a key that is not the primary.
func (c *Cluster) RemoveKey(key []byte) error {
	if c.keyring == nil {
		return ErrNoEncryption
	}
	return c.keyring.RemoveKey(key)
}

// Keys returns the installed keys, the primary first.
func (c *Cluster) Keys() [][]byte {
	if c.keyring == nil {
		return nil
	}
	return c.keyring.GetKeys()
}

// Stats returns the cluster's counters.
func (c *Cluster) Stats() ClusterStats {
	s := ClusterStats{
		BroadcastsSent: c.stats.sent.Load(), BroadcastsReceived: c.stats.received.Load(),
		Duplicates: c.stats.dups.Load(), Relayed: c.stats.relayed.Load(),
		LargeServed: c.stats.served.Load(), LargeFetched: c.stats.fetched.Load(),
		Malformed: c.stats.malformed.Load(), QueueDrops: c.stats.queueDrops.Load(),
		InboxDrops: c.stats.inboxDrops.Load(), EventDrops: c.stats.eventDrops.Load(),
		OutboxDrops: c.stats.outboxDrops.Load(), StreamErrors: c.stats.streamErrs.Load(),
		ReconnectAttempts: c.stats.reconnectAttempts.Load(), Reconnects: c.stats.reconnects.Load(),
		Repairs: c.stats.repairs.Load(),
		Queued:  c.queue.NumQueued(),
	}
	if c.mt != nil {
		s.TransportDrops = c.mt.Dropped()
	}
	return s
}

// Run blocks until ctx ends, then leaves the cluster (waiting up to
// TCPTimeout for the news to go out) and closes the member.
func (c *Cluster) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("gossip: Cluster.Run called twice")
	}
	select {
	case <-ctx.Done():
		if !c.isClosed() {
			_ = c.Leave(c.cfg.TCPTimeout)
		}
	case <-c.closed:
	}
	return c.Close()
}

// Close shuts the member down without leaving (the others will detect it
// as failed) and waits for every goroutine the Cluster started. (memberlist
// lets a probe already in flight run to its timeout, at most one
// ProbeInterval, after its Shutdown.)
func (c *Cluster) Close() error {
	var err error
	c.once.Do(func() {
		close(c.closed)
		c.wg.Wait()
		err = c.ml.Shutdown()
	})
	return err
}

func (c *Cluster) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

func (c *Cluster) numNodes() int {
	if c.ml == nil {
		return 1
	}
	return c.ml.NumMembers()
}

// member finds a live member by name.
func (c *Cluster) member(name string) (*memberlist.Node, error) {
	c.mu.Lock()
	m, ok := c.live[name]
	c.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownMember, name)
	}
	return nodeAt(m.Name, m.Addr)
}

// Member metadata on the wire is one flags byte followed by
// ClusterConfig.Meta.
const metaLeaving = 1

func toMember(n *memberlist.Node) Member {
	m := Member{Name: n.Name, Addr: n.Address()}
	if len(n.Meta) > 1 {
		m.Meta = slices.Clone(n.Meta[1:])
	}
	return m
}

func isLeaving(n *memberlist.Node) bool { return len(n.Meta) > 0 && n.Meta[0]&metaLeaving != 0 }

// nodeAt builds the memberlist address of a member from the name and
// host:port it sent, so answers do not depend on our membership view.
func nodeAt(name, addr string) (*memberlist.Node, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: member %q address %q", ErrMalformed, name, addr)
	}
	return &memberlist.Node{Name: name, Addr: net.IP(ap.Addr().AsSlice()), Port: ap.Port()}, nil
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

// stream queues a reliable send for the outbox workers; memberlist's
// handlers must not block on a TCP dial.
func (c *Cluster) stream(name, addr string, m clusterMsg) {
	n, err := nodeAt(name, addr)
	if err != nil {
		c.stats.malformed.Add(1)
		return
	}
	send := func() {
		if err := c.ml.SendReliable(n, m.encode()); err != nil {
			c.stats.streamErrs.Add(1)
			c.logf("stream send failed", "to", name, "err", err)
		}
	}
	select {
	case c.outbox <- send:
	default:
		c.stats.outboxDrops.Add(1)
	}
}

func (c *Cluster) deliver(m ClusterMessage) {
	select {
	case c.inbox <- m:
	default:
		c.stats.inboxDrops.Add(1)
	}
}

func (c *Cluster) emit(kind EventKind, n *memberlist.Node) {
	select {
	case c.events <- Event{Kind: kind, Member: toMember(n), At: time.Now()}:
	default:
		c.stats.eventDrops.Add(1)
	}
}

func (c *Cluster) deliverLoop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.closed:
			return
		case m := <-c.inbox:
			if c.cfg.OnMessage != nil {
				c.cfg.OnMessage(m)
			}
		}
	}
}

func (c *Cluster) requestWorker() {
	defer c.wg.Done()
	for {
		select {
		case <-c.closed:
			return
		case m := <-c.requests:
			resp := clusterMsg{typ: cmResponse, request: m.request, status: statusOK}
			if c.cfg.OnRequest == nil {
				resp.status, resp.payload = statusError, []byte("no request handler")
			} else if out, err := c.cfg.OnRequest(m.peer, m.payload); err != nil {
				resp.status, resp.payload = statusError, []byte(err.Error())
			} else {
				resp.payload = out
			}
			c.stream(m.peer, m.addr, resp)
		}
	}
}

func (c *Cluster) outboxWorker() {
	defer c.wg.Done()
	for {
		select {
		case <-c.closed:
			return
		case send := <-c.outbox:
			send()
		}
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

func (c *Cluster) logf(msg string, args ...any) {
	if c.cfg.Logger != nil {
		c.cfg.Logger.Debug("gossip: "+msg, append([]any{"member", c.name}, args...)...)
	}
}

// queued is a broadcast in memberlist's transmit-limited queue. It is
// unique (never invalidates another), so the queue skips that scan.
type queued []byte

func (q queued) Invalidates(memberlist.Broadcast) bool { return false }
func (q queued) Message() []byte                       { return q }
func (q queued) Finished()                             {}
func (q queued) UniqueBroadcast()                      {}

// clusterDelegate connects memberlist's callbacks to the Cluster without
// exporting them on it.
type clusterDelegate struct{ c *Cluster }

func (d *clusterDelegate) NodeMeta(limit int) []byte {
	var flags byte
	if d.c.leaving.Load() {
		flags |= metaLeaving
	}
	meta := append([]byte{flags}, d.c.cfg.Meta...)
	return meta[:min(len(meta), limit)]
}

func (d *clusterDelegate) NotifyMsg(b []byte) { d.c.handle(slices.Clone(b)) }

func (d *clusterDelegate) GetBroadcasts(overhead, limit int) [][]byte {
	return d.c.queue.GetBroadcasts(overhead, limit)
}

func (d *clusterDelegate) LocalState(join bool) []byte { return d.c.localState(join) }

func (d *clusterDelegate) MergeRemoteState(buf []byte, join bool) {
	d.c.mergeRemoteState(buf, join)
}

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
