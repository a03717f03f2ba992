package gossiptest

import (
	"container/heap"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/netlab-go/netlab/gossip"
)

// Errors returned by [MemTransport] besides [gossip.ErrClosed] and
// [gossip.ErrTooLarge]. Callers branch on them with [errors.Is].
var (
	// ErrUnknownAddr is returned by [MemTransport.Send] and
	// [MemTransport.Dial] for an address nobody listens on.
	ErrUnknownAddr = errors.New("gossiptest: unknown address")
	// ErrUnreachable is returned by [MemTransport.Dial] across a partition.
	ErrUnreachable = errors.New("gossiptest: address unreachable")
)

// MemConfig configures a [MemNetwork]. Start from [DefaultMemConfig].
type MemConfig struct {
	// Loss is the probability in [0,1) that a datagram is lost in transit.
	Loss float64
	// Latency delays every datagram by this much (0 delivers at once).
	Latency time.Duration
	// Jitter adds a uniform random delay in [0, Jitter) on top of Latency.
	Jitter time.Duration
	// Buffer is the receive queue of each endpoint, in datagrams. A datagram
	// arriving at a full queue is dropped (and counted), never blocking the
	// sender.
	Buffer int
	// StreamBacklog is how many dialled stream connections may wait to be
	// accepted by an endpoint; [MemTransport.Dial] fails beyond it rather
	// than blocking.
	StreamBacklog int
	// MaxDatagram is the largest datagram [MemTransport.Send] accepts, in
	// bytes.
	MaxDatagram int
	// Seed seeds the random source behind loss and jitter: the same seed and
	// the same sequence of Send calls give the same drops and delays.
	Seed uint64
}

// DefaultMemConfig returns a lossless, instant network with roomy queues.
func DefaultMemConfig() MemConfig {
	return MemConfig{Buffer: 1024, StreamBacklog: 128, MaxDatagram: 65507, Seed: 1}
}

func (c MemConfig) validate() error {
	switch {
	case c.Loss < 0 || c.Loss >= 1:
		return fmt.Errorf("gossiptest: MemConfig.Loss %v not in [0,1)", c.Loss)
	case c.Latency < 0:
		return fmt.Errorf("gossiptest: MemConfig.Latency %v is negative", c.Latency)
	case c.Jitter < 0:
		return fmt.Errorf("gossiptest: MemConfig.Jitter %v is negative", c.Jitter)
	case c.Buffer < 1:
		return fmt.Errorf("gossiptest: MemConfig.Buffer %d must be at least 1", c.Buffer)
	case c.StreamBacklog < 1:
		return fmt.Errorf("gossiptest: MemConfig.StreamBacklog %d must be at least 1", c.StreamBacklog)
	case c.MaxDatagram < 1:
		return fmt.Errorf("gossiptest: MemConfig.MaxDatagram %d must be at least 1", c.MaxDatagram)
	}
	return nil
}

// MemStats counts the traffic of one [MemNetwork] endpoint (see
// [MemNetwork.Stats] and [MemTransport.Stats]).
type MemStats struct {
	PacketsSent     uint64 // datagrams handed to Send (including lost ones)
	BytesSent       uint64
	PacketsReceived uint64 // datagrams put in the receive queue
	BytesReceived   uint64
	Lost            uint64 // sent datagrams dropped by loss or a partition
	Overflow        uint64 // arriving datagrams dropped because the queue was full
}

func (s *MemStats) add(o MemStats) {
	s.PacketsSent += o.PacketsSent
	s.BytesSent += o.BytesSent
	s.PacketsReceived += o.PacketsReceived
	s.BytesReceived += o.BytesReceived
	s.Lost += o.Lost
	s.Overflow += o.Overflow
}

