package p2p

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netlab-go/netlab/internal/calls"
)

// server is what a seed and a peer share as TCP servers: a listener whose
// connections are served one goroutine each, at most maxConns at once, the
// goroutines they wait for, and one Close for all of it.
type server struct {
	ln       net.Listener
	addr     netip.AddrPort
	maxConns int
	log      *slog.Logger
	prefix   string // of log messages: "seed: " for seeds
	rejected func() // if set, called for every rejected line

	active atomic.Int64 // accepted connections being served
	wg     sync.WaitGroup

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	life   calls.Once // Run begins once (see begin), not after close
}

// newServer binds addr (see listen); field names the config field in errors.
func newServer(field, addr string, maxConns int, log *slog.Logger, prefix string) (*server, error) {
	ln, err := listen(field, addr)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &server{ln: ln, addr: listenAddr(ln), maxConns: maxConns, log: log, prefix: prefix,
		conns: make(map[net.Conn]struct{})}, nil
}

// serve accepts connections until the listener closes and runs handle for
// each in a goroutine of its own; the connection is closed when handle
// returns. One connection over maxConns is told "error:too many
// connections" and closed, so a flood of connections cannot exhaust the
// node. serve returns the accept error, or nil after close.
func (s *server) serve(handle func(net.Conn)) error {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.isClosed() {
				return nil
			}
			return err
		}
		if !s.track(c) {
			return nil
		}
		if s.active.Add(1) > int64(s.maxConns) {
			s.log.Warn(s.prefix+"rejected connection", "self", s.addr.String(), "from", c.RemoteAddr().String(),
				"reason", "too many connections")
			_ = writeLine(c, prefixError+"too many connections", time.Second)
			s.active.Add(-1)
			s.untrack(c)
			continue
		}
		if !s.spawn(func() {
			defer s.active.Add(-1)
			defer s.untrack(c)
			handle(c)
		}) {
			s.active.Add(-1)
			s.untrack(c)
		}
	}
}

// spawn runs f in a goroutine that wait waits for, unless the server is
// closed.
func (s *server) spawn(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Go(f)
	return true
}

// track records a connection so that close closes it; false means the
// server is closing and the connection was closed.
func (s *server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		c.Close()
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// untrack closes a tracked connection and forgets it.
func (s *server) untrack(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// close closes the listener and every tracked connection; later calls do
// nothing. It does not wait: see wait.
func (s *server) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	s.life.Close()
	for c := range s.conns {
		c.Close()
	}
	return s.ln.Close()
}

func (s *server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// wait returns once every goroutine started by spawn (and serve) is done.
func (s *server) wait() { s.wg.Wait() }

// lineHandler answers one request line. A non-empty reply is sent; stop
// ends the connection after it; a non-nil bad is the reason the line was
// rejected, answered "error:<bad>" and counted toward maxErrors.
type lineHandler func(line string, br *bufio.Reader) (reply string, stop bool, bad error)

// serveLines reads request lines from c until it goes quiet (readTimeout),
// sends a line over maxLine, or has sent maxErrors bad lines, and answers
// each with handle. The seed's connections and the one-off requests a peer
// accepts are both served this way.
func (s *server) serveLines(c net.Conn, maxLine, maxErrors int, readTimeout time.Duration, handle lineHandler) {
	from := c.RemoteAddr().String()
	br := newLineReader(c, maxLine)
	errs := 0
	for !s.isClosed() {
		if err := c.SetReadDeadline(time.Now().Add(readTimeout)); err != nil {
			return
		}
		line, err := readLine(br)
		if errors.Is(err, errLineTooLong) {
			s.log.Warn(s.prefix+"rejected line", "self", s.addr.String(), "from", from,
				"reason", "longer than limit", "limit", maxLine)
			s.countRejected()
			_ = writeLine(c, fmt.Sprintf("%sline longer than %d bytes", prefixError, maxLine), time.Second)
			return
		}
		if err != nil {
			return
		}
		reply, stop, bad := handle(line, br)
		if bad != nil {
			errs++
			s.countRejected()
			s.log.Warn(s.prefix+"rejected line", "self", s.addr.String(), "from", from, "line", clip(line),
				"reason", bad.Error())
			reply = prefixError + bad.Error()
		}
		if reply != "" {
			if err := writeLine(c, reply, readTimeout); err != nil {
				return
			}
		}
		if stop || errs >= maxErrors {
			if bad != nil && errs >= maxErrors {
				s.log.Warn(s.prefix+"closed connection", "self", s.addr.String(), "from", from, "reason", "too many bad lines")
			}
			return
		}
	}
}

func (s *server) countRejected() {
	if s.rejected != nil {
		s.rejected()
	}
}
