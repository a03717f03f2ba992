package calls

import (
	"errors"
	"sync"
	"testing"
)

// TestCloseWithStopsAndWaits: CloseWith runs stop, which ends the Run,
// waits for that Run and returns stop's error; a later call runs stop again
// (a once-guarded stop waits there for the first) and returns nil; Begin
// after it returns the closed error.
func TestCloseWithStopsAndWaits(t *testing.T) {
	boom := errors.New("closing the socket failed")
	stopRun, ran := make(chan struct{}), make(chan struct{})
	var once sync.Once
	stops := 0
	stop := func() error {
		stops++
		once.Do(func() { close(stopRun) })
		return boom
	}
	var o Once
	if err := o.Begin(errClosed, "x: Run"); err != nil {
		t.Fatalf("Begin: %v", err)
	}
	go func() {
		<-stopRun // the Run goes on until stop ends it
		close(ran)
		o.End()
	}()
	if err := o.CloseWith(stop); !errors.Is(err, boom) {
		t.Fatalf("first CloseWith: %v, want %v", err, boom)
	}
	select {
	case <-ran:
	default:
		t.Fatal("CloseWith returned before the Run ended")
	}
	if err := o.CloseWith(stop); err != nil {
		t.Fatalf("second CloseWith: %v, want nil", err)
	}
	if stops != 2 {
		t.Fatalf("stop ran %d times, want 2 (once a call)", stops)
	}
	if err := o.Begin(errClosed, "x: Run"); !errors.Is(err, errClosed) {
		t.Fatalf("Begin after CloseWith: %v, want %v", err, errClosed)
	}
}

// TestCloseWithoutRun: CloseWith before any Run runs stop and returns at
// once.
func TestCloseWithoutRun(t *testing.T) {
	var o Once
	stopped := false
	if err := o.CloseWith(func() error { stopped = true; return nil }); err != nil || !stopped {
		t.Fatalf("CloseWith: %v, stop ran: %v", err, stopped)
	}
}
