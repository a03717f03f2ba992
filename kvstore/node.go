package kvstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNotFound is returned by Get for a key that was never written or whose
// latest write is a delete.
var ErrNotFound = errors.New("kvstore: key not found")

// ErrTooLarge is returned (wrapped) for a key or value over [Config.Limits].
var ErrTooLarge = errors.New("kvstore: too large")

// ErrClosed is returned by every method of a [Node] (and a [Replica])
// called after Close, and by [HTTPServer.Run] after [HTTPServer.Close].
var ErrClosed = errors.New("kvstore: closed")

var errEmptyKey = errors.New("kvstore: empty key")

// Cluster is what a [Node] needs from the membership layer: who else is alive,
// a broadcast that reaches every live member, and a message to one member.
// [NewReplica] provides it on a [gossip.Cluster]; whatever implements it
// must hand every message it receives to [Node.HandleMessage] (and, to
// support acknowledged writes, implement [Requester] and route requests to
// [Node.HandleRequest]).
type Cluster interface {
	// Members returns the names of the other live members.
	Members() []string
	// Broadcast sends msg to every live member.
	Broadcast(msg []byte) error
	// SendTo sends msg to one member, reliably and in order where the
	// transport allows it.
	SendTo(member string, msg []byte) error
}

const stripes = 256

// Node is one replica of the key-value store. Writes apply locally and
// spread by broadcast; anti-entropy repairs whatever a broadcast missed.
// Reads are local. All methods are safe for concurrent use.
type Node struct {
	cfg     Config
	cluster Cluster
	store   Store
	clock   *HLC
	dig     *digests
	log     *slog.Logger
	locks   [stripes]sync.Mutex // serialise read-merge-write per key

	randMu sync.Mutex
	rand   *rand.Rand

	pending *pendingWants

	watchMu  sync.Mutex
	watchers map[*watcher]struct{}
	nWatch   atomic.Int32

	stats counters

	// life keeps Close from closing the store under a call in progress:
	// every public entry point holds it shared, Close exclusively.
	life      sync.RWMutex
	closed    bool
	closeOnce sync.Once
	closeErr  error
	stop      chan struct{}  // closed by Close: Run returns
	runs      sync.WaitGroup // the Runs in progress, which Close waits for
	running   atomic.Int32   // how many Runs are in progress
}

// enter admits a call, or returns ErrClosed; a nil error must be followed
// by exit. Calls never enter twice (Close waits for them, and a second
// shared lock behind a waiting Close would deadlock).
func (n *Node) enter() error {
	n.life.RLock()
	if n.closed {
		n.life.RUnlock()
		return ErrClosed
	}
	return nil
}

func (n *Node) exit() { n.life.RUnlock() }

type counters struct {
	puts, deletes, merges, stale, rejectedClock, malformed, oversized atomic.Uint64
	aeRounds, aeInSync, aeBusy, aeBytesSent, aeBytesReceived          atomic.Uint64
	broadcastBytes                                                    atomic.Uint64
	tombstonesCollected, watchersCutOff                               atomic.Uint64
}

// Stats are a node's counters since it started.
type Stats struct {
	Puts                     uint64 `json:"puts"`                        // local writes (Put)
	Deletes                  uint64 `json:"deletes"`                     // local deletes
	Merges                   uint64 `json:"merges"`                      // remote entries that won and were applied
	Stale                    uint64 `json:"stale"`                       // remote entries older than the local one
	RejectedClock            uint64 `json:"rejected_clock"`              // remote entries too far in the future
	RejectedOversized        uint64 `json:"rejected_oversized"`          // local writes over Config.Limits
	Malformed                uint64 `json:"malformed"`                   // replication messages that did not decode
	AntiEntropyRounds        uint64 `json:"anti_entropy_rounds"`         // exchanges this node started
	AntiEntropyInSync        uint64 `json:"anti_entropy_in_sync"`        // exchanges that found equal roots
	AntiEntropyBusy          uint64 `json:"anti_entropy_busy"`           // roots ignored while waiting for wanted entries
	AntiEntropyBytesSent     uint64 `json:"anti_entropy_bytes_sent"`     // bytes of anti-entropy messages sent
	AntiEntropyBytesReceived uint64 `json:"anti_entropy_bytes_received"` // and received
	BroadcastBytes           uint64 `json:"broadcast_bytes"`             // bytes of write broadcasts sent
	TombstonesCollected      uint64 `json:"tombstones_collected"`        // tombstones removed after the grace period
	WatchersCutOff           uint64 `json:"watchers_cut_off"`            // watchers closed for falling behind
}

