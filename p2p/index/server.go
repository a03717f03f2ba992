package index

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/netlab-go/netlab/pdu"
)

// Config configures an index Server.
type Config struct {
	// Addr is the UDP address to listen on. Default "127.0.0.1:0".
	Addr string
	// Codec is the wire format. Default pdu.Classic{}.
	Codec pdu.Codec
	// Registry holds the registrations. Default a new MemRegistry.
	Registry Registry
	// Workers is the number of goroutines reading the socket. Default 4.
	Workers int
	// Logger receives debug logs of refused datagrams; nil is silent.
	Logger *slog.Logger
}

// DefaultConfig returns a Config for a loopback index server on a free port.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:0", Codec: pdu.Classic{}, Workers: 4}
}

// Server is the index server: it answers R, S, T and O datagrams (RFC 768)
// by the Rules, and keeps serving whatever arrives.
type Server struct {
	cfg   Config
	conn  *net.UDPConn
	rules *Rules
	addr  netip.AddrPort

	requests atomic.Uint64
	refused  atomic.Uint64

	closeOnce sync.Once
	running   atomic.Bool
}

// Stats counts what a Server has seen.
type Stats struct {
	Requests uint64 // datagrams received
	Refused  uint64 // datagrams that did not decode (answered with E)
}

// New validates cfg and binds the UDP socket.
func New(cfg Config) (*Server, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Codec == nil {
		cfg.Codec = pdu.Classic{}
	}
	if cfg.Registry == nil {
		cfg.Registry = NewMemRegistry()
	}
	if cfg.Workers == 0 {
		cfg.Workers = 4
	}
	if cfg.Workers < 0 {
		return nil, fmt.Errorf("index: Config.Workers is %d, want at least 1", cfg.Workers)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	rules, err := NewRules(cfg.Registry, cfg.Codec.Limits().MaxNames)
	if err != nil {
		return nil, err
	}
	ua, err := net.ResolveUDPAddr("udp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("index: Config.Addr %q: %w", cfg.Addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("index: Config.Addr %q: %w", cfg.Addr, err)
	}
	return &Server{cfg: cfg, conn: conn, rules: rules, addr: conn.LocalAddr().(*net.UDPAddr).AddrPort()}, nil
}

// Addr returns the UDP address the server listens on.
func (s *Server) Addr() netip.AddrPort { return s.addr }

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.requests.Load(), Refused: s.refused.Load()}
}

// Run serves datagrams until ctx ends, then closes the socket and returns
// once every worker has stopped.
func (s *Server) Run(ctx context.Context) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("index: Run called twice")
	}
	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	defer stop()
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(s.work)
	}
	wg.Wait()
	_ = s.Close()
	return nil
}

// Close closes the socket, which ends Run. It is safe to call more than once
// and needed only when Run was never called.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() { err = s.conn.Close() })
	return err
}

// work reads, decodes, applies the rules and answers, until the socket
// closes. A datagram that does not decode gets an E naming the problem, and
// the loop goes on.
func (s *Server) work() {
	lim := s.cfg.Codec.Limits()
	buf := make([]byte, lim.MaxDatagram+1) // one more byte reveals an oversized datagram
	out := make([]byte, 0, lim.MaxDatagram)
	var req pdu.PDU
	var replies []pdu.PDU
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // e.g. ICMP port unreachable surfacing on Linux
		}
		s.requests.Add(1)
		replies = replies[:0]
		if err := s.cfg.Codec.Decode(buf[:n], pdu.Request, &req); err != nil {
			s.refused.Add(1)
			s.cfg.Logger.Debug("index: refused datagram", "from", from, "err", err)
			text := strings.TrimPrefix(err.Error(), "pdu: ")
			replies = append(replies, errorPDU(text[:min(len(text), lim.MaxText)]))
		} else {
			replies = s.rules.Handle(&req, from, replies)
		}
		for i := range replies {
			if out, err = s.cfg.Codec.Append(out[:0], &replies[i]); err != nil {
				s.cfg.Logger.Warn("index: cannot encode reply", "err", err)
				continue
			}
			_, _ = s.conn.WriteToUDPAddrPort(out, from)
		}
	}
}
