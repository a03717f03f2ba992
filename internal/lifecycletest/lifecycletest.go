// Package lifecycletest walks a component through the lifecycle every
// netlab package promises (ARCHITECTURE.md, "One lifecycle"): construct,
// run, use, stop, use after close, and checks the same things for each:
//
//   - Run returns promptly after its context ends (or after Close), with nil
//     or the error the package documents;
//   - stopping takes less than a generous bound (the measured time is logged);
//   - Close is idempotent: a second call returns nil;
//   - a use after Close, and Run after Close, return an error matching the
//     package's ErrClosed (errors.Is);
//   - no goroutine is left behind (goleak).
//
// Each package's lifecycle_test.go builds a table of [Case] values, one or
// more per component, and calls [Check] for each.
package lifecycletest

import (
	"context"
	"errors"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// StopBound is how long stopping an in-process system may take: generous,
// for -race on a loaded machine; a stop that waits out a protocol timeout
// to say goodbye to peers that are stopping too exceeds it.
const StopBound = 2 * time.Second

// Stop says how a running component is stopped.
type Stop int

const (
	// Both, the zero value, checks a case twice: stopped by Cancel, and
	// by Close (a component with both Run and Close).
	Both Stop = iota
	// Cancel ends Run's context, then calls Close (if there is one).
	Cancel
	// Close calls Close while Run is running; Close must wait for Run.
	Close
)

// String names the stop in subtest names: "cancel" or "close" ("both" for
// [Both], which [Check] expands before naming a subtest).
func (s Stop) String() string {
	switch s {
	case Close:
		return "close"
	case Cancel:
		return "cancel"
	}
	return "both"
}

// Component is one constructed component, as [Case.New] returns it. Fields
// that do not apply are nil.
type Component struct {
	// Run is the component's Run; nil for a component without one.
	Run func(context.Context) error
	// Ready reports that Run has started serving; nil = ready at once.
	Ready func() bool
	// Use exercises the component; it must succeed before the stop and
	// return an error matching ErrClosed after it.
	Use func(context.Context) error
	// Close is the component's Close; nil for a component without one.
	Close func() error
	// ErrClosed is the package's exported ErrClosed.
	ErrClosed error
	// Settle, when set, reports that the rest of the system has noticed the
	// stop (a coordinator has dropped a stopped worker); the use after close
	// waits for it.
	Settle func() bool
	// UseErr is what Use returns after the stop when that is not ErrClosed:
	// a server used over the network (Use dials it) is refused once it has
	// released its port (syscall.ECONNREFUSED). Run after Close still
	// returns ErrClosed.
	UseErr error
	// RunErr is what Run returns when its context is cancelled: nil, or
	// context.Canceled when the package documents ctx's error.
	RunErr error
}

// Case is one row of a lifecycle table.
type Case struct {
	Name string
	// Stop is how the component is stopped; the zero value, [Both], checks
	// it once each way.
	Stop Stop
	// New constructs the component (binding any listener); it may register
	// t.Cleanup for what the component depends on (a server it uses).
	New func(t *testing.T) Component
}

// Check runs every case as a subtest, a case whose Stop is [Both] as two.
func Check(t *testing.T, cases []Case) {
	t.Helper()
	for _, c := range cases {
		stops := []Stop{c.Stop}
		if c.Stop == Both {
			stops = []Stop{Cancel, Close}
		}
		for _, stop := range stops {
			one := c
			one.Stop = stop
			t.Run(c.Name+"/"+stop.String(), func(t *testing.T) { check(t, one) })
		}
	}
}

func check(t *testing.T, c Case) {
	// Registered first, this runs last: after the cleanups New registers
	// (the servers a client case depends on).
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	comp := c.New(t)
	require.NotNil(t, comp.ErrClosed, "the case names the package's ErrClosed")
	require.NotNil(t, comp.Use, "the case has a use")
	if c.Stop == Close {
		require.NotNil(t, comp.Close, "stopping by Close needs a Close")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var done chan error
	if comp.Run != nil {
		done = make(chan error, 1)
		go func() { done <- comp.Run(ctx) }()
		if comp.Ready != nil {
			require.Eventually(t, comp.Ready, 10*time.Second, 5*time.Millisecond, "Run started")
		}
	}

	useCtx, useCancel := context.WithTimeout(context.Background(), 10*time.Second)
	require.NoError(t, comp.Use(useCtx), "use before stop")
	useCancel()

	start := time.Now()
	switch {
	case comp.Run != nil && c.Stop == Cancel:
		cancel()
		select {
		case err := <-done:
			if comp.RunErr == nil {
				assert.NoError(t, err, "Run after cancel")
			} else {
				assert.ErrorIs(t, err, comp.RunErr, "Run after cancel")
			}
		case <-time.After(2 * StopBound):
			t.Fatalf("Run has not returned %v after its context ended", 2*StopBound)
		}
		if comp.Close != nil {
			require.NoError(t, comp.Close(), "Close after Run returned")
		}
	case comp.Run != nil && c.Stop == Close:
		require.NoError(t, comp.Close(), "Close during Run")
		closed := time.Since(start)
		select {
		case err := <-done:
			switch {
			case err == nil:
			case comp.Ready == nil && errors.Is(err, comp.ErrClosed):
				// Without a readiness signal the harness cannot tell a
				// Close during Run from a Close that came before Run
				// began; Run after Close rightly returns ErrClosed.
				t.Logf("Close came before Run began: Run returned %v", err)
			default:
				assert.NoError(t, err, "Run stopped by Close")
			}
		case <-time.After(2 * StopBound):
			t.Fatalf("Run has not returned %v after Close returned (Close took %v)", 2*StopBound, closed)
		}
	default:
		require.NoError(t, comp.Close(), "Close")
	}
	took := time.Since(start)
	t.Logf("stop took %v", took)
	assert.LessOrEqual(t, took, StopBound, "stopping an in-process system is quick")

	if comp.Close != nil {
		assert.NoError(t, comp.Close(), "a second Close")
	}
	useCtx, useCancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer useCancel()
	if comp.Settle != nil {
		require.Eventually(t, comp.Settle, 10*time.Second, 5*time.Millisecond, "the system noticed the stop")
	}
	want := comp.ErrClosed
	if comp.UseErr != nil {
		want = comp.UseErr
	}
	err := comp.Use(useCtx)
	if want == syscall.ECONNREFUSED && errors.Is(err, syscall.ECONNRESET) {
		// The port is released either way: a connection that raced the
		// listener's close into its accept queue is reset, not refused.
		want = syscall.ECONNRESET
	}
	assert.ErrorIs(t, err, want, "use after close: %v", err)
	if comp.Run != nil && comp.Close != nil {
		err := comp.Run(context.Background())
		assert.ErrorIs(t, err, comp.ErrClosed, "Run after Close: %v", err)
	}
}

// Dial is a Use for a server reached over TCP: it connects to addr and
// closes the connection. After the stop it fails with syscall.ECONNREFUSED
// (set [Component.UseErr]).
func Dial(addr func() string) func(context.Context) error {
	return func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr())
		if err != nil {
			return err
		}
		return c.Close()
	}
}

// Runner is a component with the lifecycle of a server: Run until the
// context ends, and Close.
type Runner interface {
	Run(ctx context.Context) error
	Close() error
}

// Served is the [Component] of a server reached over TCP at addr: its use
// dials it, and after the stop the dial is refused.
func Served(s Runner, addr func() string, errClosed error) Component {
	return Component{Run: s.Run, Close: s.Close, ErrClosed: errClosed, Use: Dial(addr), UseErr: syscall.ECONNREFUSED}
}

// Together is the Run of a whole system: it runs every run on one context
// (each in its own goroutine), waits for all of them to return, and joins
// their errors.
func Together(runs ...func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		var wg sync.WaitGroup
		errs := make([]error, len(runs))
		for i, run := range runs {
			wg.Go(func() { errs[i] = run(ctx) })
		}
		wg.Wait()
		return errors.Join(errs...)
	}
}
