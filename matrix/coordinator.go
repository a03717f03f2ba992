package matrix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// CoordinatorConfig configures a Coordinator.
type CoordinatorConfig struct {
	Addr          string         // TCP listen address; port 0 picks one
	Registry      RegistryConfig // lease and heartbeat timing
	SweepInterval time.Duration  // how often expired leases and silent peers are reclaimed
	IdleTimeout   time.Duration  // a control connection silent this long is closed
	Limits        Limits         // bounds on frames read
	Logger        *slog.Logger   // nil = silent
}

// DefaultCoordinatorConfig listens on 127.0.0.1 with a free port and sweeps
// every 100 ms.
func DefaultCoordinatorConfig() CoordinatorConfig {
	return CoordinatorConfig{
		Addr:          "127.0.0.1:0",
		Registry:      DefaultRegistryConfig(),
		SweepInterval: 100 * time.Millisecond,
		IdleTimeout:   time.Minute,
		Limits:        DefaultLimits(),
	}
}

func (c CoordinatorConfig) validate() error {
	if err := c.Registry.validate("CoordinatorConfig.Registry."); err != nil {
		return err
	}
	if c.SweepInterval <= 0 {
		return fmt.Errorf("matrix: CoordinatorConfig.SweepInterval %v must be positive", c.SweepInterval)
	}
	if c.IdleTimeout <= 0 {
		return fmt.Errorf("matrix: CoordinatorConfig.IdleTimeout %v must be positive", c.IdleTimeout)
	}
	return c.Limits.validate("CoordinatorConfig.")
}

// Coordinator is the main server: it keeps the Registry and speaks the
// control protocol (register, heartbeat, acquire, renew, release) over TCP.
type Coordinator struct {
	cfg CoordinatorConfig
	reg *Registry
	ln  net.Listener
	log *slog.Logger

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// NewCoordinator validates cfg and binds the listener.
func NewCoordinator(cfg CoordinatorConfig) (*Coordinator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	reg, err := NewRegistry(cfg.Registry)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("matrix: coordinator: %w", err)
	}
	return &Coordinator{cfg: cfg, reg: reg, ln: ln, log: logger(cfg.Logger), conns: map[net.Conn]struct{}{}}, nil
}

// Addr is the address the coordinator listens on.
func (c *Coordinator) Addr() string { return c.ln.Addr().String() }

// Registry is the coordinator's peer table.
func (c *Coordinator) Registry() *Registry { return c.reg }

// Run serves until ctx ends, then closes the listener and every connection
// and returns once all its goroutines have finished.
func (c *Coordinator) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		t := time.NewTicker(c.cfg.SweepInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if res := c.reg.Sweep(); len(res.Expired)+len(res.Removed) > 0 {
					c.log.Info("swept", "expired_leases", res.Expired, "removed_peers", res.Removed)
				}
			}
		}
	}()
	stop := context.AfterFunc(ctx, func() {
		_ = c.ln.Close()
		c.mu.Lock()
		for conn := range c.conns {
			_ = conn.Close()
		}
		c.mu.Unlock()
	})
	defer stop()
	var err error
	for {
		conn, aerr := c.ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("matrix: coordinator accept: %w", aerr)
			}
			break
		}
		if !c.track(ctx, conn) {
			break
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer c.untrack(conn)
			c.serve(ctx, conn)
		}()
	}
	cancel()
	_ = c.ln.Close()
	c.wg.Wait()
	return err
}

func (c *Coordinator) track(ctx context.Context, conn net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ctx.Err() != nil {
		_ = conn.Close()
		return false
	}
	c.conns[conn] = struct{}{}
	return true
}

func (c *Coordinator) untrack(conn net.Conn) {
	c.mu.Lock()
	delete(c.conns, conn)
	c.mu.Unlock()
	_ = conn.Close()
}

