package amqpwork

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/benchutil"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/require"
)

// BenchmarkThroughput runs jobs of 64 tasks (8 of the 8 MiB ones, the size
// of a Strassen block pair at n=2048) through two in-process workers
// whose handler echoes the task body, and, in the same loop, the same
// bytes through a bare amqp091 round trip (the baseline): a transient
// classic queue, no confirms, auto-acknowledging consumers, the cheapest
// work queue RabbitMQ offers. It reports the engine's tasks/s and MB/s
// (task and result bodies), the baseline's, and amqp/bare, the engine's
// time over the baseline's: the price of persistence, confirms, manual
// acknowledgements and the quorum queue. The same loop runs the jobs a
// third time through a client that sends every body inline (InlineBody
// -1) and reports fetch/inline, the default client's time over that
// one's: what keeping bodies over 4 KiB off the task queue saves.
func BenchmarkThroughput(b *testing.B) {
	for _, c := range []struct{ size, tasks int }{{1 << 10, 64}, {256 << 10, 64}, {8 << 20, 8}} {
		b.Run(fmt.Sprintf("body=%dKiB", c.size>>10), func(b *testing.B) { benchThroughput(b, c.size, c.tasks) })
	}
}

func benchThroughput(b *testing.B, size, benchTasks int) {
	cfg := brokerConfig(b)
	cfg.Prefetch = 16
	echo := func(_ context.Context, t Task, _ Fetcher) ([]byte, error) { return t.Body, nil }
	runWorker(b, cfg, echo)
	runWorker(b, cfg, echo)
	c := dial(b, cfg)
	inlineCfg := cfg
	inlineCfg.InlineBody = -1
	inline := dial(b, inlineCfg)
	bare := newBareRoundTrip(b, cfg.URL, cfg.Queue+".bare", cfg.Prefetch)
	tasks := make([]Task, benchTasks)
	for i := range tasks {
		body := make([]byte, size)
		body[0] = byte(i)
		tasks[i] = Task{ID: fmt.Sprint(i), Body: body}
	}
	ctx := context.Background()
	// One job of each before timing: connections, queues and caches warm.
	_, err := c.Do(ctx, "warm", tasks)
	require.NoError(b, err)
	bare.run(b, tasks)

	_, err = inline.Do(ctx, "warm-inline", tasks)
	require.NoError(b, err)

	var engine, inlined, baseline, cpu time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start, cpu0 := time.Now(), benchutil.CPUTime()
		results, err := c.Do(ctx, fmt.Sprintf("bench-%d", i), tasks)
		engine += time.Since(start)
		cpu += benchutil.CPUTime() - cpu0
		require.NoError(b, err)
		require.Len(b, results[benchTasks-1].Body, size)

		start = time.Now()
		_, err = inline.Do(ctx, fmt.Sprintf("bench-inline-%d", i), tasks)
		inlined += time.Since(start)
		require.NoError(b, err)

		start = time.Now()
		bare.run(b, tasks)
		baseline += time.Since(start)
	}
	b.StopTimer()
	n := float64(b.N * benchTasks)
	bytes := n * float64(2*size) / 1e6
	b.ReportMetric(n/engine.Seconds(), "tasks/s")
	b.ReportMetric(bytes/engine.Seconds(), "MB/s")
	b.ReportMetric(n/baseline.Seconds(), "bare-tasks/s")
	b.ReportMetric(bytes/baseline.Seconds(), "bare-MB/s")
	b.ReportMetric(engine.Seconds()/baseline.Seconds(), "amqp/bare")
	b.ReportMetric(engine.Seconds()/inlined.Seconds(), "fetch/inline")
	b.ReportMetric(benchutil.Cores(cpu, engine), "cores")
}

// bareRoundTrip is the baseline: tutorial 2 and 6 with every reliability
// feature off. Its queues are exclusive to its connection, so they go with
// it.
type bareRoundTrip struct {
	ch             *amqp.Channel
	tasks, replies string
	results        <-chan amqp.Delivery
}

