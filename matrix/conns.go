package matrix

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/netlab-go/netlab/internal/calls"
	"github.com/netlab-go/netlab/internal/connset"
)

// connSet is a server's TCP listener, the connections accepted from it
// and its Run-once gate (a [connset.Set]): the coordinator and the workers
// serve their connections through one, refusing those over max with an
// error frame.
type connSet struct{ *connset.Set }

// listen binds a server's TCP listener on addr and returns its connection
// set, serving at most max connections at once; who names the server in
// the error.
func listen(who, addr string, max int) (*connSet, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("matrix: %s: %w", who, err)
	}
	return &connSet{connset.New(ln, max)}, nil
}

// closedError is what Run returns once its server is closed: it matches
// both [ErrClosed] and net.ErrClosed.
func closedError(who string) error { return calls.ClosedError(ErrClosed, "matrix: "+who+" is closed") }

// run is a server's Run: it begins once, unless closed (who names the
// server in errors), then serves with handle until ctx ends, Close is
// called or accepting fails, with beside (when not nil) running on a
// context that ends with the serving; it returns once both have returned.
func (s *connSet) run(ctx context.Context, who string, handle func(context.Context, net.Conn), beside func(context.Context)) error {
	if err := s.Begin(closedError(who), "matrix: "+who+": Run"); err != nil {
		return err
	}
	defer s.End()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if beside != nil {
		wg.Go(func() { beside(ctx) })
	}
	err := s.ServeUntil(ctx, handle, func(conn net.Conn) { refuse(conn, who, s.Max()) })
	if err != nil {
		err = fmt.Errorf("matrix: %s accept: %w", who, err)
	}
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

// refuse answers a connection over the limit with an error frame, written
// with a short deadline so that the accept loop never waits on it; the
// connection set closes it then.
func refuse(conn net.Conn, who string, max int) {
	_ = conn.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	_ = NewEncoder(conn).Encode(&ErrorMsg{Text: fmt.Sprintf("matrix: %s busy: %d connections, the most it serves at once", who, max)})
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