// New returns a node. With a non-empty [Store] (a durable store reopened after
// a restart) it rebuilds its digests from the stored entries and moves its
// clock past every stored version, so new writes win over old ones. cluster
// may be nil for a node on its own.
func New(cfg Config, cluster Cluster) (*Node, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Store == nil {
		cfg.Store = NewMemStore()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	n := &Node{
		cfg:      cfg,
		cluster:  cluster,
		store:    cfg.Store,
		clock:    NewHLC(cfg.Now, cfg.MaxClockOffset),
		dig:      newDigests(cfg.Buckets),
		log:      cfg.Logger,
		rand:     cfg.Rand,
		watchers: map[*watcher]struct{}{},
		stop:     make(chan struct{}),
		pending:  newPendingWants(max(4*cfg.AntiEntropyInterval, 2*time.Second)),
	}
	if n.log == nil {
		n.log = slog.New(slog.DiscardHandler)
	}
	var maxV Version
	err := n.store.Range("", func(e Entry) bool {
		n.dig.replace(nil, &e)
		if e.Version.Compare(maxV) > 0 {
			maxV = e.Version
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("kvstore: reading the store: %w", err)
	}
	if maxV.Wall != 0 {
		n.clock.observeUnchecked(maxV.Wall, maxV.Logical)
	}
	return n, nil
}

// Name returns the node's name.
func (n *Node) Name() string { return n.cfg.Name }

func (n *Node) lockFor(key string) *sync.Mutex {
	return &n.locks[fnvString(fnvOffset, key)%stripes]
}

// apply merges e into the store and reports whether it won.
func (n *Node) apply(e Entry, local bool) (bool, error) {
	mu := n.lockFor(e.Key)
	mu.Lock()
	old, had, err := n.store.Get(e.Key)
	if err != nil {
		mu.Unlock()
		return false, err
	}
	if had && !Newer(e, old) {
		mu.Unlock()
		return false, nil
	}
	if err := n.store.Put(e); err != nil {
		mu.Unlock()
		return false, err
	}
	if had {
		n.dig.replace(&old, &e)
	} else {
		n.dig.replace(nil, &e)
	}
	// Notifying under the key's lock keeps each key's events in order.
	if n.nWatch.Load() > 0 {
		n.notify(Event{Entry: e, Local: local})
	}
	mu.Unlock()
	return true, nil
}

func (n *Node) checkSizes(key string, value []byte) error {
	if key == "" {
		return errEmptyKey
	}
	if len(key) > n.cfg.Limits.MaxKey {
		n.stats.oversized.Add(1)
		return fmt.Errorf("%w: key of %d bytes exceeds Limits.MaxKey %d", ErrTooLarge, len(key), n.cfg.Limits.MaxKey)
	}
	if len(value) > n.cfg.Limits.MaxValue {
		n.stats.oversized.Add(1)
		return fmt.Errorf("%w: value of %d bytes exceeds Limits.MaxValue %d", ErrTooLarge, len(value), n.cfg.Limits.MaxValue)
	}
	return nil
}

// Put writes value under key and returns the write's version. When Put
// returns, the write is in the local store (durably, with a durable store)
// and on its way to every live member; Get on this node sees it at once.
func (n *Node) Put(key string, value []byte) (Version, error) {
	if err := n.enter(); err != nil {
		return Version{}, err
	}
	defer n.exit()
	if err := n.checkSizes(key, value); err != nil {
		return Version{}, err
	}
	return n.write(Entry{Key: key, Value: append([]byte{}, value...)}, &n.stats.puts)
}

// Delete removes key by writing a tombstone, and returns its version.
// Deleting a key that does not exist still writes the tombstone, so the
// delete also wins over an older write still in flight.
func (n *Node) Delete(key string) (Version, error) {
	if err := n.enter(); err != nil {
		return Version{}, err
	}
	defer n.exit()
	if err := n.checkSizes(key, nil); err != nil {
		return Version{}, err
	}
	return n.write(Entry{Key: key, Tombstone: true}, &n.stats.deletes)
}

func (n *Node) write(e Entry, counter *atomic.Uint64) (Version, error) {
	wall, logical := n.clock.Now()
	e.Version = Version{Wall: wall, Logical: logical, Node: n.cfg.Name}
	if _, err := n.apply(e, true); err != nil {
		return Version{}, fmt.Errorf("kvstore: storing %q: %w", e.Key, err)
	}
	counter.Add(1)
	if n.cluster != nil {
		msg := appendEntries(nil, kindPush, []Entry{e})
		n.stats.broadcastBytes.Add(uint64(len(msg)))
		if err := n.cluster.Broadcast(msg); err != nil {
			// The write is stored; anti-entropy will spread it.
			n.log.Warn("broadcast failed; anti-entropy will repair", "key", e.Key, "err", err)
		}
	}
	return e.Version, nil
}

// Get returns the current entry for key from the local replica, or
// [ErrNotFound].
func (n *Node) Get(key string) (Entry, error) {
	if err := n.enter(); err != nil {
		return Entry{}, err
	}
	defer n.exit()
	e, ok, err := n.store.Get(key)
	if err != nil {
		return Entry{}, fmt.Errorf("kvstore: reading %q: %w", key, err)
	}
	if !ok || e.Tombstone {
		return Entry{}, ErrNotFound
	}
	return e, nil
}

// List returns the live entries whose keys start with prefix, in key order.
func (n *Node) List(prefix string) ([]Entry, error) {
	if err := n.enter(); err != nil {
		return nil, err
	}
	defer n.exit()
	var out []Entry
	err := n.store.Range(prefix, func(e Entry) bool {
		if !e.Tombstone {
			out = append(out, e)
		}
		return true
	})
	return out, err
}

// Members returns this node and the other live members, this node first.
func (n *Node) Members() []string {
	out := []string{n.cfg.Name}
	if n.cluster != nil {
		out = append(out, n.cluster.Members()...)
	}
	return out
}

// Stats returns the node's counters.
func (n *Node) Stats() Stats {
	s := &n.stats
	return Stats{
		Puts: s.puts.Load(), Deletes: s.deletes.Load(), Merges: s.merges.Load(), Stale: s.stale.Load(),
		RejectedClock: s.rejectedClock.Load(), RejectedOversized: s.oversized.Load(), Malformed: s.malformed.Load(),
		AntiEntropyRounds: s.aeRounds.Load(), AntiEntropyInSync: s.aeInSync.Load(), AntiEntropyBusy: s.aeBusy.Load(),
		AntiEntropyBytesSent: s.aeBytesSent.Load(), AntiEntropyBytesReceived: s.aeBytesReceived.Load(),
		BroadcastBytes: s.broadcastBytes.Load(), TombstonesCollected: s.tombstonesCollected.Load(),
		WatchersCutOff: s.watchersCutOff.Load(),
	}
}

// Run performs anti-entropy every [Config.AntiEntropyInterval] with a random
// live member, and collects expired tombstones, until ctx ends or Close is
// called; then it returns nil. It starts no goroutines of its own. After
// Close it returns [ErrClosed].
func (n *Node) Run(ctx context.Context) error {
	n.life.Lock()
	if n.closed {
		n.life.Unlock()
		return ErrClosed
	}
	n.runs.Add(1)
	n.running.Add(1)
	n.life.Unlock()
	defer n.runs.Done()
	defer n.running.Add(-1)
	t := time.NewTicker(n.cfg.AntiEntropyInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-n.stop:
			return nil
		case <-t.C:
			n.AntiEntropy()
			n.CollectTombstones()
		}
	}
}

// Close waits for the calls in progress, stops a running Run and waits for
// it, cuts off every watcher and closes the store. It is idempotent (later
// calls return what the first did), and every call after it returns
// [ErrClosed].
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.life.Lock()
		n.closed = true
		n.life.Unlock()
		close(n.stop)
		n.runs.Wait()
		n.watchMu.Lock()
		for w := range n.watchers {
			n.dropWatcherLocked(w)
		}
		n.watchMu.Unlock()
		n.closeErr = n.store.Close()
	})
	return n.closeErr
}
