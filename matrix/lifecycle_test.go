package matrix

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/netlab-go/netlab/internal/testutil"
)

// server is what the coordinator and the worker share in their lifecycle.
type server interface {
	Addr() string
	Run(context.Context) error
	Close() error
}

// requirePortFree binds addr again, which works only once it was released.
func requirePortFree(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "%s is still bound", addr)
	require.NoError(t, ln.Close())
}

// checkCloseWithoutRun closes a server that never ran: the port is free,
// Close is idempotent and Run refuses to start.
func checkCloseWithoutRun(t *testing.T, s server) {
	t.Helper()
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	requirePortFree(t, s.Addr())
	require.ErrorIs(t, s.Run(context.Background()), net.ErrClosed, "Run after Close")
}

// checkCloseDuringRun closes a running server holding an open connection,
// once ready reports true (which must mean that Run has started: a dial
// alone can succeed before it has, as the kernel accepts into the backlog).
// Run returns nil, the connection is closed, the port is free, and Run
// cannot start again.
func checkCloseDuringRun(t *testing.T, s server, ready func() bool) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	require.Eventually(t, ready, 5*time.Second, 5*time.Millisecond)
	require.ErrorContains(t, s.Run(context.Background()), "Run called twice")
	conn, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()

	require.NoError(t, s.Close())
	require.NoError(t, testutil.Recv(t, done, 10*time.Second, "return of Run after Close"))
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	_, err = conn.Read(make([]byte, 1))
	require.Error(t, err, "the server closed the open connection")
	require.NoError(t, s.Close(), "Close after Run is harmless")
	requirePortFree(t, s.Addr())
	require.ErrorIs(t, s.Run(context.Background()), net.ErrClosed, "Run after Close")
}

func TestCoordinatorCloseWithoutRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	co, err := NewCoordinator(DefaultCoordinatorConfig())
	require.NoError(t, err)
	checkCloseWithoutRun(t, co)
}

func TestCoordinatorCloseDuringRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	co, err := NewCoordinator(DefaultCoordinatorConfig())
	require.NoError(t, err)
	cl, err := NewClient(DefaultClientConfig(co.Addr()))
	require.NoError(t, err)
	serving := func() bool { // an answer, even an error, means Run is serving
		return errors.Is(cl.Release(context.Background(), 1<<60), ErrRemote)
	}
	checkCloseDuringRun(t, co, serving)
}

func TestWorkerCloseWithoutRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	w, err := NewWorker(DefaultWorkerConfig(""))
	require.NoError(t, err)
	checkCloseWithoutRun(t, w)
}

// TestWorkerCloseDuringRun also checks that a closed worker leaves the
// coordinator's table.
func TestWorkerCloseDuringRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	co, err := NewCoordinator(DefaultCoordinatorConfig())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	coDone := make(chan error, 1)
	go func() { coDone <- co.Run(ctx) }()
	defer func() { cancel(); require.NoError(t, <-coDone) }()

	wc := DefaultWorkerConfig(co.Addr())
	wc.HeartbeatInterval = 20 * time.Millisecond
	w, err := NewWorker(wc)
	require.NoError(t, err)
	checkCloseDuringRun(t, w, w.Registered)
	require.Eventually(t, func() bool { n, _, _ := co.Registry().Counts(); return n == 0 },
		5*time.Second, 5*time.Millisecond, "the closed worker left the table")
}
