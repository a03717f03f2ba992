package connset

import (
	"context"
	"net"
	"sync"

	"github.com/netlab-go/netlab/internal/calls"
)

// Set is a listener and the connections a server holds: those [Set.Serve]
// accepted and any other a server adds with [Set.Track] (a link it dialled
// out, for one); and the gate of the server's Run, which begins once and
// never after Close ([Set.Begin]). Make one with [New]; its methods may be
// called from any goroutine.
type Set struct {
	ln   net.Listener
	max  int        // most accepted connections served at once; 0: no limit
	life calls.Once // the server's Run

	mu      sync.Mutex
	conns   map[net.Conn]struct{} // nil once Close has run
	serving int                   // accepted connections whose handler runs
	wg      sync.WaitGroup
	closing sync.Once // Close's work; a concurrent Close waits for it
}

// New returns the set of ln's connections. Serve runs at most max handlers
// at once and refuses the connections beyond; max 0 means no limit.
func New(ln net.Listener, max int) *Set {
	return &Set{ln: ln, max: max, conns: make(map[net.Conn]struct{})}
}

// Addr returns the listener's address.
func (s *Set) Addr() net.Addr { return s.ln.Addr() }

// Max returns the most accepted connections served at once (0: no limit).
func (s *Set) Max() int { return s.max }

// Begin admits the server's Run, or returns errClosed once Close has been
// called, or an error saying that name (the method, as "pkg: Server.Run")
// was called twice. When it returns nil the caller must call [Set.End] as
// Run returns.
func (s *Set) Begin(errClosed error, name string) error { return s.life.Begin(errClosed, name) }

// End says that the Run [Set.Begin] admitted has returned.
func (s *Set) End() { s.life.End() }

// Began reports whether a Run has begun: a readiness signal for tests.
func (s *Set) Began() bool { return s.life.Began() }

// WaitRun returns once a Run that began has returned; at once if none
// began.
func (s *Set) WaitRun() { s.life.Wait() }

// CloseAndWait is a server's Close: [Set.Close], then [Set.WaitRun].
func (s *Set) CloseAndWait() error {
	err := s.Close()
	s.WaitRun()
	return err
}

// ServeUntil is the body of a server's Run: it serves with [Set.Serve]
// until ctx ends, Close is called or accepting fails, then closes the set
// and returns once every handler has returned. Each handler gets a context
// that ends when the serving does. It returns the error of a failed
// Accept, or nil when ctx ended or the set was closed.
func (s *Set) ServeUntil(ctx context.Context, handle func(context.Context, net.Conn), refuse func(net.Conn)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { _ = s.Close() })
	defer stop()
	err := s.Serve(func(c net.Conn) { handle(ctx, c) }, refuse)
	if ctx.Err() != nil {
		err = nil
	}
	cancel()
	_ = s.Close()
	s.Wait()
	return err
}

// Serve accepts connections and runs handle on each in a goroutine of its
// own, which [Set.Wait] waits for; the connection is closed and forgotten
// when handle returns. A connection accepted while max handlers run is
// passed to refuse (when not nil), which may tell the peer why, with a
// write deadline of its own since Serve accepts nothing meanwhile; then
// it is closed. Serve returns nil once the set is closed, or the error of
// an Accept that failed while it is open; it may then be called again. It
// does not wait for the handlers: see [Set.Wait].
func (s *Set) Serve(handle, refuse func(net.Conn)) error {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if s.Closed() {
				return nil
			}
			return err
		}
		switch s.admit(c) {
		case closed:
			return nil
		case full:
			if refuse != nil {
				refuse(c)
			}
			s.Untrack(c)
		case admitted:
			go func() {
				defer s.wg.Done()
				defer s.forget(c, true)
				handle(c)
			}()
		}
	}
}

type admission int

const (
	admitted admission = iota
	full               // tracked (Close closes it), not counted: to be refused
	closed             // the set is closed: c was closed
)

// admit tracks c and, when there is room, counts it as served and adds its
// handler to the wait group, all under the lock that Close takes: no
// handler starts after Close.
func (s *Set) admit(c net.Conn) admission {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.trackLocked(c) {
		return closed
	}
	if s.max > 0 && s.serving >= s.max {
		return full
	}
	s.serving++
	s.wg.Add(1)
	return admitted
}

// forget closes c and removes it from the set; served says it was
// admitted to be served, and counted.
func (s *Set) forget(c net.Conn, served bool) {
	_ = c.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, c)
	if served {
		s.serving--
	}
}

// Track adds a connection the server opened itself, so that Close closes
// it too; it is not counted against max. Once the set is closed, Track
// closes c and returns false.
func (s *Set) Track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.trackLocked(c)
}

// trackLocked adds c, or closes it and returns false once the set is
// closed; s.mu is held.
func (s *Set) trackLocked(c net.Conn) bool {
	if s.conns == nil {
		_ = c.Close()
		return false
	}
	s.conns[c] = struct{}{}
	return true
}

// Untrack closes c and forgets it.
func (s *Set) Untrack(c net.Conn) { s.forget(c, false) }

// Go runs f in a goroutine that [Set.Wait] waits for, unless the set is
// closed: then it returns false and f does not run.
func (s *Set) Go(f func()) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	open := s.conns != nil
	if open {
		s.wg.Go(f)
	}
	return open
}

// Close closes the listener and every tracked connection, so that Serve
// returns and the handlers see their connections fail, and keeps a Run
// from beginning ([Set.Begin]). It does not wait: see [Set.Wait] and
// [Set.WaitRun]. It may be called any number of times; the first returns
// the listener's Close error, later ones nil once the first is done: when
// any Close returns, the port is released.
func (s *Set) Close() error {
	s.life.Close()
	var err error
	s.closing.Do(func() {
		s.mu.Lock()
		conns := s.conns
		s.conns = nil // from here on nothing is tracked, no goroutine started
		s.mu.Unlock()
		for c := range conns {
			_ = c.Close()
		}
		err = s.ln.Close()
	})
	return err
}

// Closed reports whether Close has been called.
func (s *Set) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conns == nil
}

// Counts returns how many connections the set tracks now, and how many of
// them are accepted connections that Serve's handlers serve.
func (s *Set) Counts() (tracked, serving int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns), s.serving
}

// Wait returns once every handler Serve started and every function Go ran
// has returned. Call it after Close (or once Serve has returned and nothing
// can start more), as sync.WaitGroup's rules require.
func (s *Set) Wait() { s.wg.Wait() }
