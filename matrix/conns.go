package matrix

import (
	"context"
	"fmt"
	"net"
	"sync"
)

// connSet is a TCP listener and the connections accepted from it, so that a
// server can close them all when its context ends (or it is closed) and wait
// for their handlers. The coordinator and the workers serve their
// connections through one.
type connSet struct {
	ln      net.Listener
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	serving bool // serve has started
	closed  bool // close has run: the listener and every connection are closed
	wg      sync.WaitGroup
}

func newConnSet(ln net.Listener) *connSet {
	return &connSet{ln: ln, conns: map[net.Conn]struct{}{}}
}

// begin marks the set as serving, or says why it cannot serve: it has been
// closed, or served already. who names the server in the error.
func (s *connSet) begin(who string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return fmt.Errorf("matrix: %s is closed: %w", who, net.ErrClosed)
	case s.serving:
		return fmt.Errorf("matrix: %s: Run called twice", who)
	}
	s.serving = true
	return nil
}

// serve, called once after begin succeeded, accepts connections and runs
// handle for each in a goroutine of its own until ctx ends, close is called
// or accepting fails; then it closes the listener and every connection and
// returns once every handler has returned. who names the server in the
// accept error.
func (s *connSet) serve(ctx context.Context, who string, handle func(context.Context, net.Conn)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = s.close() })
	defer stop()
	var err error
	for {
		conn, aerr := s.ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil && !s.isClosed() {
				err = fmt.Errorf("matrix: %s accept: %w", who, aerr)
			}
			break
		}
		if !s.track(conn) {
			break
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer s.untrack(conn)
			handle(ctx, conn)
		}()
	}
	cancel()
	_ = s.close()
	s.wg.Wait()
	return err
}

// close closes the listener and every connection; it may be called any
// number of times. The handlers of a running serve see their connections
// fail and return; serve waits for them.
func (s *connSet) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for conn := range s.conns {
		_ = conn.Close()
	}
	return err
}

func (s *connSet) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// track adds an accepted connection, or closes it when the set is closed.
func (s *connSet) track(conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = conn.Close()
		return false
	}
	s.conns[conn] = struct{}{}
	return true
}

func (s *connSet) untrack(conn net.Conn) {
	s.mu.Lock()
	delete(s.conns, conn)
	s.mu.Unlock()
	_ = conn.Close()
}