// MemNetwork is an in-memory datagram (and stream) network for tests and
// simulation: endpoints created with [MemNetwork.Listen] exchange datagrams through
// buffered queues, with configurable loss, latency and jitter, partitions
// that can be set and healed, and per-endpoint counters. Delivery never
// blocks: a full receiver drops. All methods are safe for concurrent use.
//
// A [MemNetwork] is a [gossip.Network] too: set it as
// [gossip.ClusterConfig.Network] and [gossip.Cluster] members run on it
// (see [MemNetwork.NewTransport]).
type MemNetwork struct {
	mu      sync.Mutex
	cfg     MemConfig
	rng     *rand.Rand
	nodes   map[string]*MemTransport
	group   map[string]int // partition group; absent means group 0
	stats   map[string]*MemStats
	nextID  int
	pending deliveries
	seq     uint64
	wake    chan struct{}
	done    chan struct{}
	running bool
	closed  bool
	wg      sync.WaitGroup
}

// NewMemNetwork validates cfg and returns an empty network. [MemNetwork.Close]
// releases it.
func NewMemNetwork(cfg MemConfig) (*MemNetwork, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &MemNetwork{
		cfg:   cfg,
		rng:   rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		nodes: map[string]*MemTransport{},
		group: map[string]int{},
		stats: map[string]*MemStats{},
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}, nil
}

// Listen creates an endpoint at addr. An empty addr picks a fresh one of the
// form 127.x.y.z:7946 (distinct loopback-looking addresses, so that programs
// expecting host:port, such as memberlist, accept them; no socket is opened).
func (n *MemNetwork) Listen(addr string) (*MemTransport, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, gossip.ErrClosed
	}
	if addr == "" {
		for {
			n.nextID++
			id := n.nextID
			addr = fmt.Sprintf("127.%d.%d.%d:7946", 1+(id>>16)&0xff, (id>>8)&0xff, id&0xff)
			if n.nodes[addr] == nil {
				break
			}
		}
	}
	if n.nodes[addr] != nil {
		return nil, fmt.Errorf("gossiptest: MemNetwork address %s already in use", addr)
	}
	t := &MemTransport{
		net:     n,
		addr:    addr,
		ch:      make(chan gossip.Packet, n.cfg.Buffer),
		streams: make(chan net.Conn, n.cfg.StreamBacklog),
	}
	n.nodes[addr] = t
	if n.stats[addr] == nil {
		n.stats[addr] = &MemStats{}
	}
	return t, nil
}

// SetLoss changes the loss probability for datagrams sent from now on.
func (n *MemNetwork) SetLoss(p float64) error {
	if p < 0 || p >= 1 {
		return fmt.Errorf("gossiptest: loss %v not in [0,1)", p)
	}
	n.mu.Lock()
	n.cfg.Loss = p
	n.mu.Unlock()
	return nil
}

// Partition splits the network: the addresses of each group can reach each
// other and nobody else; addresses named in no group form one more group
// together. Partition replaces any earlier partition.
func (n *MemNetwork) Partition(groups ...[]string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.group = map[string]int{}
	for i, g := range groups {
		for _, a := range g {
			n.group[a] = i + 1
		}
	}
}

// Heal removes every partition.
func (n *MemNetwork) Heal() { n.Partition() }

// Reachable reports whether a datagram from one address can reach another
// under the current partition (ignoring loss).
func (n *MemNetwork) Reachable(from, to string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.group[from] == n.group[to]
}

// Stats returns the counters of the endpoint at addr (they survive its Close).
func (n *MemNetwork) Stats(addr string) MemStats {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s := n.stats[addr]; s != nil {
		return *s
	}
	return MemStats{}
}

// Total returns the counters summed over every endpoint there has been.
func (n *MemNetwork) Total() MemStats {
	n.mu.Lock()
	defer n.mu.Unlock()
	var t MemStats
	for _, s := range n.stats {
		t.add(*s)
	}
	return t
}

