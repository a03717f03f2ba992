package kvstore

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/internal/fakeclock"
)

func newTestNode(t testing.TB, name string) *Node {
	t.Helper()
	n, err := New(DefaultConfig(name), nil)
	require.NoError(t, err)
	t.Cleanup(func() { n.Close() })
	return n
}

// newNodeWith is node "a" with its config changed by edit, closed when the
// test ends.
func newNodeWith(t testing.TB, edit func(*Config)) *Node {
	t.Helper()
	cfg := DefaultConfig("a")
	edit(&cfg)
	n, err := New(cfg, nil)
	require.NoError(t, err)
	t.Cleanup(func() { n.Close() })
	return n
}

// newClockedNode is node "a" on a fake clock, with cfg changed by edit.
func newClockedNode(t testing.TB, edit func(*Config)) (*Node, *fakeclock.Clock) {
	t.Helper()
	clk := fakeclock.New(time.Unix(1000, 0))
	n := newNodeWith(t, func(c *Config) { c.Now = clk.Now; edit(c) })
	return n, clk
}

func TestPutGetDeleteList(t *testing.T) {
	n := newTestNode(t, "a")
	v1, err := n.Put("temperature", []byte("25.5"))
	require.NoError(t, err)
	e, err := n.Get("temperature")
	require.NoError(t, err, "read-your-writes")
	assert.Equal(t, "25.5", string(e.Value))
	assert.Equal(t, v1, e.Version)
	assert.Equal(t, "a", e.Origin())

	v2, err := n.Put("temperature", []byte("26"))
	require.NoError(t, err)
	assert.Equal(t, 1, v2.Compare(v1), "a later write has a greater version")

	_, err = n.Put("humidity", []byte("40%"))
	require.NoError(t, err)
	_, err = n.Put("other", []byte("x"))
	require.NoError(t, err)
	list, err := n.List("")
	require.NoError(t, err)
	require.Len(t, list, 3)
	assert.Equal(t, []string{"humidity", "other", "temperature"}, []string{list[0].Key, list[1].Key, list[2].Key})

	_, err = n.Delete("temperature")
	require.NoError(t, err)
	_, err = n.Get("temperature")
	require.ErrorIs(t, err, ErrNotFound)
	_, err = n.Get("never")
	require.ErrorIs(t, err, ErrNotFound)
	list, _ = n.List("t")
	assert.Empty(t, list, "tombstones are not listed")
	assert.Equal(t, uint64(4), n.Stats().Puts)
	assert.Equal(t, uint64(1), n.Stats().Deletes)
}

func TestOversizedInputIsRejected(t *testing.T) {
	n := newNodeWith(t, func(c *Config) { c.Limits.MaxKey, c.Limits.MaxValue = 8, 16 })
	_, err := n.Put("123456789", nil)
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "key of 9 bytes exceeds Limits.MaxKey 8")
	_, err = n.Put("k", make([]byte, 17))
	require.ErrorIs(t, err, ErrTooLarge)
	assert.Contains(t, err.Error(), "value of 17 bytes exceeds Limits.MaxValue 16")
	_, err = n.Put("", []byte("x"))
	require.Error(t, err)
	_, err = n.Get("k")
	require.ErrorIs(t, err, ErrNotFound, "nothing was stored")
}

func TestConfigValidationNamesTheField(t *testing.T) {
	for want, mutate := range map[string]func(*Config){
		"Config.Name":                func(c *Config) { c.Name = "" },
		"Config.Limits.MaxKey":       func(c *Config) { c.Limits.MaxKey = -1 },
		"Config.Limits.MaxMessage":   func(c *Config) { c.Limits.MaxMessage = 100 },
		"Config.Buckets":             func(c *Config) { c.Buckets = -1 },
		"Config.MaxClockOffset":      func(c *Config) { c.MaxClockOffset = -1 },
		"Config.TombstoneGrace":      func(c *Config) { c.TombstoneGrace = -1 },
		"Config.AntiEntropyInterval": func(c *Config) { c.AntiEntropyInterval = -1 },
		"Config.WatchBuffer":         func(c *Config) { c.WatchBuffer = -1 },
	} {
		cfg := DefaultConfig("n")
		mutate(&cfg)
		_, err := New(cfg, nil)
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
	}
}

