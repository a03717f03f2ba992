package matrix

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"
)

// connSet is a TCP listener and the connections accepted from it, so that a
// server can close them all when its context ends (or it is closed) and wait
// for their handlers. The coordinator and the workers serve their
// connections through one.
type connSet struct {
	ln      net.Listener
	max     int // most connections served at once; more are refused
	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	serving bool // serve has started
	closed  bool // close has run: the listener and every connection are closed
	wg      sync.WaitGroup
	ran     chan struct{} // closed by end, when the server's Run has returned
}

// listen binds a server's TCP listener on addr and returns its connection
// set, serving at most max connections at once; who names the server in
// the error.
func listen(who, addr string, max int) (*connSet, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("matrix: %s: %w", who, err)
	}
	return &connSet{ln: ln, max: max, conns: map[net.Conn]struct{}{}, ran: make(chan struct{})}, nil
}

// closedError is what Run returns once its server is closed: it matches
// both [ErrClosed] and net.ErrClosed.
type closedError struct{ who string }

func (e closedError) Error() string { return "matrix: " + e.who + " is closed" }

func (e closedError) Is(target error) bool { return target == ErrClosed || target == net.ErrClosed }

// end, deferred by a Run whose begin succeeded, marks that Run has
// returned, releasing a Close that waits for it.
func (s *connSet) end() { close(s.ran) }

// closeAndWait is a server's Close: close, then wait for a Run in progress
// to return.
func (s *connSet) closeAndWait() error {
	err := s.close()
	s.mu.Lock()
	serving := s.serving
	s.mu.Unlock()
	if serving {
		<-s.ran
	}
	return err
}

// begin marks the set as serving, or says why it cannot serve: it has been
// closed, or served already. who names the server in the error.
func (s *connSet) begin(who string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return closedError{who}
	case s.serving:
		return fmt.Errorf("matrix: %s: Run called twice", who)
	}
	s.serving = true
	return nil
}

// run is a server's Run: begin, then serve with handle until ctx ends or
// close is called, with beside (when not nil) running on a context that
// ends with the serving; it returns once both have returned. who names the
// server in errors.
func (s *connSet) run(ctx context.Context, who string, handle func(context.Context, net.Conn), beside func(context.Context)) error {
	if err := s.begin(who); err != nil {
		return err
	}
	defer s.end()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if beside != nil {
		wg.Go(func() { beside(ctx) })
	}
	err := s.serve(ctx, who, handle)
	cancel()
	wg.Wait()
	return err
}

// every calls f every d until ctx ends (then it returns nil) or f returns
// an error, which it returns.
func every(ctx context.Context, d time.Duration, f func() error) error {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := f(); err != nil {
				return err
			}
		}
	}
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
		ok, full := s.track(conn)
		if full {
			refuse(conn, who, s.max)
			continue
		}
		if !ok {
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

// track adds an accepted connection, or closes it when the set is closed;
// full says the set already serves its maximum and conn was not added.
func (s *connSet) track(conn net.Conn) (ok, full bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		_ = conn.Close()
		return false, false
	}
	if len(s.conns) >= s.max {
		return false, true
	}
	s.conns[conn] = struct{}{}
	return true, false
}

// refuse answers a connection over the limit with an error frame, written
// with a short deadline so that the accept loop never waits on it, and
// closes it.
func refuse(conn net.Conn, who string, max int) {
	_ = conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_ = NewEncoder(conn).Encode(&ErrorMsg{Text: fmt.Sprintf("matrix: %s busy: %d connections, the most it serves at once", who, max)})
	_ = conn.Close()
}

// idleConn is a connection whose every Read and Write must make progress
// within timeout: each call moves its deadline. A peer that stops sending
// or reading (a slow-loris client, a stopped process) holds a worker's
// connection for at most timeout, however large the frame it announced.
type idleConn struct {
	net.Conn
	timeout time.Duration
}

func (c idleConn) Read(b []byte) (int, error) {
	_ = c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	return c.Conn.Read(b)
}

func (c idleConn) Write(b []byte) (int, error) {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	return c.Conn.Write(b)
}

func (s *connSet) untrack(conn net.Conn) {
	s.mu.Lock()
	delete(s.conns, conn)
	s.mu.Unlock()
	_ = conn.Close()
}
