package amqpwork

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// viaCutProxy returns cfg reaching its broker through a proxy that cuts
// the first connection once more than limit bytes have gone towards the
// broker: a connection lost in the middle of publishing, at a point no
// timing could pick.
func viaCutProxy(t *testing.T, cfg Config, limit int64) Config {
	p, u := testutil.NewURLProxy(t, cfg.URL)
	p.CutAfter(limit)
	cfg.URL = u
	return cfg
}

// TestConnectionLostWhilePublishing cuts the client's connection in the
// middle of publishing a job (after 3 of its 8 MiB of tasks), and as it
// sends the last task, when it goes on to wait for the confirms: Do
// reconnects, publishes again what was not confirmed, and the job
// completes with the right results. The bodies travel inline here
// (InlineBody -1), so that the cut falls among the task messages.
func TestConnectionLostWhilePublishing(t *testing.T) {
	for _, limit := range []int64{3 << 20, 8 << 20} {
		t.Run(fmt.Sprintf("after %d MiB", limit>>20), func(t *testing.T) {
			c := cutWhilePublishing(t, limit, -1)
			assert.Positive(t, c.Stats().Republished, "tasks whose confirms were lost are published again")
		})
	}
}

// TestConnectionLostWhileServingBodies cuts the client's connection
// after 3 of the 8 MiB of task bodies that workers fetch from it: the
// task messages were confirmed long before, the fetches cut off fail and
// their tasks come back, and the reconnected client serves them again.
func TestConnectionLostWhileServingBodies(t *testing.T) {
	c := cutWhilePublishing(t, 3<<20, 0)
	assert.GreaterOrEqual(t, c.Stats().BodiesServed, uint64(8))
}

// cutWhilePublishing runs a job of eight 1 MiB tasks through a connection
// cut after limit bytes towards the broker, with inline as InlineBody.
func cutWhilePublishing(t *testing.T, limit int64, inline int) *Client {
	cfg := brokerConfig(t, "midpublish")
	cfg.InlineBody = inline
	runWorker(t, cfg, digestHandler)
	viaProxy := viaCutProxy(t, cfg, limit)
	c := dial(t, viaProxy)
	tasks := make([]Task, 8)
	for i := range tasks {
		body := make([]byte, 1<<20)
		body[0] = byte(i)
		tasks[i] = Task{ID: string(rune('a' + i)), Body: body}
	}
	start := time.Now()
	results, err := c.Do(testCtx(t), "midpublish", tasks)
	require.NoError(t, err)
	requireDigests(t, tasks, results)
	assert.GreaterOrEqual(t, c.Stats().Reconnects, uint64(1))
	t.Logf("job of %d tasks through a cut: %v, %+v", len(tasks), time.Since(start), c.Stats())
	return c
}

// TestWorkerConnectionLostWhilePublishingResults cuts a worker's connection
// after 3 MiB of 1 MiB results: the worker reconnects, the tasks whose
// acknowledgements were lost come back, and the job's results are right.
func TestWorkerConnectionLostWhilePublishingResults(t *testing.T) {
	cfg := brokerConfig(t, "midresult")
	viaProxy := viaCutProxy(t, cfg, 3<<20)
	big := func(_ context.Context, tk Task, _ Fetcher) ([]byte, error) {
		out := make([]byte, 1<<20)
		copy(out, digest(tk.Body))
		return out, nil
	}
	w := runWorker(t, viaProxy, big)
	c := dial(t, cfg)
	tasks := makeTasks(8)
	results, err := c.Do(testCtx(t), "midresult", tasks)
	require.NoError(t, err)
	for i, r := range results {
		require.Equal(t, digest(tasks[i].Body), string(r.Body[:64]))
	}
	assert.GreaterOrEqual(t, w.Stats().Reconnects, uint64(1))
}
