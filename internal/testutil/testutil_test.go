package testutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" { // the child of TestStartSelfAndKill
		fmt.Println("ready")
		select {}
	}
	LeakCheckMain(m, time.Second)
}

const childEnv = "NETLAB_TESTUTIL_CHILD"

func TestStartSelfAndKill(t *testing.T) {
	c := StartSelf(t, childEnv+"=1")
	if line := c.Line(); line != "ready" {
		t.Fatalf("child said %q, want ready", line)
	}
	if err := c.Kill(); err != nil {
		t.Fatal(err)
	}
	if line := c.Line(); line != "" {
		t.Fatalf("a killed child printed %q", line)
	}
	if err := c.Kill(); err != nil {
		t.Fatalf("killing it again: %v", err)
	}
}

func TestSyncBufferConcurrentWriters(t *testing.T) {
	var buf SyncBuffer
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				_, _ = buf.Write([]byte("x"))
				_ = buf.String()
			}
		})
	}
	wg.Wait()
	assert.Equal(t, strings.Repeat("x", 800), buf.String())
}

func TestLeakCheck(t *testing.T) {
	leak := errors.New("found unexpected goroutines")
	for _, c := range []struct {
		name      string
		code      int
		failFirst int // how many calls of find report a leak
		patience  time.Duration
		want      int
		wantCalls int
		wantLog   string
	}{
		{name: "failed run is not checked", code: 3, failFirst: 99, patience: time.Second, want: 3, wantCalls: 0},
		{name: "clean", code: 0, failFirst: 0, patience: time.Second, want: 0, wantCalls: 1},
		{name: "leak that ends within patience", code: 0, failFirst: 2, patience: 10 * time.Second, want: 0, wantCalls: 3},
		{name: "leak that stays", code: 0, failFirst: 1 << 30, patience: 250 * time.Millisecond, want: 1, wantLog: "goleak: found unexpected goroutines"},
	} {
		t.Run(c.name, func(t *testing.T) {
			calls := 0
			find := func(...goleak.Option) error {
				calls++
				if calls <= c.failFirst {
					return leak
				}
				return nil
			}
			var log strings.Builder
			assert.Equal(t, c.want, leakCheck(c.code, c.patience, &log, find))
			if c.wantCalls > 0 || c.code != 0 {
				assert.Equal(t, c.wantCalls, calls)
			}
			if c.wantLog != "" {
				assert.Contains(t, log.String(), c.wantLog)
				assert.Greater(t, calls, 1, "retried before declaring the leak")
			} else {
				assert.Empty(t, log.String())
			}
		})
	}
}

func TestServeStopsAtCleanupAndOnStop(t *testing.T) {
	ended := make(chan struct{})
	t.Run("cleanup", func(t *testing.T) {
		Serve(t, func(ctx context.Context) error {
			<-ctx.Done()
			close(ended)
			return nil
		})
	})
	select {
	case <-ended:
	default:
		t.Fatal("run was still going after the test's cleanup")
	}

	calls := 0
	stop := Serve(t, func(ctx context.Context) error {
		calls++
		<-ctx.Done()
		return nil
	})
	stop()
	stop() // a second stop is a no-op
	assert.Equal(t, 1, calls)
}

// recorder is a testing.TB that records Errorf instead of failing.
type recorder struct {
	testing.TB
	errs     []string
	cleanups []func()
}

func (r *recorder) Helper()          {}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestServeReportsARunError(t *testing.T) {
	rec := &recorder{TB: t}
	stop := Serve(rec, func(ctx context.Context) error {
		<-ctx.Done()
		return errors.New("listener broke")
	})
	require.Len(t, rec.cleanups, 1)
	stop()
	rec.cleanups[0]()
	require.Len(t, rec.errs, 1, "reported once")
	assert.Contains(t, rec.errs[0], "listener broke")
}

// TestServeConnsClosesWhatItOpened: a handler that blocks on its
// connection ends at cleanup, and the client sees the connection closed.
func TestServeConnsClosesWhatItOpened(t *testing.T) {
	var client net.Conn
	t.Run("server", func(t *testing.T) {
		started := make(chan struct{})
		addr := ServeConns(t, func(c net.Conn) { close(started); _, _ = io.Copy(io.Discard, c) })
		var err error
		client, err = net.Dial("tcp", addr.String())
		require.NoError(t, err)
		<-started
	})
	defer client.Close()
	_, err := client.Read(make([]byte, 1))
	require.ErrorIs(t, err, io.EOF, "cleanup closed the server's side")
}

func TestRecv(t *testing.T) {
	ch := make(chan int, 1)
	ch <- 7
	assert.Equal(t, 7, Recv(t, ch, time.Second, "seven"))

	var failed []string
	for _, c := range []struct {
		name string
		ch   chan int
	}{{"late", make(chan int)}, {"closed", make(chan int)}} {
		if c.name == "closed" {
			close(c.ch)
		}
		// Recv calls Fatalf, which ends the goroutine it runs in.
		ft := &fatalTB{TB: t}
		done := make(chan struct{})
		go func() { defer close(done); Recv(ft, c.ch, 10*time.Millisecond, c.name) }()
		<-done
		failed = append(failed, ft.msg)
	}
	assert.Equal(t, []string{"no late within 10ms", "no closed: the channel was closed"}, failed)
}

// fatalTB records a Fatalf and ends the goroutine as testing.T does.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