func TestWatchDeliversLocalAndRemoteChanges(t *testing.T) {
	h := newHub(1)
	a := h.add(t, DefaultConfig("a"))
	b := h.add(t, DefaultConfig("b"))
	ctx, cancel := context.WithCancel(context.Background())
	ch := b.Watch(ctx, "sensor/")

	_, err := a.Put("sensor/t1", []byte("20"))
	require.NoError(t, err)
	_, err = a.Put("other", []byte("ignored"))
	require.NoError(t, err)
	_, err = b.Delete("sensor/t1")
	require.NoError(t, err)

	ev := <-ch
	assert.Equal(t, "sensor/t1", ev.Entry.Key)
	assert.Equal(t, "20", string(ev.Entry.Value))
	assert.False(t, ev.Local, "arrived from a")
	ev = <-ch
	assert.True(t, ev.Entry.Tombstone)
	assert.True(t, ev.Local)

	cancel()
	require.Eventually(t, func() bool {
		_, open := <-ch
		return !open
	}, 2*time.Second, time.Millisecond, "the channel closes when ctx ends")
}

func TestSlowWatcherIsCutOffNotBlocking(t *testing.T) {
	n := newNodeWith(t, func(c *Config) { c.WatchBuffer = 4 })
	ch := n.Watch(context.Background(), "")
	for i := range 10 {
		_, err := n.Put(fmt.Sprint("k", i), nil)
		require.NoError(t, err)
	}
	got := 0
	for range ch {
		got++
	}
	assert.Equal(t, 4, got, "the buffered events, then the channel closed")
	assert.Equal(t, uint64(1), n.Stats().WatchersCutOff)
}

func TestRemoteClockTooFarAheadIsRejectedAndCounted(t *testing.T) {
	n, _ := newClockedNode(t, func(cfg *Config) { cfg.MaxClockOffset = time.Second })
	future := Entry{Key: "k", Value: []byte("from the future"), Version: Version{Wall: time.Unix(1010, 0).UnixNano(), Node: "fast"}}
	n.HandleMessage("fast", appendEntries(nil, kindPush, []Entry{future}))
	_, err := n.Get("k")
	require.ErrorIs(t, err, ErrNotFound)
	assert.Equal(t, uint64(1), n.Stats().RejectedClock)

	_, err = n.Put("k", []byte("local"))
	require.NoError(t, err)
	e, _ := n.Get("k")
	assert.Equal(t, "local", string(e.Value), "a fast clock cannot silently win")
}

func TestTombstonesAreCollectedAfterGrace(t *testing.T) {
	n, clk := newClockedNode(t, func(cfg *Config) { cfg.TombstoneGrace = time.Minute })
	_, _ = n.Put("k", []byte("v"))
	_, _ = n.Delete("k")
	n.CollectTombstones()
	_, ok, _ := n.store.Get("k")
	assert.True(t, ok, "within grace the tombstone stays")
	clk.Advance(2 * time.Minute)
	n.CollectTombstones()
	_, ok, _ = n.store.Get("k")
	assert.False(t, ok)
	assert.Equal(t, uint64(1), n.Stats().TombstonesCollected)

	// An expired tombstone arriving late is not taken back in.
	old := Entry{Key: "k", Tombstone: true, Version: Version{Wall: time.Unix(1000, 5).UnixNano(), Node: "b"}}
	n.HandleMessage("b", appendEntries(nil, kindRepair, []Entry{old}))
	_, ok, _ = n.store.Get("k")
	assert.False(t, ok)
}

func TestMalformedMessagesAreCountedAndDropped(t *testing.T) {
	n := newTestNode(t, "a")
	for _, m := range [][]byte{nil, {99}, {kindPush, 200}, []byte(strings.Repeat("\x01", 50))} {
		n.HandleMessage("evil", m)
	}
	assert.Equal(t, uint64(4), n.Stats().Malformed)
	_, err := n.Put("still", []byte("works"))
	require.NoError(t, err)
}
