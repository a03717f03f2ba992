package gossip

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/netlab-go/netlab/internal/calls"
)

// Errors returned by [Cluster] methods.
var (
	// ErrClusterClosed is returned once the [Cluster] has been closed. It
	// matches [ErrClosed] too (errors.Is), the one error every component of
	// the package returns after Close.
	ErrClusterClosed error = closedError("gossip: cluster closed")
	// ErrUnknownMember is returned by Send and Request for a name that is
	// not a live member.
	ErrUnknownMember = errors.New("gossip: unknown member")
	// ErrNoEncryption is returned by the key methods of a cluster created
	// without [ClusterConfig.Keys].
	ErrNoEncryption = errors.New("gossip: encryption is not enabled")
	// ErrRemote wraps the error text a member's OnRequest returned.
	ErrRemote = errors.New("gossip: remote error")
)

// closedError is an error that also matches [ErrClosed].
type closedError string

func (e closedError) Error() string        { return string(e) }
func (e closedError) Is(target error) bool { return target == ErrClosed }

// ClusterStats counts what a [Cluster] did. Every bounded queue has a drop
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
	JoinAttempts       uint64 // joins tried to ClusterConfig.Seeds while alone
	Joins              uint64 // of which succeeded
	Queued             int    // broadcasts waiting in the queue now
}

// Cluster is a member of a gossip cluster on hashicorp/memberlist: SWIM
// membership and failure detection, plus epidemic broadcast with dedup,
// large messages over streams, direct messages and requests, reconnection
// to failed members, and encryption with key rotation. See the package
// documentation for how each works.
//
// [NewCluster] starts the member (it answers at once); Run blocks until its
// context ends and then leaves gracefully and closes; Close shuts down
// without leaving. All methods are safe for concurrent use.
type Cluster struct {
	cfg     ClusterConfig
	name    string
	addr    string
	ml      *memberlist.Memberlist
	keyring *memberlist.Keyring
	drops   dropCounter // the Network transport's, if it counts drops
	queue   *memberlist.TransmitLimitedQueue

	events   chan Event
	inbox    chan ClusterMessage
	requests chan clusterMsg
	outbox   chan func()
	closed   chan struct{}
	lonely   chan struct{} // a member left or failed: look for company
	wg       sync.WaitGroup
	once     sync.Once
	closeErr error // memberlist's Shutdown
	leaving  atomic.Bool

	life calls.Once // orders Run's start against Close

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
		joinAttempts, joins                                         atomic.Uint64
	}
}

// NewCluster validates cfg, binds (sockets, or an endpoint on cfg.Network)
// and starts the member. It is alone until Join.
func NewCluster(cfg ClusterConfig) (*Cluster, error) {
	cfg = cfg.withDefaults()
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
		lonely:   make(chan struct{}, 1),
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
	c.wg.Add(3 + cfg.RequestWorkers + cfg.RequestWorkers)
	go c.deliverLoop()
	go c.housekeepLoop()
	go c.joinLoop()
	for range cfg.RequestWorkers {
		go c.requestWorker()
		go c.outboxWorker()
	}
	return c, nil
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
		Repairs: c.stats.repairs.Load(), JoinAttempts: c.stats.joinAttempts.Load(), Joins: c.stats.joins.Load(),
		Queued: c.queue.NumQueued(),
	}
	if c.drops != nil {
		s.TransportDrops = c.drops.Dropped()
	}
	return s
}

// Run blocks until ctx ends, then leaves the cluster (waiting up to
// [ClusterConfig.LeaveTimeout] for the news to go out) and closes the
// member; or until [Cluster.Close] is called, and then it returns nil. It
// may be called once; after Close it returns [ErrClusterClosed].
func (c *Cluster) Run(ctx context.Context) error {
	if c.isClosed() { // a Run that ended has shut the member down
		return ErrClusterClosed
	}
	if err := c.life.Begin(ErrClusterClosed, "gossip: Cluster.Run"); err != nil {
		return err
	}
	defer c.life.End()
	select {
	case <-ctx.Done():
		if !c.isClosed() {
			_ = c.Leave(c.leaveTimeout())
		}
		return c.shutdown()
	case <-c.closed:
		_ = c.shutdown() // waits for Close's shutdown, which reports its error
		return nil
	}
}

// leaveTimeout is ClusterConfig.LeaveTimeout, or, when that is zero, three
// times the time gossip needs to transmit a broadcast as often as
// memberlist's queue does (RetransmitMult·⌈log10(N+1)⌉ copies, GossipNodes
// per GossipInterval). memberlist waits for those transmissions; when every
// member is stopping at once, the others stop taking gossip and the wait
// would otherwise last its whole timeout.
func (c *Cluster) leaveTimeout() time.Duration {
	if c.cfg.LeaveTimeout > 0 {
		return c.cfg.LeaveTimeout
	}
	n := float64(c.ml.NumMembers())
	copies := float64(c.cfg.RetransmitMult) * math.Ceil(math.Log10(n+1))
	intervals := math.Ceil(copies / float64(c.cfg.GossipNodes))
	return time.Duration(3*intervals+1) * c.cfg.GossipInterval
}

// Close shuts the member down without leaving (the others will detect it
// as failed), waits for every goroutine the [Cluster] started and for a
// running Run to return. (memberlist lets a probe already in flight run to
// its timeout, at most one ProbeInterval, after its Shutdown.) It may be
// called any number of times; calls after the first return nil, and every
// method after it returns [ErrClusterClosed].
func (c *Cluster) Close() error { return c.life.CloseWith(c.shutdown) }

// shutdown closes the member once, for Close and for Run, and returns what
// memberlist's Shutdown returned.
func (c *Cluster) shutdown() error {
	c.once.Do(func() {
		close(c.closed)
		c.wg.Wait()
		c.closeErr = c.ml.Shutdown()
	})
	return c.closeErr
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

func (c *Cluster) logf(msg string, args ...any) {
	if c.cfg.Logger != nil {
		c.cfg.Logger.Debug("gossip: "+msg, append([]any{"member", c.name}, args...)...)
	}
}

// clusterDelegate connects memberlist's callbacks to the [Cluster] without
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

func (d *clusterDelegate) LocalState(join bool) []byte { return d.c.localState(join) }

func (d *clusterDelegate) MergeRemoteState(buf []byte, join bool) {
	d.c.mergeRemoteState(buf, join)
}
