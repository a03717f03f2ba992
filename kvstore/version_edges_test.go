package kvstore

import (
	"encoding/binary"
	"hash/fnv"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/fakeclock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHLCEdges: the clock at its exact boundaries: a remote timestamp
// exactly MaxClockOffset ahead is accepted (one nanosecond more is not);
// observing an older timestamp with a larger counter still ticks; a
// restart's own versions move the clock only forward.
func TestHLCEdges(t *testing.T) {
	c := fakeclock.New(time.Unix(100, 0))
	h := NewHLC(c.Now, time.Second)
	pt := time.Unix(100, 0).UnixNano()
	require.NoError(t, h.Observe(pt+int64(time.Second), 7))
	w, l := h.Last()
	assert.Equal(t, pt+int64(time.Second), w)
	assert.Equal(t, uint32(8), l)

	h = NewHLC(c.Now, time.Second)
	err := h.Observe(pt+int64(time.Second)+1, 0)
	require.ErrorIs(t, err, ErrClockOffset)
	assert.EqualError(t, err, "kvstore: remote clock too far ahead: 1.000000001s ahead, the limit is 1s")

	// Local (12, 9) observes remote (12, 5): the local counter is larger.
	h = NewHLC(fakeclock.New(time.Unix(0, 10)).Now, time.Second)
	h.wall, h.logical = 12, 9
	require.NoError(t, h.Observe(12, 5))
	w, l = h.Last()
	assert.Equal(t, int64(12), w)
	assert.Equal(t, uint32(10), l)

	// Physical time equal to the clock's wall: Now ticks the counter.
	h = NewHLC(fakeclock.New(time.Unix(0, 50)).Now, time.Second)
	h.wall, h.logical = 50, 4
	w, l = h.Now()
	assert.Equal(t, int64(50), w)
	assert.Equal(t, uint32(5), l)
}

// TestHLCObserveUnchecked: a restart moves the clock past its own stored
// versions, whatever the offset, but never backwards.
func TestHLCObserveUnchecked(t *testing.T) {
	h := NewHLC(fakeclock.New(time.Unix(0, 0)).Now, time.Nanosecond)
	h.wall, h.logical = 100, 5
	steps := []struct {
		wall         int64
		logical      uint32
		wantW, wantL int64
	}{
		{99, 50, 100, 5}, // older wall, larger counter: ignored
		{100, 4, 100, 5}, // same wall, smaller counter: ignored
		{100, 5, 100, 5}, // the same: unchanged
		{100, 6, 100, 6}, // same wall, larger counter: taken
		{int64(time.Hour), 0, int64(time.Hour), 0}, // far ahead: taken, no offset check
	}
	for _, s := range steps {
		h.observeUnchecked(s.wall, s.logical)
		w, l := h.Last()
		assert.Equal(t, s.wantW, w, "after %d.%d", s.wall, s.logical)
		assert.Equal(t, uint32(s.wantL), l, "after %d.%d", s.wall, s.logical)
	}
}

// TestVersionStringAndNewer: the printed form, and the tie-breaks of Newer
// for equal versions (a delete wins, then the larger value).
func TestVersionStringAndNewer(t *testing.T) {
	v := Version{Wall: time.Date(2024, 1, 2, 3, 4, 5, 600, time.UTC).UnixNano(), Logical: 7, Node: "n1"}
	assert.Equal(t, "03:04:05.000000600.7@n1", v.String())

	a := Entry{Key: "k", Value: []byte("a"), Version: v}
	b := Entry{Key: "k", Value: []byte("b"), Version: v}
	del := Entry{Key: "k", Version: v, Tombstone: true}
	assert.True(t, Newer(b, a))
	assert.False(t, Newer(a, b))
	assert.False(t, Newer(a, a))
	assert.True(t, Newer(del, b))
	assert.False(t, Newer(b, del))
	older := Entry{Key: "k", Value: []byte("z"), Version: Version{Wall: v.Wall, Logical: 6, Node: "n1"}}
	assert.True(t, Newer(a, older), "the version decides before the value")
	assert.Equal(t, a, Merge(older, a))
	assert.Equal(t, a, Merge(a, older))
	assert.Equal(t, len("k")+len("a")+len("n1")+13, a.size())
}

// TestDigestsAreFNVAndXOR: a key's bucket is FNV-1a of the key modulo the
// bucket count, the root is FNV-1a of the bucket digests in little-endian
// order, and a bucket's digest is the XOR of its entries' hashes: writing,
// overwriting and deleting keep it equal to that XOR computed afresh.
func TestDigestsAreFNVAndXOR(t *testing.T) {
	const n = 7
	d := newDigests(n)
	for _, key := range []string{"", "a", "key-1", "a longer key with spaces"} {
		f := fnv.New64a()
		f.Write([]byte(key))
		assert.Equal(t, int(f.Sum64()%n), d.bucketOf(key), "key %q", key)
	}

	ver := func(w int64, l uint32, node string) Version { return Version{Wall: w, Logical: l, Node: node} }
	e1 := Entry{Key: "alpha", Value: []byte("1"), Version: ver(10, 0, "a")}
	e2 := Entry{Key: "alpha", Value: []byte("2"), Version: ver(11, 0, "b")}
	other := "beta"
	for _, k := range []string{"beta", "gamma", "delta", "epsilon"} {
		if d.bucketOf(k) != d.bucketOf("alpha") {
			other = k
			break
		}
	}
	require.NotEqual(t, d.bucketOf("alpha"), d.bucketOf(other))
	f1 := Entry{Key: other, Value: []byte("x"), Version: ver(10, 1, "a")}
	d.replace(nil, &e1)
	d.replace(nil, &f1)
	want := make([]uint64, n)
	want[d.bucketOf("alpha")] ^= entryHash(e1)
	want[d.bucketOf(other)] ^= entryHash(f1)
	assert.Equal(t, want, d.snapshot())
	assert.Equal(t, []string{"alpha"}, d.keysIn(d.bucketOf("alpha")))

	d.replace(&e1, &e2) // an overwrite
	want[d.bucketOf("alpha")] ^= entryHash(e1) ^ entryHash(e2)
	assert.Equal(t, want, d.snapshot())
	assert.Equal(t, []string{"alpha"}, d.keysIn(d.bucketOf("alpha")))

	d.replace(&e2, nil) // a purge
	want[d.bucketOf("alpha")] ^= entryHash(e2)
	assert.Equal(t, want, d.snapshot())
	assert.Empty(t, d.keysIn(d.bucketOf("alpha")))
	assert.Equal(t, []string{other}, d.keysIn(d.bucketOf(other)))

	snap := d.snapshot()
	f := fnv.New64a()
	var b [8]byte
	for _, v := range snap {
		binary.LittleEndian.PutUint64(b[:], v)
		f.Write(b[:])
	}
	assert.Equal(t, f.Sum64(), root(snap))
	assert.NotEqual(t, root(snap), root(make([]uint64, n)))
}

// TestEntryHashNamesTheWrite: every part of a write's identity changes the
// hash (wall, counter, node, delete flag, key); the value does not. The
// hash is FNV-1a of key, version and flag, then avalanched.
func TestEntryHashNamesTheWrite(t *testing.T) {
	base := Entry{Key: "k", Value: []byte("v"), Version: Version{Wall: 1 << 40, Logical: 3, Node: "n"}}
	h := entryHash(base)
	variants := []Entry{base, base, base, base, base}
	variants[0].Version.Wall++
	variants[1].Version.Logical++
	variants[2].Version.Node = "m"
	variants[3].Tombstone = true
	variants[4].Key = "j"
	for i, v := range variants {
		assert.NotEqual(t, h, entryHash(v), "variant %d", i)
	}
	same := base
	same.Value = []byte("another value")
	assert.Equal(t, h, entryHash(same))

	f := fnv.New64a()
	f.Write([]byte("k"))
	var b [13]byte
	binary.LittleEndian.PutUint64(b[0:8], 1<<40)
	binary.LittleEndian.PutUint32(b[8:12], 3)
	f.Write(b[:])
	f.Write([]byte("n"))
	x := f.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	assert.Equal(t, x, h)
}