func newBareRoundTrip(b *testing.B, url, name string, prefetch int) *bareRoundTrip {
	conn, err := amqp.Dial(url)
	require.NoError(b, err)
	b.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	require.NoError(b, err)
	r := &bareRoundTrip{ch: ch, tasks: name + ".tasks", replies: name + ".replies"}
	for _, q := range []string{r.tasks, r.replies} {
		_, err := ch.QueueDeclare(q, false, true, true, false, nil)
		require.NoError(b, err)
	}
	for range 2 { // two workers, as the engine has
		wch, err := conn.Channel()
		require.NoError(b, err)
		require.NoError(b, wch.Qos(prefetch, 0, false))
		in, err := wch.Consume(r.tasks, "", true, false, false, false, nil)
		require.NoError(b, err)
		go func() {
			for d := range in {
				_ = wch.Publish("", d.ReplyTo, false, false, amqp.Publishing{
					CorrelationId: d.CorrelationId, Body: d.Body,
				})
			}
		}()
	}
	r.results, err = ch.Consume(r.replies, "", true, false, false, false, nil)
	require.NoError(b, err)
	return r
}

func (r *bareRoundTrip) run(b *testing.B, tasks []Task) {
	for _, t := range tasks {
		require.NoError(b, r.ch.Publish("", r.tasks, false, false, amqp.Publishing{
			CorrelationId: t.ID, ReplyTo: r.replies, Body: t.Body,
		}))
	}
	for range tasks {
		<-r.results
	}
}

// BenchmarkRounds runs rounds of 4 small tasks, as k-means iterations on
// a few shards are, on two workers: each round as a plain [Client.Do]
// with its own job (queues declared and deleted every round, the
// baseline) and as a round of one open [Job]. It reports both rates and
// job/do, the open job's time over the plain Do's.
func BenchmarkRounds(b *testing.B) {
	cfg := brokerConfig(b, "bench-open")
	cfg.Prefetch = 4
	echo := func(_ context.Context, t Task, _ Fetcher) ([]byte, error) { return t.Body, nil }
	runWorker(b, cfg, echo)
	runWorker(b, cfg, echo)
	c := dial(b, cfg)
	ctx := context.Background()
	tasks := makeTasks(4)
	j, err := c.Open(ctx, "bench-open")
	require.NoError(b, err)
	b.Cleanup(func() { _ = j.Close() })
	_, err = j.Do(ctx, tasks) // warm
	require.NoError(b, err)

	var plain, open time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		_, err := c.Do(ctx, fmt.Sprintf("bench-round-%d", i), tasks)
		plain += time.Since(start)
		require.NoError(b, err)

		start = time.Now()
		_, err = j.Do(ctx, tasks)
		open += time.Since(start)
		require.NoError(b, err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/open.Seconds(), "job-rounds/s")
	b.ReportMetric(float64(b.N)/plain.Seconds(), "do-rounds/s")
	b.ReportMetric(open.Seconds()/plain.Seconds(), "job/do")
}

// BenchmarkBlobFetch runs jobs of one task whose handler fetches a 32 MiB
// blob (a k-means shard of 500,000 x 8) from the client, with the
// worker's cache off, alternately with the blob served as one message
// and in 1 MiB parts (the default), and reports parts/whole, the time of
// the one over the other's.
func BenchmarkBlobFetch(b *testing.B) {
	cfg := brokerConfig(b, "fetch")
	cfg.BlobCacheBytes = 1
	runWorker(b, cfg, func(ctx context.Context, _ Task, fetch Fetcher) ([]byte, error) {
		blob, err := fetch(ctx, "shard")
		if err != nil {
			return nil, err
		}
		return blob[:8], nil
	})
	c := dial(b, cfg)
	c.Publish("shard", make([]byte, 32<<20))
	ctx := context.Background()
	fetch := func(part int) time.Duration {
		c.servePart = part
		start := time.Now()
		_, err := c.Do(ctx, "fetch", makeTasks(1))
		require.NoError(b, err)
		return time.Since(start)
	}
	fetch(defaultServePart) // warm
	var whole, parts time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		whole += fetch(cfg.withDefaults().MaxMessageSize)
		parts += fetch(defaultServePart)
	}
	b.StopTimer()
	b.ReportMetric(whole.Seconds()*1000/float64(b.N), "whole-ms")
	b.ReportMetric(parts.Seconds()*1000/float64(b.N), "parts-ms")
	b.ReportMetric(parts.Seconds()/whole.Seconds(), "parts/whole")
}
