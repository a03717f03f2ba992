package kvstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
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

// Config configures a [Node]. Name is required; a zero value of any other
// field means its default, the value in [DefaultConfig] (or the one its
// documentation names).
type Config struct {
	// Name identifies the node; it is part of every version it writes and
	// must be unique in the cluster.
	Name string
	// Store keeps the entries; nil means a new [MemStore]. The Node owns it
	// and closes it in Close.
	Store Store
	// Limits bound keys, values and replication messages.
	Limits Limits
	// MaxClockOffset is how far ahead of local time a remote timestamp may
	// be; writes further ahead are rejected and counted.
	MaxClockOffset time.Duration
	// TombstoneGrace is how long a delete is remembered. A replica that is
	// cut off for longer may bring the deleted key back.
	TombstoneGrace time.Duration
	// AntiEntropyInterval is how often the node compares its keyspace with
	// a random peer's.
	AntiEntropyInterval time.Duration
	// Buckets is the number of digest buckets; all nodes must agree.
	Buckets int
	// FullStateExchange replaces digest anti-entropy with the course's
	// design, sending every entry to a random peer each interval. It exists
	// to measure what digests save.
	FullStateExchange bool
	// AckTimeout bounds how long PutAcked and DeleteAcked wait for
	// acknowledgements; zero means 5 s.
	AckTimeout time.Duration
	// WatchBuffer is each watcher's channel capacity; a watcher that falls
	// further behind is cut off (its channel closed).
	WatchBuffer int
	// Now is the physical clock; nil means time.Now.
	Now func() time.Time
	// Rand picks anti-entropy peers; nil means a randomly seeded source.
	Rand *rand.Rand
	// Logger receives replication events; nil means silent.
	Logger *slog.Logger
}

// DefaultConfig returns settings for a node called name: 1 KiB keys, 64 KiB
// values, anti-entropy every second, a day of tombstone grace.
func DefaultConfig(name string) Config {
	return Config{
		Name: name,
		Limits: Limits{
			MaxKey:     1024,
			MaxValue:   64 << 10,
			MaxMessage: 1 << 20,
			MaxBuckets: 1 << 16,
		},
		MaxClockOffset:      2 * time.Second,
		TombstoneGrace:      24 * time.Hour,
		AntiEntropyInterval: time.Second,
		Buckets:             1024,
		WatchBuffer:         256,
	}
}

// withDefaults fills the fields whose zero value means their default, as in
// net/http, from DefaultConfig. Name is required; FullStateExchange, Now,
// Rand, Store and Logger have defaults of their own (documented on each).
func (c Config) withDefaults() Config {
	d := DefaultConfig(c.Name)
	c.Limits.MaxKey = cmp.Or(c.Limits.MaxKey, d.Limits.MaxKey)
	c.Limits.MaxValue = cmp.Or(c.Limits.MaxValue, d.Limits.MaxValue)
	c.Limits.MaxMessage = cmp.Or(c.Limits.MaxMessage, d.Limits.MaxMessage)
	c.Limits.MaxBuckets = cmp.Or(c.Limits.MaxBuckets, d.Limits.MaxBuckets)
	c.MaxClockOffset = cmp.Or(c.MaxClockOffset, d.MaxClockOffset)
	c.TombstoneGrace = cmp.Or(c.TombstoneGrace, d.TombstoneGrace)
	c.AntiEntropyInterval = cmp.Or(c.AntiEntropyInterval, d.AntiEntropyInterval)
	c.Buckets = cmp.Or(c.Buckets, d.Buckets)
	c.WatchBuffer = cmp.Or(c.WatchBuffer, d.WatchBuffer)
	return c
}

