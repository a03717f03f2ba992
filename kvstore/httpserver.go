package kvstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/netutil"

	"github.com/netlab-go/netlab/internal/calls"
	"github.com/netlab-go/netlab/internal/defaults"
)

// HTTPConfig configures an [HTTPServer]. The zero value of every field means
// its default ([DefaultHTTPConfig]); a negative limit turns that limit off.
//
// The limits exist because the API faces whoever can reach the port. Without
// them, 2,000 PUTs that each announce 100 kB and send 2 bytes keep 2,000
// descriptors open for as long as their senders like (a slow-body attack);
// with them, each such connection is closed after ReadTimeout, at most
// MaxConns are open at once, and one client cannot take more than its share
// of requests.
type HTTPConfig struct {
	// Addr is where the server listens (host:port); empty means
	// 127.0.0.1:0, a free port on loopback.
	Addr string
	// ReadHeaderTimeout bounds reading a request's headers, ReadTimeout the
	// whole request including its body, WriteTimeout the answer (it must
	// exceed [Config.AckTimeout] for writes with w > 0), IdleTimeout a
	// kept-alive connection between requests.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// MaxConns caps the connections served at once; further ones wait in
	// the kernel's accept queue (netutil.LimitListener).
	MaxConns int
	// Rate is the requests per second one client (one IP address) may
	// make on average, Burst how many it may make at once; beyond them it
	// gets 429 Too Many Requests with a Retry-After header.
	Rate  float64
	Burst int
	// Logger receives the server's errors; nil is silent.
	Logger *slog.Logger
}

// DefaultHTTPConfig returns limits generous for people and scripts and
// tight for a stranger: 5 s for headers, 30 s for a request, 30 s for an
// answer, 2 min idle, 512 connections, 200 requests per second per client
// with bursts of 400.
func DefaultHTTPConfig() HTTPConfig {
	return HTTPConfig{
		Addr:              "127.0.0.1:0",
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxConns:          512,
		Rate:              200,
		Burst:             400,
	}
}

// withDefaults fills zero fields from DefaultHTTPConfig.
func (c HTTPConfig) withDefaults() HTTPConfig {
	return defaults.Fill(c, DefaultHTTPConfig())
}

// HTTPServer serves a [Node]'s Handler with the limits of an [HTTPConfig].
type HTTPServer struct {
	srv  *http.Server
	ln   net.Listener
	once sync.Once
	err  error
	life calls.Once // Run begins once, and not after close
}

// NewHTTPServer binds cfg.Addr and returns a server for n's API; Run serves
// it.
func NewHTTPServer(n *Node, cfg HTTPConfig) (*HTTPServer, error) {
	cfg = cfg.withDefaults()
	if cfg.Rate > 0 && cfg.Burst < 1 {
		return nil, fmt.Errorf("kvstore: HTTPConfig.Burst %d must be at least 1 when Rate is set", cfg.Burst)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("kvstore: HTTPConfig.Addr: %w", err)
	}
	if cfg.MaxConns > 0 {
		ln = netutil.LimitListener(ln, cfg.MaxConns)
	}
	h := n.Handler()
	if cfg.Rate > 0 {
		h = newRateLimiter(cfg.Rate, cfg.Burst, time.Now).wrap(h)
	}
	pos := func(d time.Duration) time.Duration { return max(d, 0) } // negative: no limit
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: pos(cfg.ReadHeaderTimeout),
		ReadTimeout:       pos(cfg.ReadTimeout),
		WriteTimeout:      pos(cfg.WriteTimeout),
		IdleTimeout:       pos(cfg.IdleTimeout),
		MaxHeaderBytes:    16 << 10,
	}
	if cfg.Logger != nil {
		srv.ErrorLog = slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug)
	}
	return &HTTPServer{srv: srv, ln: ln}, nil
}

// Addr returns the address the server listens on.
func (s *HTTPServer) Addr() net.Addr { return s.ln.Addr() }

// URL returns the server's base URL, http://host:port.
func (s *HTTPServer) URL() string { return "http://" + s.ln.Addr().String() }

// Run serves until ctx ends (or Close), then gives requests in progress a
// second to finish and closes every connection. It returns nil after a
// normal stop, and [ErrClosed] when called after Close. It may be called
// once.
func (s *HTTPServer) Run(ctx context.Context) error {
	if err := s.life.Begin(ErrClosed, "kvstore: HTTPServer.Run"); err != nil {
		return err
	}
	defer s.life.End()
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case <-ctx.Done():
	case err := <-errc:
		_ = s.close()
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("kvstore: HTTP server: %w", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = s.srv.Shutdown(sctx)
	err := s.close()
	<-errc
	return err
}

// Close closes the listener and every connection at once, and waits for a
// running Run to return. It is idempotent (later calls return what the
// first did); Run after Close returns [ErrClosed].
func (s *HTTPServer) Close() error {
	err := s.close()
	s.life.Wait()
	return err
}

// close closes the server once, for Close and for Run. The listener is
// closed too: http.Server closes only the listeners Serve was given, and a
// server that never ran must release its port all the same.
func (s *HTTPServer) close() error {
	s.once.Do(func() {
		s.life.Close()
		s.err = s.srv.Close()
		if err := s.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) && s.err == nil {
			s.err = err
		}
	})
	return s.err
}

// rateLimiter is a token bucket per client IP: each holds up to burst
// tokens, refilled at rate per second; a request takes one.
type rateLimiter struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*tokenBucket
}

type tokenBucket struct {
	tokens float64
	last   time.Time
}

// maxClients bounds the limiter's memory: beyond it, clients whose buckets
// have refilled (who have been quiet) are forgotten.
const maxClients = 10000

func newRateLimiter(rate float64, burst int, now func() time.Time) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), now: now, buckets: map[string]*tokenBucket{}}
}

// allow takes a token for client, or says how long until one is available.
func (l *rateLimiter) allow(client string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[client]
	if b == nil {
		if len(l.buckets) >= maxClients {
			l.pruneLocked(now)
		}
		b = &tokenBucket{tokens: l.burst, last: now}
		l.buckets[client] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

func (l *rateLimiter) pruneLocked(now time.Time) {
	for c, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, c)
		}
	}
}

func (l *rateLimiter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		client, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			client = r.RemoteAddr
		}
		if ok, wait := l.allow(client); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
			writeError(w, http.StatusTooManyRequests, fmt.Errorf("kvstore: more than %g requests per second from %s", l.rate, client))
			return
		}
		h.ServeHTTP(w, r)
	})
}
