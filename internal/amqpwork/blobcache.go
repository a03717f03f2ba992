package amqpwork

import (
	"container/list"
	"context"
	"sync"
)

// blobCache keeps fetched blobs, least recently used first out, within a
// budget of bytes. Concurrent fills of one key fetch it once.
type blobCache struct {
	budget int

	mu       sync.Mutex
	used     int
	order    *list.List // of *blobEntry, most recent at the front
	byKey    map[string]*list.Element
	inflight map[string]*fill
}

type blobEntry struct {
	key  string
	data []byte
}

type fill struct {
	done chan struct{}
	data []byte
	err  error
}

func newBlobCache(budget int) *blobCache {
	return &blobCache{budget: budget, order: list.New(), byKey: map[string]*list.Element{},
		inflight: map[string]*fill{}}
}

func (c *blobCache) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*blobEntry).data, true
}

// fill returns the blob for key, calling fetch unless another caller is
// already fetching it, and caches the result when it fits the budget.
func (c *blobCache) fill(ctx context.Context, key string, fetch func() ([]byte, error)) ([]byte, error) {
	c.mu.Lock()
	if e, ok := c.byKey[key]; ok {
		c.order.MoveToFront(e)
		c.mu.Unlock()
		return e.Value.(*blobEntry).data, nil
	}
	if f, ok := c.inflight[key]; ok {
		c.mu.Unlock()
		select {
		case <-f.done:
			if f.err == nil {
				return f.data, nil
			}
			// The other fetch failed (perhaps its context ended); try ours.
			return c.fill(ctx, key, fetch)
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f := &fill{done: make(chan struct{})}
	c.inflight[key] = f
	c.mu.Unlock()

	f.data, f.err = fetch()
	c.mu.Lock()
	delete(c.inflight, key)
	if f.err == nil {
		c.put(key, f.data)
	}
	c.mu.Unlock()
	close(f.done)
	return f.data, f.err
}

// put adds a blob and evicts the least recently used beyond the budget; a
// blob larger than the whole budget is not kept. c.mu is held.
func (c *blobCache) put(key string, data []byte) {
	if len(data) > c.budget {
		return
	}
	c.byKey[key] = c.order.PushFront(&blobEntry{key: key, data: data})
	c.used += len(data)
	for c.used > c.budget {
		last := c.order.Back()
		e := last.Value.(*blobEntry)
		c.order.Remove(last)
		delete(c.byKey, e.key)
		c.used -= len(e.data)
	}
}
