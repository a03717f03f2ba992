package matrix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"
)

// CoordinatorConfig configures a [Coordinator].
type CoordinatorConfig struct {
	Addr          string         // TCP listen address; port 0 picks one
	Registry      RegistryConfig // lease and heartbeat timing
	SweepInterval time.Duration  // how often expired leases and silent peers are reclaimed
	IdleTimeout   time.Duration  // a control connection silent this long is closed
	MaxConns      int            // connections served at once (workers' sessions included); more are refused; 0 = DefaultMaxConns
	Limits        Limits         // bounds on frames read
	Logger        *slog.Logger   // nil = silent
}

// DefaultMaxConns is how many connections a coordinator serves at once
// unless [CoordinatorConfig.MaxConns] says otherwise: every registered worker
// holds one, and every client waiting for a lease.
const DefaultMaxConns = 1024

// DefaultCoordinatorConfig listens on 127.0.0.1 with a free port and sweeps
// every 100 ms.
func DefaultCoordinatorConfig() CoordinatorConfig {
	return CoordinatorConfig{
		Addr:          "127.0.0.1:0",
		Registry:      DefaultRegistryConfig(),
		SweepInterval: 100 * time.Millisecond,
		IdleTimeout:   time.Minute,
		MaxConns:      DefaultMaxConns,
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
	if c.MaxConns < 0 {
		return fmt.Errorf("matrix: CoordinatorConfig.MaxConns %d must not be negative", c.MaxConns)
	}
	return c.Limits.validate("CoordinatorConfig.")
}

// Coordinator is the main server: it keeps the [Registry] and speaks the
// control protocol (register, heartbeat, acquire, renew, release) over TCP.
type Coordinator struct {
	cfg   CoordinatorConfig
	reg   *Registry
	conns *connSet // the listener and the connections it accepted
	log   *slog.Logger
}

// NewCoordinator validates cfg and binds the listener. A zero field of cfg
// means its value in [DefaultCoordinatorConfig].
func NewCoordinator(cfg CoordinatorConfig) (*Coordinator, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	reg, err := NewRegistry(cfg.Registry)
	if err != nil {
		return nil, err
	}
	conns, err := listen("coordinator", cfg.Addr, cfg.MaxConns)
	if err != nil {
		return nil, err
	}
	return &Coordinator{cfg: cfg, reg: reg, conns: conns, log: logger(cfg.Logger)}, nil
}

// Addr is the address the coordinator listens on.
func (c *Coordinator) Addr() string { return c.conns.Addr().String() }

// Registry is the coordinator's peer table.
func (c *Coordinator) Registry() *Registry { return c.reg }

// Run serves until ctx ends or Close is called, then closes the listener
// and every connection and returns once all its goroutines have finished.
// Run may be called once; called again, or after Close, it returns an error
// at once.
func (c *Coordinator) Run(ctx context.Context) error {
	return c.conns.run(ctx, "coordinator", c.serve, func(ctx context.Context) {
		_ = every(ctx, c.cfg.SweepInterval, func() error {
			if res := c.reg.Sweep(); len(res.Expired)+len(res.Removed) > 0 {
				c.log.Info("swept", "expired_leases", res.Expired, "removed_peers", res.Removed)
			}
			return nil
		})
	})
}

// Close closes the listener and every connection. Before Run it releases
// the port; during Run it makes [Coordinator.Run] wind down and return nil,
// and waits for that. A later Run returns an error matching [ErrClosed]
// (and net.ErrClosed). Close may be called any number of times; only the
// first can return an error, from closing the listener.
func (c *Coordinator) Close() error { return c.conns.CloseAndWait() }

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
		case *DropMsg:
			if err := c.reg.Drop(m.LeaseID, m.Peer); err != nil {
				_ = reply(&ErrorMsg{Text: err.Error()})
			} else {
				c.log.Info("peer dropped by its lease holder", "lease", m.LeaseID, "peer", m.Peer)
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
