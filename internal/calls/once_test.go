package calls

import (
	"errors"
	"net"
	"testing"
	"time"
)

func TestOnceRunsOnceAndCloseWaits(t *testing.T) {
	var o Once
	if err := o.Begin(errClosed, "x: Run"); err != nil {
		t.Fatal(err)
	}
	if err := o.Begin(errClosed, "x: Run"); err == nil || err.Error() != "x: Run called twice" {
		t.Fatalf("second Begin: %v", err)
	}
	ended := make(chan struct{})
	go func() {
		time.Sleep(10 * time.Millisecond)
		close(ended)
		o.End()
	}()
	if !o.Began() {
		t.Fatal("Began after Begin is false")
	}
	if !o.Close() || o.Close() {
		t.Fatal("Close reports first only the first time")
	}
	if !o.Closed() {
		t.Fatal("Closed after Close is false")
	}
	o.Wait()
	select {
	case <-ended:
	default:
		t.Fatal("Wait returned before Run ended")
	}
}

func TestOnceRefusesRunAfterClose(t *testing.T) {
	var o Once
	o.Close()
	o.Wait() // no Run began: returns at once
	if err := o.Begin(errClosed, "x: Run"); !errors.Is(err, errClosed) {
		t.Fatalf("Begin after Close: %v, want %v", err, errClosed)
	}
}

func TestClosedErrorMatchesBoth(t *testing.T) {
	err := ClosedError(errClosed, "x: Send after Close")
	if err.Error() != "x: Send after Close" || !errors.Is(err, errClosed) || !errors.Is(err, net.ErrClosed) {
		t.Fatalf("%q does not match", err)
	}
	if errors.Is(err, errors.New("closed")) {
		t.Fatal("matches an unrelated error")
	}
}