// Close closes every endpoint and stops delayed delivery. It is idempotent.
func (n *MemNetwork) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	nodes := make([]*MemTransport, 0, len(n.nodes))
	for _, t := range n.nodes {
		nodes = append(nodes, t)
	}
	n.pending = nil
	close(n.done)
	n.mu.Unlock()
	for _, t := range nodes {
		_ = t.Close()
	}
	n.wg.Wait()
	return nil
}

// send routes one datagram; called by MemTransport.Send.
func (n *MemNetwork) send(from, to string, data []byte) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(data) > n.cfg.MaxDatagram {
		return fmt.Errorf("%w: %d bytes, limit %d", gossip.ErrTooLarge, len(data), n.cfg.MaxDatagram)
	}
	src := n.stats[from]
	src.PacketsSent++
	src.BytesSent += uint64(len(data))
	if n.nodes[to] == nil && n.stats[to] == nil {
		return fmt.Errorf("%w: %s", ErrUnknownAddr, to)
	}
	if n.group[from] != n.group[to] || (n.cfg.Loss > 0 && n.rng.Float64() < n.cfg.Loss) {
		src.Lost++
		return nil
	}
	p := gossip.Packet{From: from, Data: append([]byte(nil), data...)}
	delay := n.cfg.Latency
	if n.cfg.Jitter > 0 {
		delay += time.Duration(n.rng.Int64N(int64(n.cfg.Jitter)))
	}
	if delay <= 0 {
		n.deliverLocked(to, p)
		return nil
	}
	n.seq++
	heap.Push(&n.pending, delivery{at: time.Now().Add(delay), seq: n.seq, to: to, p: p})
	if !n.running {
		n.running = true
		n.wg.Add(1)
		go n.deliverLoop()
	}
	select {
	case n.wake <- struct{}{}:
	default:
	}
	return nil
}

// deliverLocked puts p in the queue of to, or drops it when the queue is full
// or the endpoint is gone. n.mu is held, so Close cannot race the send.
func (n *MemNetwork) deliverLocked(to string, p gossip.Packet) {
	t := n.nodes[to]
	if t == nil {
		return
	}
	st := n.stats[to]
	p.At = time.Now()
	select {
	case t.ch <- p:
		st.PacketsReceived++
		st.BytesReceived += uint64(len(p.Data))
	default:
		st.Overflow++
	}
}

// deliverLoop releases delayed datagrams when they are due.
func (n *MemNetwork) deliverLoop() {
	defer n.wg.Done()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		n.mu.Lock()
		now := time.Now()
		for len(n.pending) > 0 && !n.pending[0].at.After(now) {
			d := heap.Pop(&n.pending).(delivery)
			n.deliverLocked(d.to, d.p)
		}
		wait := time.Hour
		if len(n.pending) > 0 {
			wait = n.pending[0].at.Sub(now)
		}
		n.mu.Unlock()
		timer.Reset(wait)
		select {
		case <-n.done:
			return
		case <-n.wake:
		case <-timer.C:
		}
	}
}

// dial opens an in-memory stream from one endpoint to another.
func (n *MemNetwork) dial(from, to string) (net.Conn, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	t := n.nodes[to]
	switch {
	case n.closed:
		return nil, gossip.ErrClosed
	case t == nil:
		return nil, fmt.Errorf("%w: %s", ErrUnknownAddr, to)
	case n.group[from] != n.group[to]:
		return nil, fmt.Errorf("%w: %s is across a partition", ErrUnreachable, to)
	}
	c1, c2 := net.Pipe()
	local, remote := memAddr(from), memAddr(to)
	client := &memConn{Conn: c1, local: local, remote: remote}
	server := &memConn{Conn: c2, local: remote, remote: local}
	select {
	case t.streams <- server:
		return client, nil
	default:
		c1.Close()
		c2.Close()
		return nil, fmt.Errorf("gossiptest: %s has %d streams waiting to be accepted", to, cap(t.streams))
	}
}