// serve handles one connection: control requests until the peer registers
// (and becomes a heartbeat session) or acquires (and waits for its grant).
func (c *Coordinator) serve(ctx context.Context, conn net.Conn) {
	dec := NewDecoder(conn, c.cfg.Limits)
	enc := NewEncoder(conn)
	reply := func(m Message) error {
		_ = conn.SetWriteDeadline(time.Now().Add(c.cfg.IdleTimeout))
		return enc.Encode(m)
	}
	for {
		_ = conn.SetReadDeadline(time.Now().Add(c.cfg.IdleTimeout))
		m, err := dec.Decode()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.log.Warn("bad frame", "remote", conn.RemoteAddr().String(), "err", err)
				_ = reply(&ErrorMsg{Text: err.Error()})
			}
			if !dec.InSync() || errors.Is(err, io.EOF) {
				return
			}
			continue
		}
		switch m := m.(type) {
		case *RegisterMsg:
			c.peerSession(conn, dec, reply, m.Addr)
			return
		case *AcquireMsg:
			c.acquireSession(ctx, conn, reply, m)
			return
		case *ReleaseMsg:
			if err := c.reg.Release(m.LeaseID); err != nil {
				_ = reply(&ErrorMsg{Text: err.Error()})
			} else {
				c.log.Info("released", "lease", m.LeaseID)
				_ = reply(&OKMsg{})
			}
		case *RenewMsg:
			if l, err := c.reg.Renew(m.LeaseID, m.TTL); err != nil {
				_ = reply(&ErrorMsg{Text: err.Error()})
			} else {
				_ = reply(&GrantMsg{l})
			}
		default:
			_ = reply(&ErrorMsg{Text: fmt.Sprintf("matrix: coordinator does not accept %s frames", m.Type())})
		}
	}
}

// peerSession keeps a registered worker in the table while it heartbeats;
// the peer is removed when the connection drops or a heartbeat is late.
func (c *Coordinator) peerSession(conn net.Conn, dec *Decoder, reply func(Message) error, addr string) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		_ = reply(&ErrorMsg{Text: fmt.Sprintf("matrix: register: bad address %q: %v", addr, err)})
		return
	}
	seq, err := c.reg.register(addr)
	if err != nil {
		_ = reply(&ErrorMsg{Text: err.Error()})
		return
	}
	c.log.Info("peer registered", "addr", addr)
	defer func() {
		if c.reg.removeIf(addr, seq) {
			c.log.Info("peer removed", "addr", addr)
		}
	}()
	if reply(&OKMsg{}) != nil {
		return
	}
	for {
		_ = conn.SetReadDeadline(time.Now().Add(c.cfg.Registry.HeartbeatTimeout))
		m, err := dec.Decode()
		if err != nil {
			return
		}
		if _, ok := m.(*HeartbeatMsg); !ok {
			_ = reply(&ErrorMsg{Text: fmt.Sprintf("matrix: registered peer sent a %s frame, want heartbeat", m.Type())})
			return
		}
		if err := c.reg.heartbeat(addr, seq); err != nil {
			_ = reply(&ErrorMsg{Text: err.Error()})
			return
		}
		if reply(&OKMsg{}) != nil {
			return
		}
	}
}

// acquireSession queues the request, streams status frames while it waits,
// and sends the grant. A client that hangs up while waiting leaves the queue.
func (c *Coordinator) acquireSession(ctx context.Context, conn net.Conn, reply func(Message) error, m *AcquireMsg) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	_ = conn.SetReadDeadline(time.Time{})
	gone := make(chan struct{})
	go func() { // any byte or EOF from a waiting client ends its request
		defer close(gone)
		var b [1]byte
		_, _ = conn.Read(b[:])
		cancel()
	}()
	defer func() { _ = conn.Close(); <-gone }()
	req := Request{N: m.N, Holder: m.Holder, TTL: m.TTL, OnStatus: func(s Status) {
		if reply(&StatusMsg{s}) != nil {
			cancel()
		}
	}}
	c.log.Info("acquire", "holder", m.Holder, "n", m.N)
	l, err := c.reg.AcquireFor(ctx, req)
	if err != nil {
		_ = reply(&ErrorMsg{Text: err.Error()})
		return
	}
	if err := reply(&GrantMsg{l}); err != nil {
		_ = c.reg.Release(l.ID) // the requester is gone; do not wait for expiry
		return
	}
	c.log.Info("granted", "lease", l.ID, "holder", l.Holder, "peers", l.Peers)
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
