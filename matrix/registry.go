package matrix

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

// ErrUnknownLease means the lease was released, reclaimed on expiry, or never
// granted.
var ErrUnknownLease = errors.New("matrix: unknown or expired lease")

// ErrUnknownPeer means the peer is not in the table (never registered, or removed
// after a disconnect or missed heartbeats).
var ErrUnknownPeer = errors.New("matrix: peer not registered")

// PeerState says whether a peer may be granted.
type PeerState int

// Peer states.
const (
	PeerFree   PeerState = iota // idle, may be granted
	PeerLeased                  // bound to a lease until released or expired
)

// String returns "free" or "leased".
func (s PeerState) String() string {
	if s == PeerLeased {
		return "leased"
	}
	return "free"
}

// PeerInfo is one row of the coordinator's table.
type PeerInfo struct {
	Addr     string    // where the worker listens for tasks
	State    PeerState // free or leased
	LeaseID  uint64    // the lease holding it, 0 when free
	Holder   string    // who holds that lease
	Expires  time.Time // when that lease ends unless renewed
	LastSeen time.Time // last registration or heartbeat
}

// Lease is a time-bounded grant of peers to one requester.
type Lease struct {
	ID      uint64
	Peers   []string      // worker addresses, in grant order
	Holder  string        // requester's name
	TTL     time.Duration // length of the lease from its last grant or renewal
	Expires time.Time     // when the peers are reclaimed unless renewed
}

// Status tells a waiting requester where it stands.
type Status struct {
	Position int // 1 = head of the queue, next to be served
	Waiting  int // requests in the queue
	Free     int // free peers now
	Peers    int // registered peers
}

// Request is an Acquire with options.
type Request struct {
	N        int           // peers wanted
	Holder   string        // name shown in the table
	TTL      time.Duration // lease length; 0 = RegistryConfig.LeaseTTL
	OnStatus func(Status)  // called, on the caller's goroutine, while waiting
}

// RegistryConfig configures a [Registry].
type RegistryConfig struct {
	LeaseTTL         time.Duration    // lease length when a request names none
	MaxLeaseTTL      time.Duration    // longest lease a request may ask for
	HeartbeatTimeout time.Duration    // Sweep removes a peer silent this long
	Now              func() time.Time // clock; nil = time.Now
}

// DefaultRegistryConfig returns 30 s leases (at most 5 min) and a 3 s
// heartbeat timeout.
func DefaultRegistryConfig() RegistryConfig {
	return RegistryConfig{LeaseTTL: 30 * time.Second, MaxLeaseTTL: 5 * time.Minute, HeartbeatTimeout: 3 * time.Second}
}

func (c RegistryConfig) validate(prefix string) error {
	switch {
	case c.LeaseTTL <= 0:
		return fmt.Errorf("matrix: %sLeaseTTL %v must be positive", prefix, c.LeaseTTL)
	case c.MaxLeaseTTL < c.LeaseTTL:
		return fmt.Errorf("matrix: %sMaxLeaseTTL %v must be at least LeaseTTL %v", prefix, c.MaxLeaseTTL, c.LeaseTTL)
	case c.HeartbeatTimeout <= 0:
		return fmt.Errorf("matrix: %sHeartbeatTimeout %v must be positive", prefix, c.HeartbeatTimeout)
	}
	return nil
}

// Registry is the coordinator's peer table and its FIFO queue of requests.
// Every change to the table, the leases and the queue happens under one
// mutex; waiting happens outside it, on channels.
type Registry struct {
	cfg RegistryConfig

	mu        sync.Mutex
	peers     map[string]*peer
	leases    map[uint64]*Lease
	queue     []*waiter
	seq       uint64 // registration counter: grant order and identity
	nextLease uint64
	stats     RegistryStats
}

// RegistryStats counts what the registry has done.
type RegistryStats struct {
	Granted  int // leases granted
	Released int // leases released by their holder
	Expired  int // leases reclaimed on expiry
	Removed  int // peers removed (disconnect, missed heartbeats, Remove)
	Dropped  int // peers dropped by their lease holder after a failed task (Drop)
}

type peer struct {
	addr     string
	seq      uint64
	lease    uint64 // 0 = free
	lastSeen time.Time
}

type waiter struct {
	req     Request
	done    bool // granted; the lease is in granted
	granted chan Lease
	status  chan Status
	last    Status // last status posted, so that only changes are sent
}

// SweepResult says what one Sweep reclaimed.
type SweepResult struct {
	Expired []uint64 // leases whose peers were reclaimed
	Removed []string // peers dropped for missing heartbeats
}

// NewRegistry returns an empty table.
func NewRegistry(cfg RegistryConfig) (*Registry, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate("RegistryConfig."); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Registry{cfg: cfg, peers: map[string]*peer{}, leases: map[uint64]*Lease{}}, nil
}

