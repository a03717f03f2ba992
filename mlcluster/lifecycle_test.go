package mlcluster

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// requirePortFree binds addr again, which works only once it was released.
func requirePortFree(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "%s is still bound", addr)
	require.NoError(t, ln.Close())
}

// recvWithin fails the test when nothing arrives on ch within 10 s.
func recvWithin(t *testing.T, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not return", what)
		return nil
	}
}

// TestCoordinatorCloseWithoutRun closes a coordinator that never ran: the
// port is free, Close is idempotent and Run refuses to start.
func TestCoordinatorCloseWithoutRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	co, err := New(DefaultConfig())
	require.NoError(t, err)
	require.NoError(t, co.Close())
	require.NoError(t, co.Close(), "Close is idempotent")
	requirePortFree(t, co.Addr())
	require.ErrorIs(t, co.Run(context.Background()), net.ErrClosed, "Run after Close")
}

// TestCoordinatorCloseDuringRun closes a coordinator in the middle of a
// job: Run returns nil, the client's job fails, the worker loses its
// connection, and the port is free.
func TestCoordinatorCloseDuringRun(t *testing.T) {
	defer goleak.VerifyNone(t)
	g := &gate{entered: make(chan struct{}), open: make(chan struct{})}
	reg := NewRegistry(g)
	cfg := DefaultConfig()
	cfg.Algorithms = reg
	co, err := New(cfg)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- co.Run(context.Background()) }()

	wcfg := DefaultWorkerConfig()
	wcfg.Coordinator, wcfg.Algorithms = co.Addr(), reg
	w, err := NewWorker(wcfg)
	require.NoError(t, err)
	werr := make(chan error, 1)
	go func() { werr <- w.Run(context.Background()) }()
	require.NoError(t, co.WaitWorkers(ctxT(t), 1))
	require.ErrorContains(t, co.Run(context.Background()), "Run called twice")

	cl, err := NewClient(ClientConfig{Coordinator: co.Addr()})
	require.NoError(t, err)
	errc := make(chan error, 1)
	go func() {
		_, err := cl.SubmitDataset(ctxT(t), blobs(t, 1000, 2, 2, 1, 1), "stats", nil)
		errc <- err
	}()
	<-g.entered

	require.NoError(t, co.Close())
	require.NoError(t, recvWithin(t, done, "Run"))
	require.Error(t, recvWithin(t, errc, "Submit"), "the job ends with the coordinator")
	close(g.open) // the worker's in-flight Map may finish now
	require.ErrorContains(t, recvWithin(t, werr, "the worker's Run"), "connection to the coordinator lost")
	require.NoError(t, co.Close(), "Close after Run is harmless")
	requirePortFree(t, co.Addr())
	require.ErrorIs(t, co.Run(context.Background()), net.ErrClosed, "Run after Close")
}
