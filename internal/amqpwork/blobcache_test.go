package amqpwork

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBlobCacheEvictsLeastRecentlyUsed(t *testing.T) {
	c := newBlobCache(10)
	fetches := 0
	get := func(key string, size int) {
		_, err := c.fill(context.Background(), key, func() ([]byte, error) {
			fetches++
			return make([]byte, size), nil
		})
		require.NoError(t, err)
	}
	get("a", 4)
	get("b", 4)
	_, ok := c.get("a") // a is now more recent than b
	require.True(t, ok)
	get("c", 4) // 12 > 10: b goes
	_, ok = c.get("b")
	assert.False(t, ok)
	_, ok = c.get("a")
	assert.True(t, ok)
	assert.Equal(t, 8, c.used)
	get("d", 2) // exactly fills the budget: nothing goes
	_, ok = c.get("a")
	assert.True(t, ok)
	assert.Equal(t, 10, c.used)
	get("huge", 11) // larger than the budget: returned, not kept
	_, ok = c.get("huge")
	assert.False(t, ok)
	assert.Equal(t, 5, fetches)
	c2 := newBlobCache(10)
	get2, err := c2.fill(context.Background(), "whole", func() ([]byte, error) { return make([]byte, 10), nil })
	require.NoError(t, err)
	require.Len(t, get2, 10)
	_, ok = c2.get("whole")
	assert.True(t, ok, "a blob the size of the budget is kept")
}

func TestBlobCacheFetchesOnceForConcurrentCallers(t *testing.T) {
	c := newBlobCache(1 << 20)
	var calls atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			b, err := c.fill(context.Background(), "k", func() ([]byte, error) {
				calls.Add(1)
				<-release
				return []byte("v"), nil
			})
			assert.NoError(t, err)
			assert.Equal(t, "v", string(b))
		})
	}
	require.Eventually(t, func() bool { return calls.Load() == 1 }, 5e9, 1e6)
	close(release)
	wg.Wait()
	assert.Equal(t, int32(1), calls.Load())
}

func TestBlobCacheDoesNotKeepFailures(t *testing.T) {
	c := newBlobCache(100)
	_, err := c.fill(context.Background(), "k", func() ([]byte, error) { return nil, errors.New("down") })
	require.Error(t, err)
	b, err := c.fill(context.Background(), "k", func() ([]byte, error) { return []byte("up"), nil })
	require.NoError(t, err)
	assert.Equal(t, "up", string(b))
}

// TestBlobCacheWaiterRetriesAfterAFailedFetch: a caller that waited for
// another's fetch of the same key, which failed, fetches it itself.
func TestBlobCacheWaiterRetriesAfterAFailedFetch(t *testing.T) {
	c := newBlobCache(100)
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := c.fill(context.Background(), "k", func() ([]byte, error) {
			<-release
			return nil, errors.New("lost")
		})
		first <- err
	}()
	require.Eventually(t, func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.inflight["k"] != nil
	}, 5e9, 1e6)
	second := make(chan []byte, 1)
	go func() {
		b, err := c.fill(context.Background(), "k", func() ([]byte, error) { return []byte("v"), nil })
		assert.NoError(t, err)
		second <- b
	}()
	close(release)
	require.Error(t, <-first)
	assert.Equal(t, "v", string(<-second))
}
