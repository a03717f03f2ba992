package calls

import (
	"context"
	"errors"
	"testing"
	"time"
)

var errClosed = errors.New("closed")

func TestCloseCancelsWaitsAndRefuses(t *testing.T) {
	g := New()
	ctx, done, err := g.Enter(context.Background(), errClosed)
	if err != nil {
		t.Fatal(err)
	}
	finished := make(chan struct{})
	go func() {
		<-ctx.Done() // the call ends when Close cancels it
		time.Sleep(10 * time.Millisecond)
		close(finished)
		done()
	}()
	g.Close()
	select {
	case <-finished:
	default:
		t.Fatal("Close returned before the call in progress ended")
	}
	if _, _, err := g.Enter(context.Background(), errClosed); !errors.Is(err, errClosed) {
		t.Fatalf("Enter after Close: %v, want %v", err, errClosed)
	}
	g.Close() // a second Close returns at once
}

func TestEnterKeepsTheCallersContext(t *testing.T) {
	g := New()
	defer g.Close()
	parent, cancel := context.WithCancel(context.Background())
	ctx, done, err := g.Enter(parent, errClosed)
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	cancel()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the call's context did not end with its parent")
	}
}
