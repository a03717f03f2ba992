package p2p

import (
	"bufio"
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"
)

// SeedConfig configures a [Seed]. Start from [DefaultSeedConfig].
type SeedConfig struct {
	// Addr is the listen address, a specific IPv4 address; port 0 picks a
	// free port (see [Seed.Addr]).
	Addr string
	// Registry holds the peers; nil means a new [MemRegistry].
	Registry Registry
	// MaxConns bounds the connections served at once. One more is told
	// "error:too many connections" and closed, so a flood of connections
	// cannot exhaust the seed.
	MaxConns int
	// ReadTimeout is the read deadline for each line: a connection that stays
	// silent this long is closed.
	ReadTimeout time.Duration
	// MaxLineLength bounds one line; a longer one closes the connection.
	MaxLineLength int
	// MaxErrors is how many bad lines a connection may send before it is
	// closed.
	MaxErrors int
	// CheckSource makes the seed refuse a register line whose IP differs from
	// the connection's source address.
	CheckSource bool
	// ProbeTimeout bounds the seed's probe of a peer reported dead (see
	// Seed): a peer that does not answer within it is removed. Zero means
	// [DefaultProbeTimeout]. Keep it below the peers' [Config.DialTimeout].
	ProbeTimeout time.Duration
	// Dial opens the probe connections; nil means a plain TCP dialer.
	Dial DialFunc
	// Logger receives connection requests, dead-node reports and rejected
	// input; nil means silent.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// DefaultSeedConfig returns a seed on 127.0.0.1 with an OS-chosen port, 256
// connections, a 10 s read deadline, and the source check on.
func DefaultSeedConfig() SeedConfig {
	return SeedConfig{
		Addr:          "127.0.0.1:0",
		MaxConns:      256,
		ReadTimeout:   10 * time.Second,
		MaxLineLength: MaxLineLength,
		MaxErrors:     3,
		CheckSource:   true,
	}
}

func (c SeedConfig) validate() error {
	switch {
	case c.MaxConns < 1:
		return fmt.Errorf("p2p: SeedConfig.MaxConns %d: want at least 1", c.MaxConns)
	case c.ReadTimeout <= 0:
		return fmt.Errorf("p2p: SeedConfig.ReadTimeout %v: want a positive duration", c.ReadTimeout)
	case c.MaxLineLength < 64 || c.MaxLineLength > MaxLineLength:
		return fmt.Errorf("p2p: SeedConfig.MaxLineLength %d: want 64 to %d", c.MaxLineLength, MaxLineLength)
	case c.MaxErrors < 1:
		return fmt.Errorf("p2p: SeedConfig.MaxErrors %d: want at least 1", c.MaxErrors)
	case c.ProbeTimeout < 0:
		return fmt.Errorf("p2p: SeedConfig.ProbeTimeout %v: want 0 (the default) or a positive duration", c.ProbeTimeout)
	}
	return nil
}

// Seed is a seed node: it keeps the [Registry] of peers, registers peers,
// answers peer-list requests and removes peers reported dead. A Dead Node
// report removes a peer only when it comes from a registered peer and the
// seed's own probe of the reported peer gets no answer, so a stranger cannot
// evict a live peer (see the package documentation, "Dead-node report").
type Seed struct {
	*server
	cfg    SeedConfig
	reg    Registry
	dial   DialFunc
	ctx    context.Context // ends at Close: cancels probes in flight
	cancel context.CancelFunc
	mu     sync.Mutex
	probes map[netip.AddrPort]*probeCall // under mu
}

// NewSeed validates cfg and binds the listen address. A zero field of cfg
// means its value in [DefaultSeedConfig], except CheckSource: a bool's zero
// value, false, turns the check off.
func NewSeed(cfg SeedConfig) (*Seed, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	srv, err := newServer("SeedConfig.Addr", cfg.Addr, cfg.MaxConns, cfg.Logger, "seed: ")
	if err != nil {
		return nil, err
	}
	s := &Seed{server: srv, cfg: cfg, reg: cfg.Registry, dial: cfg.Dial, probes: make(map[netip.AddrPort]*probeCall)}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	if s.reg == nil {
		s.reg = NewMemRegistry()
	}
	if s.dial == nil {
		s.dial = defaultDial
	}
	s.cfg.ProbeTimeout = cmp.Or(s.cfg.ProbeTimeout, DefaultProbeTimeout)
	if s.cfg.Now == nil {
		s.cfg.Now = time.Now
	}
	return s, nil
}

// Addr returns the address the seed listens on.
func (s *Seed) Addr() netip.AddrPort { return s.addr }

// Registry returns the seed's registry.
func (s *Seed) Registry() Registry { return s.reg }

// Run serves connections until ctx ends or Close is called, then closes the
// listener and every connection and returns once all its goroutines have
// finished. Run may be called once; after Close it returns an error
// matching [ErrClosed].
func (s *Seed) Run(ctx context.Context) error {
	if err := s.begin("Seed"); err != nil {
		return err
	}
	defer s.conns.End()
	stop := context.AfterFunc(ctx, func() { s.shut() })
	defer stop()
	err := s.serve(func(c net.Conn) {
		s.serveLines(c, s.cfg.MaxLineLength, s.cfg.MaxErrors, s.cfg.ReadTimeout,
			func(line string, _ *bufio.Reader) (string, bool, error) {
				reply, bad := s.handle(c, line)
				return reply, false, bad
			})
	})
	s.shut()
	s.conns.Wait()
	return err
}

// Close stops the seed: the listener and all connections close, and probes
// in flight are cancelled; Close waits for a running [Seed.Run] to return.
// Close is idempotent (only the first call can return an error, from
// closing the listener), and Run after it returns [ErrClosed].
func (s *Seed) Close() error {
	err := s.shut()
	s.conns.WaitRun()
	return err
}

// shut cancels the probes and closes the listener and every connection.
func (s *Seed) shut() error {
	s.cancel()
	return s.conns.Close()
}

// handle answers one line; a non-nil error is the reason it was rejected.
func (s *Seed) handle(c net.Conn, line string) (string, error) {
	m, err := Parse(line)
	if err != nil {
		return "", err
	}
	switch m.Kind {
	case KindRegister:
		if src := remoteAddr(c); s.cfg.CheckSource && src != m.Addr.Addr() {
			return "", fmt.Errorf("register address %s does not match connection source %s", m.Addr.Addr(), src)
		}
		if err := s.reg.Register(m.Addr, s.cfg.Now()); err != nil {
			return "", fmt.Errorf("registry: %v", err)
		}
		s.log.Info("seed: connection request", "seed", s.addr.String(), "peer", m.Addr.String(), "from", c.RemoteAddr().String())
		return lineRegistered, nil
	case KindGetPeerList:
		return s.peerList(), nil
	case KindDeadNode:
		return s.deadNode(remoteAddr(c), m)
	}
	return "", fmt.Errorf("a seed does not take %s messages", m.Kind)
}

// peerList encodes the registry, cut to a random subset when the whole list
// would not fit in one line.
func (s *Seed) peerList() string {
	peers := s.reg.Peers()
	line := Message{Kind: KindPeerList, Peers: peers}.String()
	if len(line) <= s.cfg.MaxLineLength {
		return line
	}
	const entry = len("255.255.255.255#65535:")
	n := (s.cfg.MaxLineLength - len(prefixPeerList)) / entry
	rand.Shuffle(len(peers), func(i, j int) { peers[i], peers[j] = peers[j], peers[i] })
	return Message{Kind: KindPeerList, Peers: peers[:n]}.String()
}
