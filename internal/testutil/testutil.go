// Package testutil holds the test harness pieces that several netlab
// packages need the same way: a log sink that goroutines and a polling test
// can share ([SyncBuffer]), a server or peer run in the background until
// the test ends ([Serve]) and a TestMain that fails the run when
// goroutines outlive the tests but lets slow shutdowns finish first
// ([LeakCheckMain]). It is for tests only; no library package imports it.
package testutil

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// SyncBuffer is a [bytes.Buffer] safe for concurrent writers (a logger
// running in a server's goroutines) and a reader polling [SyncBuffer.String].
// The zero value is ready to use.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p to the buffer.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// LeakCheckMain runs the tests of m and, when they pass, checks with
// [goleak.Find] that no goroutine outlived them, retrying every 100 ms for
// up to patience: memberlist's Shutdown, for one, lets a probe already in
// flight run to its timeout, which a CPU-starved machine stretches. A leak
// still there after patience fails the run. It exits the process with the
// run's code, as a TestMain must.
func LeakCheckMain(m *testing.M, patience time.Duration) {
	os.Exit(leakCheck(m.Run(), patience, os.Stderr, goleak.Find))
}

// leakCheck is LeakCheckMain's decision, apart from the process exit so
// that a test can drive it.
func leakCheck(code int, patience time.Duration, stderr io.Writer, find func(...goleak.Option) error) int {
	if code != 0 {
		return code
	}
	err := find()
	for deadline := time.Now().Add(patience); err != nil && time.Now().Before(deadline); err = find() {
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		fmt.Fprintln(stderr, "goleak:", err)
		return 1
	}
	return 0
}

// Serve runs run(ctx) in a goroutine until the test ends or stop is
// called, whichever comes first: stop cancels ctx, waits for run to return
// and fails the test if it returned an error (a Run that ends by its
// context returns nil). stop may be called more than once; the cleanup
// calls it.
func Serve(t testing.TB, run func(context.Context) error) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run returned %v after its context ended, want nil", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// ServeN makes n components with newRunner and runs each with [Serve]
// until the test ends: a test's workers, say.
func ServeN[T interface{ Run(context.Context) error }](t testing.TB, n int, newRunner func() (T, error)) []T {
	t.Helper()
	out := make([]T, 0, n)
	for range n {
		r, err := newRunner()
		if err != nil {
			t.Fatal(err)
		}
		Serve(t, r.Run)
		out = append(out, r)
	}
	return out
}

// Recv returns the next value from ch, or fails the test when none comes
// within d or ch is closed; what names the awaited value in the failure
// ("the task's start", "the receiver's line").
func Recv[T any](t testing.TB, ch <-chan T, d time.Duration, what string) T {
	t.Helper()
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatalf("no %s: the channel was closed", what)
		}
		return v
	case <-timer.C:
		t.Fatalf("no %s within %v", what, d)
	}
	var zero T
	return zero
}
