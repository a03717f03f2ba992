package amqpwork

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cutAfter forwards connections to the broker and cuts the first one once
// more than limit bytes have gone towards the broker: a connection lost in
// the middle of publishing, at a point no timing could pick.
type cutAfter struct {
	ln    net.Listener
	limit int64
	cut   atomic.Bool
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func newCutAfter(t *testing.T, brokerURL string, limit int64) (proxyURL string, p *cutAfter) {
	u, err := url.Parse(brokerURL)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p = &cutAfter{ln: ln, limit: limit}
	target := u.Host
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, b)
			p.mu.Unlock()
			p.wg.Go(func() { p.up(c, b) })
			p.wg.Go(func() { _, _ = io.Copy(c, b); c.Close() })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for _, c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	u.Host = ln.Addr().String()
	return u.String(), p
}

// up copies towards the broker, and cuts both directions of the first
// connection that passes the limit.
func (p *cutAfter) up(c, b net.Conn) {
	defer b.Close()
	buf := make([]byte, 32<<10)
	var sent int64
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if _, werr := b.Write(buf[:n]); werr != nil {
				return
			}
			sent += int64(n)
			if sent > p.limit && p.cut.CompareAndSwap(false, true) {
				c.Close()
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// TestConnectionLostWhilePublishing cuts the client's connection in the
// middle of publishing a job (after 3 of its 8 MiB of tasks), and as it
// sends the last task, when it goes on to wait for the confirms: Do
// reconnects, publishes again what was not confirmed, and the job
// completes with the right results.
func TestConnectionLostWhilePublishing(t *testing.T) {
	for _, limit := range []int64{3 << 20, 8 << 20} {
		t.Run(fmt.Sprintf("after %d MiB", limit>>20), func(t *testing.T) { cutWhilePublishing(t, limit) })
	}
}

func cutWhilePublishing(t *testing.T, limit int64) {
	cfg := brokerConfig(t, "midpublish")
	runWorker(t, cfg, digestHandler)
	viaProxy := cfg
	viaProxy.URL, _ = newCutAfter(t, cfg.URL, limit)
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
	assert.Positive(t, c.Stats().Republished, "tasks whose confirms were lost are published again")
	t.Logf("job of %d tasks through a cut: %v, %+v", len(tasks), time.Since(start), c.Stats())
}

// TestWorkerConnectionLostWhilePublishingResults cuts a worker's connection
// after 3 MiB of 1 MiB results: the worker reconnects, the tasks whose
// acknowledgements were lost come back, and the job's results are right.
func TestWorkerConnectionLostWhilePublishingResults(t *testing.T) {
	cfg := brokerConfig(t, "midresult")
	viaProxy := cfg
	viaProxy.URL, _ = newCutAfter(t, cfg.URL, 3<<20)
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
