package mlcluster

import (
	"context"
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/internal/lifecycletest"
)

// TestLifecycle walks every component through construct, run, use, stop and
// use after close (see internal/lifecycletest), each built from a zero
// config plus what is required, so the zero values are the defaults.
func TestLifecycle(t *testing.T) {
	coordinator := func(t *testing.T) lifecycletest.Component {
		co, err := New(Config{})
		require.NoError(t, err)
		return lifecycletest.Served(co, co.Addr, ErrClosed)
	}
	worker := func(t *testing.T) lifecycletest.Component {
		co := runCoordinator(t)
		w, err := NewWorker(WorkerConfig{Coordinator: co.Addr()})
		require.NoError(t, err)
		cl, err := NewClient(ClientConfig{Coordinator: co.Addr()})
		require.NoError(t, err)
		return lifecycletest.Component{
			Run: w.Run, Ready: func() bool { return co.Workers() == 1 }, Close: w.Close, ErrClosed: ErrClosed,
			// Its use is a job on the coordinator it serves; once it has
			// stopped the coordinator has nobody to run the job on.
			Use: statsUse(cl), Settle: func() bool { return co.Workers() == 0 }, UseErr: ErrNoWorkers,
		}
	}
	client := func(t *testing.T) lifecycletest.Component {
		l, err := StartLocalCluster(context.Background(), Config{}, 2)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, l.Close()) })
		cl, err := NewClient(ClientConfig{Coordinator: l.Addr()})
		require.NoError(t, err)
		return lifecycletest.Component{Close: cl.Close, ErrClosed: ErrClosed, Use: statsUse(cl)}
	}
	local := func(t *testing.T) lifecycletest.Component {
		l, err := StartLocalCluster(context.Background(), Config{}, 2)
		require.NoError(t, err)
		return lifecycletest.Component{
			Close: l.Close, ErrClosed: ErrClosed,
			Use: lifecycletest.Dial(l.Addr), UseErr: syscall.ECONNREFUSED,
		}
	}
	lifecycletest.Check(t, []lifecycletest.Case{
		{Name: "Coordinator", New: coordinator},
		{Name: "Worker", New: worker},
		{Name: "Client", Stop: lifecycletest.Close, New: client},
		{Name: "LocalCluster", Stop: lifecycletest.Close, New: local},
	})
}

// runCoordinator runs a coordinator from a zero config until the test's
// cleanup.
func runCoordinator(t *testing.T) *Coordinator {
	co, err := New(Config{})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- co.Run(context.Background()) }()
	t.Cleanup(func() {
		require.NoError(t, co.Close())
		require.NoError(t, <-done)
	})
	return co
}

// statsUse runs the stats job on four rows and checks the row count.
func statsUse(cl *Client) func(context.Context) error {
	return func(ctx context.Context) error {
		ds, err := NewDataset("four", [][]float64{{1, 2}, {3, 4}, {5, 6}, {7, 8}})
		if err != nil {
			return err
		}
		res, err := cl.SubmitDataset(ctx, ds, "stats", nil)
		if err != nil {
			return err
		}
		if res == nil || res.Rows != 4 {
			return fmt.Errorf("stats over four rows: %+v", res)
		}
		return nil
	}
}

// TestZeroConfigMeansDefault: a zero field takes the value of the Default…
// function (Algorithms: DefaultRegistry), and a field that is set is kept.
func TestZeroConfigMeansDefault(t *testing.T) {
	co, err := New(Config{MaxConns: 3})
	require.NoError(t, err)
	got := co.cfg
	require.NotNil(t, got.Algorithms)
	got.Algorithms = nil
	want := DefaultConfig()
	want.MaxConns = 3
	assert.Equal(t, want, got)
	require.NoError(t, co.Close())

	w, err := NewWorker(WorkerConfig{Coordinator: "x:1", MaxFrame: 1 << 20})
	require.NoError(t, err)
	gotW := w.cfg
	require.NotNil(t, gotW.Algorithms)
	gotW.Algorithms = nil
	wantW := DefaultWorkerConfig()
	wantW.Coordinator, wantW.MaxFrame = "x:1", 1<<20
	assert.Equal(t, wantW, gotW)

	cl, err := NewClient(ClientConfig{Coordinator: "x:1"})
	require.NoError(t, err)
	wantC := DefaultClientConfig()
	wantC.Coordinator = "x:1"
	assert.Equal(t, wantC, cl.cfg)
}