// Register adds the peer at addr as free, or refreshes it if present.
func (r *Registry) Register(addr string) error {
	_, err := r.register(addr)
	return err
}

// register returns the registration's sequence number, which removeIf uses
// so that an old connection's cleanup cannot remove a newer registration.
func (r *Registry) register(addr string) (uint64, error) {
	if addr == "" {
		return 0, errors.New("matrix: register: empty peer address")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seq++
	if p, ok := r.peers[addr]; ok {
		p.seq, p.lastSeen = r.seq, r.cfg.Now()
	} else {
		r.peers[addr] = &peer{addr: addr, seq: r.seq, lastSeen: r.cfg.Now()}
	}
	r.grantLocked()
	return r.seq, nil
}

// Heartbeat records that the peer is alive.
func (r *Registry) Heartbeat(addr string) error { return r.heartbeat(addr, 0) }

func (r *Registry) heartbeat(addr string, seq uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.registeredLocked(addr, seq)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownPeer, addr)
	}
	p.lastSeen = r.cfg.Now()
	return nil
}

// registeredLocked returns the peer at addr when it is in the table and,
// unless seq is 0 (any registration), still holds registration seq: a
// heartbeat or removal on behalf of an older registration of the address
// must not touch a newer one.
func (r *Registry) registeredLocked(addr string, seq uint64) (*peer, bool) {
	p, ok := r.peers[addr]
	return p, ok && (seq == 0 || p.seq == seq)
}

// Remove drops the peer from the table and reports whether it was there. A
// lease that held it keeps the address; its holder finds the peer gone when
// it tries to use it.
func (r *Registry) Remove(addr string) bool { return r.removeIf(addr, 0) }

func (r *Registry) removeIf(addr string, seq uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.registeredLocked(addr, seq); !ok {
		return false
	}
	delete(r.peers, addr)
	r.stats.Removed++
	r.statusLocked()
	return true
}

// Acquire waits, in FIFO order, until n peers are free, and leases them.
func (r *Registry) Acquire(ctx context.Context, n int) (Lease, error) {
	return r.AcquireFor(ctx, Request{N: n})
}

// AcquireFor is Acquire with a holder name, a lease length and status
// updates. Requests are served strictly first come, first served: a request
// behind the head waits even when enough peers are free for it, so a large
// request cannot be starved by a stream of small ones. When ctx ends first
// the request leaves the queue and the error wraps ctx.Err().
func (r *Registry) AcquireFor(ctx context.Context, req Request) (Lease, error) {
	if req.N < 1 {
		return Lease{}, fmt.Errorf("matrix: acquire: N %d must be at least 1", req.N)
	}
	switch {
	case req.TTL <= 0:
		req.TTL = r.cfg.LeaseTTL
	case req.TTL > r.cfg.MaxLeaseTTL:
		req.TTL = r.cfg.MaxLeaseTTL
	}
	w := &waiter{req: req, granted: make(chan Lease, 1), status: make(chan Status, 1)}
	r.mu.Lock()
	r.queue = append(r.queue, w)
	r.grantLocked()
	r.mu.Unlock()
	for {
		select {
		case l := <-w.granted:
			return l, nil
		case s := <-w.status:
			if req.OnStatus != nil {
				req.OnStatus(s)
			}
		case <-ctx.Done():
			r.mu.Lock()
			if w.done {
				r.mu.Unlock()
				l := <-w.granted
				_ = r.Release(l.ID)
			} else {
				r.dequeueLocked(w)
				r.grantLocked()
				r.mu.Unlock()
			}
			return Lease{}, fmt.Errorf("matrix: waiting for %d peers: %w", req.N, ctx.Err())
		}
	}
}

func (r *Registry) dequeueLocked(w *waiter) {
	for i, q := range r.queue {
		if q == w {
			r.queue = append(r.queue[:i], r.queue[i+1:]...)
			return
		}
	}
}

// grantLocked serves the head of the queue while enough peers are free, then
// tells everyone still waiting where they stand.
func (r *Registry) grantLocked() {
	for len(r.queue) > 0 {
		w := r.queue[0]
		free := r.freeLocked()
		if len(free) < w.req.N {
			break
		}
		r.queue = r.queue[1:]
		r.nextLease++
		now := r.cfg.Now()
		l := &Lease{ID: r.nextLease, Holder: w.req.Holder, TTL: w.req.TTL, Expires: now.Add(w.req.TTL)}
		for _, p := range free[:w.req.N] {
			p.lease = l.ID
			l.Peers = append(l.Peers, p.addr)
		}
		r.leases[l.ID] = l
		r.stats.Granted++
		w.done = true
		w.granted <- copyLease(l)
	}
	r.statusLocked()
}

