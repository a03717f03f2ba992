package matrix

import (
	"context"
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/netlab-go/netlab/internal/lifecycletest"
)

// TestLifecycle walks every component through construct, run, use, stop and
// use after close (see internal/lifecycletest), each built from a zero
// config plus what is required, so the zero values are the defaults.
func TestLifecycle(t *testing.T) {
	coordinator := func(t *testing.T) lifecycletest.Component {
		co, err := NewCoordinator(CoordinatorConfig{})
		require.NoError(t, err)
		return lifecycletest.Served(co, co.Addr, ErrClosed)
	}
	worker := func(t *testing.T) lifecycletest.Component {
		co := startCoordinator(t, nil)
		w, err := NewWorker(WorkerConfig{Coordinator: co.Addr()})
		require.NoError(t, err)
		c := lifecycletest.Served(w, w.Addr, ErrClosed)
		c.Ready = w.Registered
		return c
	}
	client := func(t *testing.T) lifecycletest.Component {
		l, err := StartLocal(context.Background(), LocalConfig{})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, l.Close()) })
		c, err := NewClient(ClientConfig{Coordinator: l.Addr(), MinDistribute: 2})
		require.NoError(t, err)
		return lifecycletest.Component{Close: c.Close, ErrClosed: ErrClosed, Use: multiplyUse(c)}
	}
	local := func(t *testing.T) lifecycletest.Component {
		l, err := StartLocal(context.Background(), LocalConfig{})
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

// multiplyUse multiplies two 4×4 matrices on the cluster (every product on
// a worker) and checks the answer against gonum.
func multiplyUse(c *Client) func(context.Context) error {
	return func(ctx context.Context) error {
		a := mat.NewDense(4, 4, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
		got, rep, err := c.MultiplyReport(ctx, a, a.T())
		if err != nil {
			return err
		}
		var want mat.Dense
		want.Mul(a, a.T())
		if rep.Local || !mat.Equal(got, &want) {
			return fmt.Errorf("local %v (%s), got %v, want %v", rep.Local, rep.Reason, mat.Formatted(got), mat.Formatted(&want))
		}
		return nil
	}
}
