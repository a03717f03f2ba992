package p2p

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// ErrNoMajority is returned (wrapped) when a peer cannot register with
// Majority(n) of its n seeds.
var ErrNoMajority = errors.New("p2p: fewer than a majority of seeds answered")

// Stats counts what a peer has seen.
type Stats struct {
	GossipReceived   int // first-time gossip messages from neighbours
	GossipDuplicates int // gossip messages already in the Message List
	Rejected         int // bad lines received
	DeadReported     int // neighbours reported dead
	Reconnected      int // links to lost neighbours restored (see Lost)
}

// Peer is a member of the overlay: it registers with a majority of the seeds,
// connects to neighbours chosen by preferential attachment, generates and
// floods gossip, and checks its neighbours' liveness.
type Peer struct {
	*server
	cfg  Config
	dial DialFunc

	mu         sync.Mutex
	rnd        *rand.Rand
	links      map[netip.AddrPort]*link
	lost       map[netip.AddrPort]time.Time // neighbours declared dead, and when (see reconnect)
	msgs       *MessageList
	seq        int
	registered []netip.AddrPort // seeds of the last successful registration
	known      []netip.AddrPort // union of the seeds' last peer lists
	joined     bool
	joinedCh   chan struct{}
	stopRun    context.CancelFunc // ends a running Run; set by Run
	refreshing bool
	stats      Stats
}

// link is a neighbour: a long-lived TCP connection over which gossip and
// liveness lines flow both ways. The peer that opened it is the one that
// redials it when it breaks; the other side probes (see Peer.probe).
type link struct {
	addr     netip.AddrPort
	outgoing bool
	c        *lconn // nil while the connection is down
	failures int    // liveness checks failed in a row
	awaiting bool   // a liveness request is unanswered
	probing  bool   // a probe of the down link is under way
}

// lconn is one link connection with its writer queue.
type lconn struct {
	c    net.Conn
	out  chan string
	done chan struct{}
	once sync.Once
}

// linkQueue is the number of lines that may wait for a slow neighbour; more
// are dropped (and liveness will notice a neighbour that stays stuck).
const linkQueue = 256

func (l *lconn) send(s string) bool {
	select {
	case <-l.done:
		return false
	case l.out <- s:
		return true
	default:
		return false
	}
}

func (l *lconn) close() {
	l.once.Do(func() {
		close(l.done)
		l.c.Close()
	})
}

// NewPeer validates cfg and binds the listen address. Seeds is required; any
// other zero field of cfg means its value in [DefaultConfig] (Capacity 0
// means no limit, as there).
func NewPeer(cfg Config) (*Peer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	srv, err := newServer("Config.Addr", cfg.Addr, cfg.MaxConns, cfg.Logger, "")
	if err != nil {
		return nil, err
	}
	p := &Peer{server: srv, cfg: cfg, dial: cfg.Dial, rnd: cfg.Rand,
		links: make(map[netip.AddrPort]*link), lost: make(map[netip.AddrPort]time.Time),
		msgs: NewMessageList(cfg.MessageTTL, cfg.MessageListMax), joinedCh: make(chan struct{})}
	srv.rejected = func() {
		p.mu.Lock()
		p.stats.Rejected++
		p.mu.Unlock()
	}
	if p.dial == nil {
		p.dial = defaultDial
	}
	if p.cfg.Now == nil {
		p.cfg.Now = time.Now
	}
	if p.rnd == nil {
		p.rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return p, nil
}

// Addr returns the peer's listen address, the one it registers.
func (p *Peer) Addr() netip.AddrPort { return p.addr }

// Joined is closed once the peer has registered with a majority of the seeds
// and picked its first neighbours.
func (p *Peer) Joined() <-chan struct{} { return p.joinedCh }

// Neighbours returns the peer's neighbours, sorted, including any whose
// connection is down but not yet declared dead.
func (p *Peer) Neighbours() []netip.AddrPort {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.SortedFunc(maps.Keys(p.links), netip.AddrPort.Compare)
}

// Registered returns the seeds the peer last registered with.
func (p *Peer) Registered() []netip.AddrPort {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.registered)
}

