package connset

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const waitFor = 10 * time.Second

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

func dial(t *testing.T, s *Set) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func tracked(s *Set) int { n, _ := s.Counts(); return n }

func serving(s *Set) int { _, n := s.Counts(); return n }

// serve runs s.Serve in a goroutine and returns a channel that gets its
// result.
func serve(s *Set, handle, refuse func(net.Conn)) <-chan error {
	done := make(chan error, 1)
	go func() { done <- s.Serve(handle, refuse) }()
	return done
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitFor):
		t.Fatalf("%s: nothing after %v", what, waitFor)
		panic("unreachable")
	}
}

// expectEOF reads from c until the server side closes it.
func expectEOF(t *testing.T, c net.Conn, what string) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitFor))
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("%s: %v, want the server to close the connection", what, err)
	}
	return string(b)
}

// TestCloseEndsServeAndHandlers: Close closes the listener and every
// connection, so that Serve returns nil, handlers blocked in a read return,
// and Wait returns; the connections are forgotten.
func TestCloseEndsServeAndHandlers(t *testing.T) {
	s := New(listen(t), 0)
	started := make(chan struct{}, 3)
	var ended atomic.Int32
	done := serve(s, func(c net.Conn) {
		started <- struct{}{}
		_, _ = c.Read(make([]byte, 1)) // blocks until Close closes c
		ended.Add(1)
	}, nil)
	for range 3 {
		dial(t, s)
		receive(t, started, "handler start")
	}
	if got := serving(s); got != 3 {
		t.Fatalf("Serving = %d, want 3", got)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := receive(t, done, "Serve's return"); err != nil {
		t.Fatalf("Serve after Close: %v, want nil", err)
	}
	s.Wait()
	if got := ended.Load(); got != 3 {
		t.Fatalf("%d handlers returned before Wait did, want 3", got)
	}
	if got, serving := s.Counts(); got != 0 || serving != 0 {
		t.Fatalf("after Wait: Len %d, Serving %d, want 0 and 0", got, serving)
	}
}

// TestHandlerReturnClosesConn: when a handler returns, its connection is
// closed (the client reads EOF) and no longer tracked.
func TestHandlerReturnClosesConn(t *testing.T) {
	s := New(listen(t), 0)
	done := serve(s, func(c net.Conn) { _, _ = io.WriteString(c, "hello") }, nil)
	c := dial(t, s)
	if got := expectEOF(t, c, "after the handler returned"); got != "hello" {
		t.Fatalf("read %q, want %q", got, "hello")
	}
	// release forgets the connection just after the close the client saw.
	require.Eventually(t, func() bool { got, serving := s.Counts(); return got == 0 && serving == 0 }, waitFor, time.Millisecond,
		"the connection is still tracked after its handler returned")
	_ = s.Close()
	receive(t, done, "Serve's return")
	s.Wait()
}

// TestRefuseOverMax: with max handlers running, the next connection is
// passed to refuse, then closed, and Serve goes on; once a handler
// returns, a new connection is served again.
func TestRefuseOverMax(t *testing.T) {
	const max = 2
	s := New(listen(t), max)
	require.Equal(t, max, s.Max())
	release := make(chan struct{})
	started := make(chan struct{}, max+1)
	var refused atomic.Int32
	done := serve(s, func(c net.Conn) {
		started <- struct{}{}
		_, _ = io.WriteString(c, "served\n")
		<-release
	}, func(c net.Conn) {
		refused.Add(1)
		_ = c.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = io.WriteString(c, "busy\n")
	})
	var held []net.Conn
	for range max {
		held = append(held, dial(t, s))
		receive(t, started, "handler start")
	}
	extra := dial(t, s)
	if got := expectEOF(t, extra, "the connection over max"); got != "busy\n" {
		t.Fatalf("the connection over max read %q, want %q", got, "busy\n")
	}
	if got := refused.Load(); got != 1 {
		t.Fatalf("refuse called %d times, want 1", got)
	}
	if got := serving(s); got != max {
		t.Fatalf("Serving = %d, want %d", got, max)
	}
	// Let the first handler go: its slot is free for a new connection.
	line, err := bufio.NewReader(held[0]).ReadString('\n')
	if err != nil || line != "served\n" {
		t.Fatalf("held connection read %q, %v", line, err)
	}
	release <- struct{}{}
	expectEOF(t, held[0], "the released connection")
	require.Eventually(t, func() bool { return serving(s) == max-1 }, waitFor, time.Millisecond,
		"the slot of the handler that returned is not free")
	dial(t, s)
	receive(t, started, "handler start after a slot freed")
	if got := refused.Load(); got != 1 {
		t.Fatalf("refuse called %d times, want still 1", got)
	}
	close(release)
	_ = s.Close()
	receive(t, done, "Serve's return")
	s.Wait()
}

// TestCloseIsIdempotent: the first Close returns the listener's error
// (nil here), later ones nil; after Close, Track closes and refuses a
// connection, Go runs nothing and Serve returns nil at once.
func TestCloseIsIdempotent(t *testing.T) {
	s := New(listen(t), 0)
	if s.Closed() {
		t.Fatal("Closed before Close")
	}
	if err := s.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	for range 2 {
		if err := s.Close(); err != nil {
			t.Fatalf("later Close: %v, want nil", err)
		}
	}
	if !s.Closed() {
		t.Fatal("not Closed after Close")
	}
	a, b := net.Pipe()
	defer b.Close()
	if s.Track(a) {
		t.Fatal("Track after Close: true, want false")
	}
	_ = b.SetReadDeadline(time.Now().Add(waitFor))
	if _, err := b.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("the other end of a connection tracked after Close read %v, want EOF (closed)", err)
	}
	if s.Go(func() { t.Error("Go ran f after Close") }) {
		t.Fatal("Go after Close: true, want false")
	}
	if err := s.Serve(func(net.Conn) { t.Error("handler ran after Close") }, nil); err != nil {
		t.Fatalf("Serve after Close: %v, want nil", err)
	}
	s.Wait()
}

