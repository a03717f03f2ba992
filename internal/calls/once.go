package calls

import (
	"errors"
	"net"
	"sync"
)

// Once lets a component's Run begin once, and never after Close, and lets
// Close wait for a Run that began: the other half of netlab's lifecycle
// rule ("Close is idempotent and waits; every call after it returns an
// error matching ErrClosed"), which the servers of chat, gossip, kvstore
// and p2p each wrote out in full. The zero value is ready to use.
//
//	func (s *Server) Run(ctx context.Context) error {
//		if err := s.life.Begin(ErrClosed, "pkg: Server.Run"); err != nil {
//			return err
//		}
//		defer s.life.End()
//		...
//	}
//
//	func (s *Server) Close() error {
//		return s.life.CloseWith(s.stop) // s.stop makes a running Run return
//	}
type Once struct {
	mu     sync.Mutex
	closed bool
	ran    bool
	done   chan struct{} // closed by End
}

// Begin admits Run, or returns closed once Close has been called, or an
// error saying that name (the method, as "pkg: Server.Run") was called
// twice. When it returns nil the caller must call End as Run returns.
func (o *Once) Begin(closed error, name string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case o.closed:
		return closed
	case o.ran:
		return errors.New(name + " called twice")
	}
	o.ran = true
	o.done = make(chan struct{})
	return nil
}

// End says that the Run Begin admitted has returned.
func (o *Once) End() { close(o.done) }

// Close marks the component closed, so that Run can no longer begin, and
// reports whether this was the first call. It does not wait: see Wait.
func (o *Once) Close() (first bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	first = !o.closed
	o.closed = true
	return first
}

// CloseWith is a component's whole Close: it marks the Once closed, runs
// stop, which must make a running Run return, and waits for that Run, as
// [Once.Wait]. Every call runs stop, so stop must do its work once and
// make later calls wait for it (a [sync.Once] does both): a second Close
// returns no sooner than the first. CloseWith returns stop's error from
// the first call, nil from later ones.
func (o *Once) CloseWith(stop func() error) error {
	first := o.Close()
	err := stop()
	o.Wait()
	if !first {
		return nil
	}
	return err
}

// Closed reports whether Close has been called.
func (o *Once) Closed() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.closed
}

// Began reports whether Run has begun: a readiness signal for tests.
func (o *Once) Began() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.ran
}

// Wait returns once a Run that began has returned; at once if none began.
func (o *Once) Wait() {
	o.mu.Lock()
	done := o.done
	o.mu.Unlock()
	if done != nil {
		<-done
	}
}

// ClosedError returns an error whose text is msg and which matches both
// sentinel (the package's ErrClosed) and net.ErrClosed with errors.Is: what
// a call on a closed component returns.
func ClosedError(sentinel error, msg string) error { return closedError{msg, sentinel} }

type closedError struct {
	msg      string
	sentinel error
}

func (e closedError) Error() string { return e.msg }

func (e closedError) Is(target error) bool { return target == e.sentinel || target == net.ErrClosed }
