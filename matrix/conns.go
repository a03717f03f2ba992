package matrix

import (
	"context"
	"fmt"
	"net"
	"sync"
)

// connSet is a TCP listener and the connections accepted from it, so that a
// server can close them all when its context ends and wait for their handlers.
// The coordinator and the workers serve their connections through one.
type connSet struct {
	ln    net.Listener
	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func newConnSet(ln net.Listener) *connSet {
	return &connSet{ln: ln, conns: map[net.Conn]struct{}{}}
}

// serve accepts connections and runs handle for each in a goroutine of its
// own until ctx ends or accepting fails; then it closes the listener and every
// connection and returns once every handler has returned. who names the
// server in the accept error.
func (s *connSet) serve(ctx context.Context, who string, handle func(context.Context, net.Conn)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		_ = s.ln.Close()
		s.mu.Lock()
		for conn := range s.conns {
			_ = conn.Close()
		}
		s.mu.Unlock()
	})
	defer stop()
	var err error
	for {
		conn, aerr := s.ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("matrix: %s accept: %w", who, aerr)
			}
			break
		}
		if !s.track(ctx, conn) {
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
	_ = s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *connSet) track(ctx context.Context, conn net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctx.Err() != nil {
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