// TestCloseClosesTrackedConns: a connection added with Track (one the
// server dialled) is closed by Close, and not counted against max.
func TestCloseClosesTrackedConns(t *testing.T) {
	s := New(listen(t), 1)
	a, b := net.Pipe()
	defer b.Close()
	if !s.Track(a) {
		t.Fatal("Track on an open set: false")
	}
	if got, serving := s.Counts(); got != 1 || serving != 0 {
		t.Fatalf("Len %d, Serving %d, want 1 and 0", got, serving)
	}
	ran := make(chan struct{})
	if !s.Go(func() { close(ran) }) {
		t.Fatal("Go on an open set: false")
	}
	_ = s.Close()
	_ = b.SetReadDeadline(time.Now().Add(waitFor))
	if _, err := b.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("tracked connection after Close: read %v, want EOF", err)
	}
	s.Wait()
	select {
	case <-ran:
	default:
		t.Fatal("Wait returned before the function Go ran")
	}
}

// TestUntrack: Untrack closes the connection and forgets it.
func TestUntrack(t *testing.T) {
	s := New(listen(t), 0)
	defer s.Close()
	a, b := net.Pipe()
	defer b.Close()
	s.Track(a)
	s.Untrack(a)
	if got := tracked(s); got != 0 {
		t.Fatalf("Len after Untrack = %d, want 0", got)
	}
	_ = b.SetReadDeadline(time.Now().Add(waitFor))
	if _, err := b.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("after Untrack: read %v, want EOF", err)
	}
}

// failingListener fails its first Accept with err, then behaves as ln.
type failingListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *failingListener) Accept() (net.Conn, error) {
	var err error
	l.once.Do(func() { err = l.err })
	if err != nil {
		return nil, err
	}
	return l.Listener.Accept()
}

// TestServeReturnsAcceptError: an Accept that fails while the set is open
// ends Serve with its error, and Serve may be called again.
func TestServeReturnsAcceptError(t *testing.T) {
	boom := errors.New("too many open files")
	s := New(&failingListener{Listener: listen(t), err: boom}, 0)
	if err := s.Serve(func(net.Conn) {}, nil); !errors.Is(err, boom) {
		t.Fatalf("Serve: %v, want %v", err, boom)
	}
	served := make(chan struct{})
	done := serve(s, func(net.Conn) { close(served) }, nil)
	dial(t, s)
	receive(t, served, "handler after Serve was called again")
	_ = s.Close()
	if err := receive(t, done, "Serve's return"); err != nil {
		t.Fatalf("Serve after Close: %v", err)
	}
	s.Wait()
}

// TestCloseWhileConnecting: clients connect while Close runs; whatever
// was accepted is closed, no handler outlives Wait (LeakCheckMain checks
// the goroutines) and Serve returns nil. Run with -race.
func TestCloseWhileConnecting(t *testing.T) {
	for range 20 {
		s := New(listen(t), 4)
		addr := s.Addr().String()
		done := serve(s, func(c net.Conn) { _, _ = c.Read(make([]byte, 1)) }, func(net.Conn) {})
		var clients sync.WaitGroup
		for range 8 {
			clients.Go(func() {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					return // refused once the listener closed
				}
				defer c.Close()
				_ = c.SetReadDeadline(time.Now().Add(waitFor))
				_, _ = io.ReadAll(c) // until the server closes its end
			})
		}
		_ = s.Close()
		if err := receive(t, done, "Serve's return"); err != nil {
			t.Fatalf("Serve: %v", err)
		}
		s.Wait()
		clients.Wait()
		if got := tracked(s); got != 0 {
			t.Fatalf("Len after Close and Wait = %d, want 0", got)
		}
	}
}