// statusLocked posts the latest status to every waiter whose status changed,
// replacing an unread older one.
func (r *Registry) statusLocked() {
	if len(r.queue) == 0 {
		return
	}
	free := len(r.freeLocked())
	for i, w := range r.queue {
		s := Status{Position: i + 1, Waiting: len(r.queue), Free: free, Peers: len(r.peers)}
		if s == w.last {
			continue
		}
		w.last = s
		select {
		case <-w.status:
		default:
		}
		w.status <- s
	}
}

// freeLocked returns the free peers in registration order.
func (r *Registry) freeLocked() []*peer {
	var free []*peer
	for _, p := range r.peers {
		if p.lease == 0 {
			free = append(free, p)
		}
	}
	sort.Slice(free, func(i, j int) bool { return free[i].seq < free[j].seq })
	return free
}

func copyLease(l *Lease) Lease {
	c := *l
	c.Peers = append([]string(nil), l.Peers...)
	return c
}

// Release frees the lease's peers.
func (r *Registry) Release(id uint64) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.leases[id]; !ok {
		return fmt.Errorf("%w: lease %d", ErrUnknownLease, id)
	}
	r.endLocked(id)
	r.stats.Released++
	r.grantLocked()
	return nil
}

func (r *Registry) endLocked(id uint64) {
	for _, a := range r.leases[id].Peers {
		if p, ok := r.peers[a]; ok && p.lease == id {
			p.lease = 0
		}
	}
	delete(r.leases, id)
}

// Drop takes a peer that failed a task of lease id (it crashed, answered
// wrongly, or missed the task's deadline, as a stopped process does) out of
// the lease and out of the table, so that no later request is granted it
// until it registers again. It fails with [ErrUnknownLease] when the lease
// is not held, and with [ErrUnknownPeer] when addr is not one of its peers.
func (r *Registry) Drop(id uint64, addr string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.leases[id]
	if !ok {
		return fmt.Errorf("%w: lease %d", ErrUnknownLease, id)
	}
	i := slices.Index(l.Peers, addr)
	if i < 0 {
		return fmt.Errorf("%w: %s is not a peer of lease %d", ErrUnknownPeer, addr, id)
	}
	l.Peers = slices.Delete(l.Peers, i, i+1)
	if p, ok := r.peers[addr]; ok && p.lease == id {
		delete(r.peers, addr)
	}
	r.stats.Dropped++
	r.statusLocked()
	return nil
}

// Renew extends the lease to now+ttl (0: its own TTL, capped at MaxLeaseTTL).
func (r *Registry) Renew(id uint64, ttl time.Duration) (Lease, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	l, ok := r.leases[id]
	if !ok {
		return Lease{}, fmt.Errorf("%w: lease %d", ErrUnknownLease, id)
	}
	if ttl > 0 {
		l.TTL = min(ttl, r.cfg.MaxLeaseTTL)
	}
	l.Expires = r.cfg.Now().Add(l.TTL)
	return copyLease(l), nil
}

// Sweep reclaims the peers of expired leases and removes peers whose last
// heartbeat is older than HeartbeatTimeout. The coordinator calls it
// periodically; tests call it after moving their clock.
func (r *Registry) Sweep() SweepResult {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.cfg.Now()
	var res SweepResult
	for id, l := range r.leases {
		if !now.Before(l.Expires) {
			r.endLocked(id)
			r.stats.Expired++
			res.Expired = append(res.Expired, id)
		}
	}
	for a, p := range r.peers {
		if now.Sub(p.lastSeen) > r.cfg.HeartbeatTimeout {
			delete(r.peers, a)
			r.stats.Removed++
			res.Removed = append(res.Removed, a)
		}
	}
	sort.Slice(res.Expired, func(i, j int) bool { return res.Expired[i] < res.Expired[j] })
	sort.Strings(res.Removed)
	r.grantLocked()
	return res
}

// Snapshot returns the table sorted by address.
func (r *Registry) Snapshot() []PeerInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]PeerInfo, 0, len(r.peers))
	for _, p := range r.peers {
		pi := PeerInfo{Addr: p.addr, LastSeen: p.lastSeen}
		if l, ok := r.leases[p.lease]; ok && p.lease != 0 {
			pi.State, pi.LeaseID, pi.Holder, pi.Expires = PeerLeased, l.ID, l.Holder, l.Expires
		}
		out = append(out, pi)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Addr < out[j].Addr })
	return out
}

// Counts returns the registered peers, the free ones, and the requests
// waiting.
func (r *Registry) Counts() (peers, free, waiting int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.peers), len(r.freeLocked()), len(r.queue)
}

// Stats returns the registry's counters.
func (r *Registry) Stats() RegistryStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}