// Stats returns the peer's counters.
func (p *Peer) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Run joins the overlay and runs gossip, liveness and refresh until ctx ends
// or Close is called; then it closes every connection and returns nil once
// its goroutines are done. It says no goodbye: neighbours notice a stopped
// peer by liveness, so stopping a whole overlay is quick. A failed join is
// retried every RefreshInterval. Run may be called once; after Close it
// returns an error matching [ErrClosed].
func (p *Peer) Run(ctx context.Context) error {
	if err := p.begin("Peer"); err != nil {
		return err
	}
	defer p.conns.End()
	ctx, cancel := context.WithCancel(ctx)
	p.mu.Lock()
	p.stopRun = cancel
	p.mu.Unlock()
	if p.conns.Closed() { // Close ran between begin and here: it found no stopRun
		cancel()
	}

	p.conns.Go(func() { _ = p.serve(func(c net.Conn) { p.serveIncoming(c) }) })
	p.startRefresh(ctx)

	gossip := time.NewTicker(p.cfg.GossipInterval)
	liveness := time.NewTicker(p.cfg.LivenessInterval)
	refresh := time.NewTicker(p.cfg.RefreshInterval)
	defer gossip.Stop()
	defer liveness.Stop()
	defer refresh.Stop()
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-gossip.C:
			p.generate()
		case <-liveness.C:
			p.checkLiveness(ctx)
		case <-refresh.C:
			p.startRefresh(ctx)
		}
	}
	cancel()
	p.shut()
	p.conns.Wait()
	return nil
}

// Close stops the peer: it ends a running [Peer.Run] and waits for it to
// return, and closes the listener and every connection. Close is
// idempotent (only the first call can return an error, from closing the
// listener), and Run after it returns [ErrClosed].
func (p *Peer) Close() error {
	err := p.shut()
	p.mu.Lock()
	stop := p.stopRun
	p.mu.Unlock()
	if stop != nil {
		stop()
	}
	p.conns.WaitRun()
	return err
}

// shut closes the listener and every connection.
func (p *Peer) shut() error {
	err := p.conns.Close() // from here on no connection is tracked, no goroutine spawned
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.links {
		if l.c != nil {
			l.c.close()
		}
	}
	return err
}

// generate makes the next of the peer's GossipCount messages, once joined.
func (p *Peer) generate() {
	p.mu.Lock()
	due := p.joined && p.seq < p.cfg.GossipCount
	p.mu.Unlock()
	if due {
		p.Publish()
	}
}

// Publish generates the peer's next gossip message, <timestamp>:<IP#Port>:<n>,
// records it in the [Message] List and sends it to every neighbour. It returns
// the message. The timed generator calls it; tests and benchmarks may too.
func (p *Peer) Publish() Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seq++
	m := Message{Kind: KindGossip, Time: StampOf(p.cfg.Now()), From: p.addr, Seq: p.seq}
	p.msgs.Add(KeyOf(m), p.cfg.Now())
	line := m.String()
	for _, l := range p.links {
		if l.c != nil {
			l.c.send(line)
		}
	}
	return m
}

// onGossip handles a gossip line from neighbour from: the first time it is
// seen it is logged and forwarded to every other neighbour; repeats are
// counted and dropped.
func (p *Peer) onGossip(m Message, from netip.AddrPort) {
	now := p.cfg.Now()
	p.mu.Lock()
	if !p.msgs.Add(KeyOf(m), now) {
		p.stats.GossipDuplicates++
		p.mu.Unlock()
		return
	}
	p.stats.GossipReceived++
	line := m.String()
	for a, l := range p.links {
		if a != from && l.c != nil {
			l.c.send(line)
		}
	}
	p.mu.Unlock()
	p.log.Info("gossip received", "self", p.addr.String(), "local_time", now.Format(time.RFC3339Nano),
		"from", from.Addr().String(), "message", line)
	if p.cfg.OnGossip != nil {
		p.cfg.OnGossip(m, from)
	}
}

// reject counts and logs a bad line from addr.
func (p *Peer) reject(from, line string, err error) {
	p.mu.Lock()
	p.stats.Rejected++
	p.mu.Unlock()
	p.log.Warn("rejected line", "self", p.addr.String(), "from", from, "line", clip(line), "reason", err.Error())
}

// String names the peer by its address.
func (p *Peer) String() string { return fmt.Sprintf("peer %s", p.addr) }