var errClosed = errors.New("closed")

// TestRunGate: Begin admits one Run, refuses a second, and refuses any
// after Close; CloseAndWait waits for the Run that began to End.
func TestRunGate(t *testing.T) {
	s := New(listen(t), 0)
	if s.Began() {
		t.Fatal("Began before Begin")
	}
	if err := s.Begin(errClosed, "test: Run"); err != nil {
		t.Fatalf("first Begin: %v", err)
	}
	if !s.Began() {
		t.Fatal("not Began after Begin")
	}
	if err := s.Begin(errClosed, "test: Run"); err == nil || errors.Is(err, errClosed) || err.Error() != "test: Run called twice" {
		t.Fatalf("second Begin: %v, want %q", err, "test: Run called twice")
	}
	closed := make(chan error, 1)
	go func() { closed <- s.CloseAndWait() }()
	// The Run ends once the set is closed, as a server's Run does.
	require.Eventually(t, s.Closed, waitFor, time.Millisecond)
	select {
	case <-closed:
		t.Fatal("CloseAndWait returned before the Run ended")
	default:
	}
	s.End()
	if err := receive(t, closed, "CloseAndWait"); err != nil {
		t.Fatalf("CloseAndWait: %v", err)
	}
	if err := s.Begin(errClosed, "test: Run"); !errors.Is(err, errClosed) {
		t.Fatalf("Begin after Close: %v, want %v", err, errClosed)
	}
}

// TestServeUntilEndsWithContext: when ctx ends, ServeUntil closes the set,
// the handlers' context ends and their connections close, and it returns
// nil once every handler has returned.
func TestServeUntilEndsWithContext(t *testing.T) {
	s := New(listen(t), 0)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	started := make(chan struct{}, 2)
	var sawCtxEnd atomic.Int32
	done := make(chan error, 1)
	go func() {
		done <- s.ServeUntil(ctx, func(hctx context.Context, c net.Conn) {
			started <- struct{}{}
			_, _ = c.Read(make([]byte, 1)) // until the set closes c
			<-hctx.Done()
			sawCtxEnd.Add(1)
		}, nil)
	}()
	for range 2 {
		dial(t, s)
		receive(t, started, "handler start")
	}
	cancel()
	if err := receive(t, done, "ServeUntil's return"); err != nil {
		t.Fatalf("ServeUntil: %v, want nil", err)
	}
	if got := sawCtxEnd.Load(); got != 2 {
		t.Fatalf("%d handlers saw their context end before ServeUntil returned, want 2", got)
	}
	if !s.Closed() {
		t.Fatal("the set is open after ServeUntil returned")
	}
}

// TestServeUntilAcceptError: an Accept that fails while ctx lives ends
// ServeUntil with its error, and the set is closed.
func TestServeUntilAcceptError(t *testing.T) {
	boom := errors.New("too many open files")
	s := New(&failingListener{Listener: listen(t), err: boom}, 0)
	if err := s.ServeUntil(context.Background(), func(context.Context, net.Conn) {}, nil); !errors.Is(err, boom) {
		t.Fatalf("ServeUntil: %v, want %v", err, boom)
	}
	if !s.Closed() {
		t.Fatal("the set is open after ServeUntil returned")
	}
}

// TestConcurrentCloseReleasesThePort: whichever of two concurrent Close
// calls returns first, the listener is closed by then: a Run that ends by
// its own Close while its context's Close is under way must not return
// with the port still open (p2p's overlay lifecycle test caught that).
func TestConcurrentCloseReleasesThePort(t *testing.T) {
	for range 50 {
		s := New(listen(t), 0)
		for range 100 { // many connections make the first Close slow
			a, b := net.Pipe()
			defer b.Close()
			s.Track(a)
		}
		addr := s.Addr().String()
		var closers sync.WaitGroup
		dialled := make(chan error, 2)
		for range 2 {
			closers.Go(func() {
				_ = s.Close()
				c, err := net.Dial("tcp", addr)
				if err == nil {
					_ = c.Close()
				}
				dialled <- err
			})
		}
		closers.Wait()
		for range 2 {
			if err := <-dialled; err == nil {
				t.Fatal("a dial after Close returned was accepted: the listener was still open")
			}
		}
	}
}
