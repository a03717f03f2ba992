package mlcluster

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestLocalClusterRunsJobsOverTCP(t *testing.T) {
	defer goleak.VerifyNone(t)
	lc, err := StartLocalCluster(ctxT(t), DefaultConfig(), 3)
	require.NoError(t, err)
	assert.Equal(t, 3, lc.Coordinator.Workers())
	require.Len(t, lc.Workers, 3)

	ds := blobs(t, 600, 2, 3, 1, 5)
	cl, err := NewClient(ClientConfig{Coordinator: lc.Addr()})
	require.NoError(t, err)
	res, err := cl.SubmitDataset(ctxT(t), ds, "kmeans", Params{"k": "3", "seed": "5"})
	require.NoError(t, err)
	want, err := RunLocal(context.Background(), ds, "kmeans", Params{"k": "3", "seed": "5"}, LocalOptions{Shards: 3})
	require.NoError(t, err)
	assertSameAsLocal(t, want, res)
	var received int64
	for _, w := range lc.Workers {
		received += w.ReceivedBytes()
	}
	assert.Equal(t, int64(ds.Rows*ds.Cols*8), received, "the data went to the workers over TCP")

	require.NoError(t, lc.Close())
	require.NoError(t, lc.Close(), "Close twice")
	requirePortFree(t, lc.Addr())
}

func TestLocalClusterErrors(t *testing.T) {
	defer goleak.VerifyNone(t)
	_, err := StartLocalCluster(context.Background(), DefaultConfig(), 0)
	assert.ErrorContains(t, err, "0 workers")
	cfg := DefaultConfig()
	cfg.ShardsPerWorker = -1
	_, err = StartLocalCluster(context.Background(), cfg, 1)
	assert.ErrorContains(t, err, "Config.ShardsPerWorker")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = StartLocalCluster(ctx, DefaultConfig(), 2)
	assert.ErrorIs(t, err, context.Canceled, "a cancelled context stops the wait for workers")
}