// MemTransport is one endpoint of a [MemNetwork]. It implements
// [gossip.Transport], so a [gossip.Node] can run on it, and also offers
// in-memory streams ([MemTransport.Dial], [MemTransport.Streams]) for
// protocols that need them.
type MemTransport struct {
	net     *MemNetwork
	addr    string
	ch      chan gossip.Packet
	streams chan net.Conn
	closed  bool // guarded by net.mu
}

var _ gossip.Transport = (*MemTransport)(nil)

// LocalAddr returns the endpoint's address.
func (t *MemTransport) LocalAddr() string { return t.addr }

// Send sends one datagram to the endpoint at to. It returns
// [gossip.ErrTooLarge] above [MemConfig.MaxDatagram], [ErrUnknownAddr] for an
// address nobody ever listened on and [gossip.ErrClosed] after Close; loss,
// partitions and full receivers drop silently, as on a real network.
func (t *MemTransport) Send(to string, data []byte) error {
	if t.isClosed() {
		return gossip.ErrClosed
	}
	return t.net.send(t.addr, to, data)
}

// Packets returns the channel of received datagrams; [MemTransport.Close]
// closes it.
func (t *MemTransport) Packets() <-chan gossip.Packet { return t.ch }

// Streams returns the channel of stream connections dialled to this endpoint.
func (t *MemTransport) Streams() <-chan net.Conn { return t.streams }

// Dial opens a reliable in-memory stream to the endpoint at to. It fails at
// once (never blocks) when to is unknown ([ErrUnknownAddr]), across a
// partition ([ErrUnreachable]), or has too many connections waiting to be
// accepted ([MemConfig.StreamBacklog]).
func (t *MemTransport) Dial(to string) (net.Conn, error) {
	if t.isClosed() {
		return nil, gossip.ErrClosed
	}
	return t.net.dial(t.addr, to)
}

// Stats returns this endpoint's counters.
func (t *MemTransport) Stats() MemStats { return t.net.Stats(t.addr) }

func (t *MemTransport) isClosed() bool {
	t.net.mu.Lock()
	defer t.net.mu.Unlock()
	return t.closed
}

// Close detaches the endpoint: its address stops receiving,
// [MemTransport.Packets] and [MemTransport.Streams] are closed, and streams
// nobody accepted are closed.
func (t *MemTransport) Close() error {
	t.net.mu.Lock()
	defer t.net.mu.Unlock()
	if t.closed {
		return nil
	}
	t.closed = true
	if t.net.nodes[t.addr] == t {
		delete(t.net.nodes, t.addr)
	}
	close(t.ch)
	close(t.streams)
	for c := range t.streams {
		c.Close()
	}
	return nil
}

// memAddr is the net.Addr of a MemNetwork endpoint. It resolves as TCP when
// the address is host:port, which is what stream users expect.
func memAddr(s string) net.Addr {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return net.TCPAddrFromAddrPort(ap)
	}
	return stringAddr(s)
}

type stringAddr string

func (a stringAddr) Network() string { return "mem" }
func (a stringAddr) String() string  { return string(a) }

type memConn struct {
	net.Conn
	local, remote net.Addr
}

func (c *memConn) LocalAddr() net.Addr  { return c.local }
func (c *memConn) RemoteAddr() net.Addr { return c.remote }

type delivery struct {
	at  time.Time
	seq uint64
	to  string
	p   gossip.Packet
}

type deliveries []delivery

func (d deliveries) Len() int { return len(d) }
func (d deliveries) Less(i, j int) bool {
	if d[i].at.Equal(d[j].at) {
		return d[i].seq < d[j].seq
	}
	return d[i].at.Before(d[j].at)
}
func (d deliveries) Swap(i, j int) { d[i], d[j] = d[j], d[i] }
func (d *deliveries) Push(x any)   { *d = append(*d, x.(delivery)) }
func (d *deliveries) Pop() any {
	old := *d
	x := old[len(old)-1]
	*d = old[:len(old)-1]
	return x
}