func (c Config) validate() error {
	l := c.Limits
	switch {
	case c.Name == "" || len(c.Name) > maxNodeName:
		return fmt.Errorf("kvstore: Config.Name must be 1 to %d bytes, got %d", maxNodeName, len(c.Name))
	case l.MaxKey < 1:
		return fmt.Errorf("kvstore: Config.Limits.MaxKey %d must be at least 1", l.MaxKey)
	case l.MaxValue < 0:
		return fmt.Errorf("kvstore: Config.Limits.MaxValue %d is negative", l.MaxValue)
	case l.MaxMessage < l.MaxKey+l.MaxValue+maxNodeName+64:
		return fmt.Errorf("kvstore: Config.Limits.MaxMessage %d cannot hold one entry of MaxKey+MaxValue", l.MaxMessage)
	case c.Buckets < 1 || c.Buckets > l.MaxBuckets || c.Buckets*8+16 > l.MaxMessage:
		return fmt.Errorf("kvstore: Config.Buckets %d outside [1, Limits.MaxBuckets] or too many for one message", c.Buckets)
	case c.MaxClockOffset <= 0:
		return fmt.Errorf("kvstore: Config.MaxClockOffset %v must be positive", c.MaxClockOffset)
	case c.TombstoneGrace <= 0:
		return fmt.Errorf("kvstore: Config.TombstoneGrace %v must be positive", c.TombstoneGrace)
	case c.AntiEntropyInterval <= 0:
		return fmt.Errorf("kvstore: Config.AntiEntropyInterval %v must be positive", c.AntiEntropyInterval)
	case c.AckTimeout < 0:
		return fmt.Errorf("kvstore: Config.AckTimeout %v is negative", c.AckTimeout)
	case c.WatchBuffer < 1:
		return fmt.Errorf("kvstore: Config.WatchBuffer %d must be at least 1", c.WatchBuffer)
	}
	return nil
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

// AntiEntropy starts one exchange with a random live member: it sends its
// root hash (or, with FullStateExchange, every entry). Run calls it every
// interval; tests and examples may call it directly.
func (n *Node) AntiEntropy() {
	if n.cluster == nil || n.enter() != nil {
		return
	}
	defer n.exit()
	peers := n.cluster.Members()
	if len(peers) == 0 || n.pending.busy(n.cfg.Now()) {
		return
	}
	n.randMu.Lock()
	peer := peers[n.rand.IntN(len(peers))]
	n.randMu.Unlock()
	n.stats.aeRounds.Add(1)
	if n.cfg.FullStateExchange {
		var all []Entry
		_ = n.store.Range("", func(e Entry) bool { all = append(all, e); return true })
		n.sendEntries(peer, kindRepair, all)
		return
	}
	n.sendAE(peer, encodeRoot(n.cfg.Buckets, root(n.dig.snapshot())))
}

func (n *Node) sendAE(peer string, msg []byte) {
	n.stats.aeBytesSent.Add(uint64(len(msg)))
	if err := n.cluster.SendTo(peer, msg); err != nil {
		n.log.Debug("anti-entropy send failed", "peer", peer, "err", err)
	}
}

// sendEntries sends es in as many messages as MaxMessage requires.
func (n *Node) sendEntries(peer string, kind byte, es []Entry) {
	for _, batch := range batches(es, n.cfg.Limits.MaxMessage, func(e Entry) int { return e.size() + 32 }) {
		n.sendAE(peer, appendEntries(nil, kind, batch))
	}
}

// batches splits items into runs whose estimated encoded sizes (size of
// each item, plus a small header) fit in a message of limit bytes. An item
// is never split; every batch holds at least one.
func batches[T any](items []T, limit int, size func(T) int) [][]T {
	var out [][]T
	for len(items) > 0 {
		total, i := 32, 0
		for i < len(items) && (i == 0 || total+size(items[i]) <= limit) {
			total += size(items[i])
			i++
		}
		out = append(out, items[:i])
		items = items[i:]
	}
	return out
}

// CollectTombstones removes tombstones older than TombstoneGrace.
func (n *Node) CollectTombstones() {
	if n.enter() != nil {
		return
	}
	defer n.exit()
	cutoff := n.cfg.Now().Add(-n.cfg.TombstoneGrace).UnixNano()
	var old []Entry
	_ = n.store.Range("", func(e Entry) bool {
		if e.Tombstone && e.Version.Wall < cutoff {
			old = append(old, e)
		}
		return true
	})
	for _, e := range old {
		mu := n.lockFor(e.Key)
		mu.Lock()
		cur, ok, err := n.store.Get(e.Key)
		if err == nil && ok && cur.Version == e.Version && n.store.Remove(e.Key) == nil {
			n.dig.replace(&cur, nil)
			n.stats.tombstonesCollected.Add(1)
		}
		mu.Unlock()
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

// ---- watching

// Event is one change applied to the local replica.
type Event struct {
	Entry Entry // the new entry; Entry.Tombstone for a delete
	Local bool  // written on this node (false: arrived from another)
}

type watcher struct {
	prefix string
	ch     chan Event
}

// Watch returns a channel of the changes to keys starting with prefix, local
// and remote, in the order this node applies them. The channel closes when
// ctx ends, when the node closes, or when the watcher falls more than
// [Config.WatchBuffer] events behind (counted in [Stats.WatchersCutOff]): a slow
// watcher never slows the store.
func (n *Node) Watch(ctx context.Context, prefix string) <-chan Event {
	w := &watcher{prefix: prefix, ch: make(chan Event, n.cfg.WatchBuffer)}
	if n.enter() != nil {
		close(w.ch)
		return w.ch
	}
	defer n.exit()
	n.watchMu.Lock()
	n.watchers[w] = struct{}{}
	n.nWatch.Add(1)
	n.watchMu.Unlock()
	context.AfterFunc(ctx, func() {
		n.watchMu.Lock()
		defer n.watchMu.Unlock()
		if _, ok := n.watchers[w]; ok {
			n.dropWatcherLocked(w)
		}
	})
	return w.ch
}

func (n *Node) dropWatcherLocked(w *watcher) {
	delete(n.watchers, w)
	n.nWatch.Add(-1)
	close(w.ch)
}

func (n *Node) notify(ev Event) {
	n.watchMu.Lock()
	defer n.watchMu.Unlock()
	for w := range n.watchers {
		if !strings.HasPrefix(ev.Entry.Key, w.prefix) {
			continue
		}
		select {
		case w.ch <- ev:
		default:
			n.stats.watchersCutOff.Add(1)
			n.dropWatcherLocked(w)
		}
	}
}
