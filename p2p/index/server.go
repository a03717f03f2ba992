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
	"time"

	"github.com/netlab-go/netlab/internal/calls"
	"github.com/netlab-go/netlab/internal/defaults"
	"github.com/netlab-go/netlab/pdu"
)

// Config configures an index [Server].
type Config struct {
	// Addr is the UDP address to listen on. Default "127.0.0.1:0".
	Addr string
	// Codec is the wire format. Default pdu.Classic{}.
	Codec pdu.Codec
	// Registry holds the registrations. Default a new [MemRegistry].
	Registry Registry
	// Workers is the number of goroutines reading the socket. Default 4.
	Workers int
	// MaxPerSource caps the registrations from one source IP address.
	// Default [DefaultMaxPerSource].
	MaxPerSource int
	// MaxRegistrations caps the registrations in total. Default
	// [DefaultMaxRegistrations].
	MaxRegistrations int
	// AllowOtherAddr accepts an R whose advertised IP address is not the
	// sender's (a peer registering on behalf of another host). The default
	// refuses it: otherwise anyone could send downloaders to any host.
	AllowOtherAddr bool
	// ReplyBudget is how many reply bytes per second the server sends to
	// one source IP address; requests beyond it are dropped unanswered and
	// counted in [Stats.Limited]. It bounds what a forged source address can
	// draw onto its owner. Default [DefaultReplyBudget]; a negative value
	// turns the limit off (benchmarks on loopback).
	ReplyBudget int
	// Logger receives debug logs of refused datagrams; nil is silent.
	Logger *slog.Logger
}

// DefaultReplyBudget is [Config.ReplyBudget]'s default: 32 KiB of replies per
// second to one IP address, some 320 Classic replies.
const DefaultReplyBudget = 32 << 10

// DefaultConfig returns a [Config] for a loopback index server on a free port.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:0", Codec: pdu.Classic{}, Workers: 4,
		MaxPerSource: DefaultMaxPerSource, MaxRegistrations: DefaultMaxRegistrations, ReplyBudget: DefaultReplyBudget}
}

// Server is the index server: it answers R, S, T and O datagrams (RFC 768)
// by the [Rules], and keeps serving whatever arrives.
type Server struct {
	cfg    Config
	conn   *net.UDPConn
	rules  *Rules
	budget *budget
	addr   netip.AddrPort

	requests atomic.Uint64
	refused  atomic.Uint64
	limited  atomic.Uint64

	life calls.Once // orders Run's start against Close
	once sync.Once  // closes the socket
}

// Stats counts what a [Server] has seen.
type Stats struct {
	Requests uint64 // datagrams received
	Refused  uint64 // datagrams that did not decode (answered with E)
	Limited  uint64 // datagrams dropped unanswered: their source's ReplyBudget was spent
}

// ErrClosed is returned by [Server.Run] after [Server.Close], and by a
// [Peer]'s methods (Run, Register, Deregister, List, Download) after
// [Peer.Close].
var ErrClosed = errors.New("index: closed")

// New validates cfg and binds the UDP socket.
func New(cfg Config) (*Server, error) {
	cfg = defaults.Fill(cfg, DefaultConfig())
	if cfg.Registry == nil {
		cfg.Registry = NewMemRegistry()
	}
	if cfg.Workers < 0 {
		return nil, fmt.Errorf("index: Config.Workers is %d, want at least 1", cfg.Workers)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxPerSource < 0 || cfg.MaxRegistrations < 0 {
		return nil, fmt.Errorf("index: Config.MaxPerSource %d, Config.MaxRegistrations %d: want at least 1 (0 for the default)", cfg.MaxPerSource, cfg.MaxRegistrations)
	}
	rules, err := NewRules(cfg.Registry, RulesConfig{
		NamesPerReply:    cfg.Codec.Limits().MaxNames,
		HoldersPerReply:  holdersPerReply(cfg.Codec),
		MaxPerSource:     cfg.MaxPerSource,
		MaxRegistrations: cfg.MaxRegistrations,
		AllowOtherAddr:   cfg.AllowOtherAddr,
	})
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
	s := &Server{cfg: cfg, conn: conn, rules: rules, addr: conn.LocalAddr().(*net.UDPAddr).AddrPort()}
	if cfg.ReplyBudget > 0 {
		s.budget = newBudget(cfg.ReplyBudget)
	}
	return s, nil
}

// Addr returns the UDP address the server listens on.
func (s *Server) Addr() netip.AddrPort { return s.addr }

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.requests.Load(), Refused: s.refused.Load(), Limited: s.limited.Load()}
}

// Run serves datagrams until ctx ends or Close is called, then closes the
// socket and returns nil once every worker has stopped. It may be called
// once; after Close it returns [ErrClosed].
func (s *Server) Run(ctx context.Context) error {
	if err := s.life.Begin(ErrClosed, "index: Run"); err != nil {
		return err
	}
	defer s.life.End()
	stop := context.AfterFunc(ctx, func() { _ = s.closeConn() })
	defer stop()
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(s.work)
	}
	wg.Wait()
	_ = s.closeConn()
	return nil
}

// Close closes the socket, which ends a running Run, and waits for Run to
// return. It may be called any number of times; calls after the first
// return nil, and Run after it returns [ErrClosed].
func (s *Server) Close() error {
	if err := s.life.CloseWith(s.closeConn); !errors.Is(err, net.ErrClosed) {
		return err
	}
	return nil
}

// closeConn closes the socket once, for Close and for Run.
func (s *Server) closeConn() error {
	var err error
	s.once.Do(func() { err = s.conn.Close() })
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
		src := from.Addr().Unmap()
		if !s.budget.admit(src, time.Now()) {
			s.limited.Add(1) // dropped before it can change anything
			continue
		}
		replies, err = answer(s.rules, s.cfg.Codec, buf[:n], from, &req, replies[:0])
		if err != nil {
			s.refused.Add(1)
			s.cfg.Logger.Debug("index: refused datagram", "from", from, "err", err)
		}
		for i := range replies {
			if out, err = s.cfg.Codec.Append(out[:0], &replies[i]); err != nil {
				s.cfg.Logger.Warn("index: cannot encode reply", "err", err)
				continue
			}
			s.budget.spend(src, len(out))
			_, _ = s.conn.WriteToUDPAddrPort(out, from)
		}
	}
}

// answer decodes datagram b, sent from from, into req and appends the replies
// to out: the rules' answer, or an E naming the problem when b does not
// decode, which answer also returns.
func answer(rules *Rules, codec pdu.Codec, b []byte, from netip.AddrPort, req *pdu.PDU, out []pdu.PDU) ([]pdu.PDU, error) {
	if err := codec.Decode(b, pdu.Request, req); err != nil {
		text := strings.TrimPrefix(err.Error(), "pdu: ")
		return append(out, errorPDU(text[:min(len(text), codec.Limits().MaxText)])), err
	}
	return rules.Handle(req, from, out), nil
}

// holdersPerReply is how many holders an S reply of codec can name: all
// Framed can carry, one with Classic.
func holdersPerReply(c pdu.Codec) int {
	if _, ok := c.(pdu.Framed); ok {
		return pdu.FramedMaxHolders
	}
	return 1
}
