package connset

import (
	"net"
	"sync"
)

// Set is a listener and the connections a server holds: those [Set.Serve]
// accepted and any other a server adds with [Set.Track] (a link it dialled
// out, for one). Make one with [New]; its methods may be called from any
// goroutine.
type Set struct {
	ln  net.Listener
	max int // most accepted connections served at once; 0: no limit

	mu      sync.Mutex
	conns   map[net.Conn]struct{} // nil once Close has run
	serving int                   // accepted connections whose handler runs
	wg      sync.WaitGroup
}

// New returns the set of ln's connections. Serve runs at most max handlers
// at once and refuses the connections beyond; max 0 means no limit.
func New(ln net.Listener, max int) *Set {
	return &Set{ln: ln, max: max, conns: make(map[net.Conn]struct{})}
}

// Addr returns the listener's address.
func (s *Set) Addr() net.Addr { return s.ln.Addr() }

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
// returns and the handlers see their connections fail. It does not wait:
// see [Set.Wait]. It may be called any number of times; the first returns
// the listener's Close error, later ones nil.
func (s *Set) Close() error {
	s.mu.Lock()
	conns := s.conns
	s.conns = nil // from here on nothing is tracked, no goroutine started
	s.mu.Unlock()
	if conns == nil {
		return nil // closed before
	}
	for c := range conns {
		_ = c.Close()
	}
	return s.ln.Close()
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
