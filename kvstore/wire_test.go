package kvstore

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var testLimits = DefaultConfig("x").Limits

func TestWireRoundTrips(t *testing.T) {
	es := []Entry{
		{Key: "a", Value: []byte("1"), Version: Version{Wall: 1, Logical: 2, Node: "n1"}},
		{Key: "b", Tombstone: true, Version: Version{Wall: -5, Logical: 1 << 31, Node: "n2"}},
		{Key: "c", Value: []byte{}, Version: Version{Wall: 1 << 62, Node: "n3"}},
	}
	for _, kind := range []byte{kindPush, kindRepair} {
		m, err := decodeMessage(appendEntries(nil, kind, es), testLimits)
		require.NoError(t, err)
		assert.Equal(t, kind, m.Kind)
		assert.Equal(t, es, m.Entries)
	}
	m, err := decodeMessage(encodeRoot(1024, 0xdeadbeef), testLimits)
	require.NoError(t, err)
	assert.Equal(t, 1024, m.Buckets)
	assert.Equal(t, uint64(0xdeadbeef), m.Root)

	m, err = decodeMessage(encodeDigests([]uint64{1, 2, 3}), testLimits)
	require.NoError(t, err)
	assert.Equal(t, []uint64{1, 2, 3}, m.Digests)

	sums := []bucketSummaries{{Bucket: 7, Entries: []summary{{Key: "a", Version: es[0].Version}, {Key: "b", Version: es[1].Version, Tombstone: true}}}, {Bucket: 9}}
	m, err = decodeMessage(encodeSummaries(sums), testLimits)
	require.NoError(t, err)
	assert.Equal(t, sums, m.Summaries)

	m, err = decodeMessage(encodeWant([]string{"x", "y"}), testLimits)
	require.NoError(t, err)
	assert.Equal(t, []string{"x", "y"}, m.Keys)
}

func TestWireErrorsSayWhatAndWhere(t *testing.T) {
	lim := testLimits
	lim.MaxKey = 4
	cases := map[string][]byte{
		"empty message":                   {},
		"unknown message kind 42":         {42},
		"push message: offset 1":          {kindPush},
		"does not fit":                    {kindPush, 100, 0},
		"key of 5 bytes exceeds":          appendEntries(nil, kindPush, []Entry{{Key: "12345", Version: Version{Node: "n"}}}),
		"trailing garbage":                append(encodeWant([]string{"k"}), 0),
		"bucket count 0 outside":          encodeRoot(0, 1),
		"unknown flags":                   {kindPush, 1, 1, 'k', 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 'n', 7},
		"digests message: offset 3: 1000": {kindDigests, 0xe8, 0x07, 1, 2},
	}
	for want, msg := range cases {
		_, err := decodeMessage(msg, lim)
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
	}
}

// FuzzDecodeMessage: any bytes either decode into a message that encodes
// back to exactly the same bytes, or give an error; never a panic, and
// never an allocation driven by a forged length: what decoding allocates
// is bounded by a small multiple of the input's size.
func FuzzDecodeMessage(f *testing.F) {
	es := []Entry{{Key: "a", Value: []byte("1"), Version: Version{Wall: 1, Logical: 2, Node: "n1"}}, {Key: "b", Tombstone: true, Version: Version{Node: "n2"}}}
	f.Add(appendEntries(nil, kindPush, es))
	f.Add(appendEntries(nil, kindRepair, es))
	f.Add(encodeRoot(16, 99))
	f.Add(encodeDigests([]uint64{1, 2}))
	f.Add(encodeSummaries([]bucketSummaries{{Bucket: 1, Entries: []summary{{Key: "a", Version: es[0].Version}}}}))
	f.Add(encodeWant([]string{"k"}))
	f.Add(encodeSummaryKind(kindOffer, []bucketSummaries{{Bucket: 2, Entries: []summary{{Key: "b", Version: es[1].Version, Tombstone: true}}}}))
	f.Add([]byte{kindPush, 0xff, 0xff, 0xff, 0xff, 0x0f})    // forged entry count
	f.Add([]byte{kindWant, 1, 0xff, 0xff, 0xff, 0xff, 0x0f}) // forged key length
	f.Add([]byte{kindDigests, 0xff, 0xff, 0x03})             // forged bucket count
	f.Add([]byte{kindWant, 0x81, 0x00, 'k'})                 // a varint not in its shortest form
	lim := Limits{MaxKey: 64, MaxValue: 1024, MaxMessage: 1 << 16, MaxBuckets: 1024}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := decodeMessage(data, lim)
		runtime.ReadMemStats(&after)
		// Entries and summaries are decoded into structs of about 100 bytes
		// from at least minEntry input bytes each; an error message adds a
		// little. A forged count or length would show up as megabytes.
		if got, bound := after.TotalAlloc-before.TotalAlloc, uint64(64*len(data)+64<<10); got > bound {
			t.Fatalf("decoding %d bytes allocated %d bytes (bound %d)", len(data), got, bound)
		}
		if err != nil {
			return
		}
		var again []byte
		switch m.Kind {
		case kindPush, kindRepair:
			again = appendEntries(nil, m.Kind, m.Entries)
		case kindRoot:
			again = encodeRoot(m.Buckets, m.Root)
		case kindDigests:
			again = encodeDigests(m.Digests)
		case kindSummaries, kindOffer:
			again = encodeSummaryKind(m.Kind, m.Summaries)
		case kindWant:
			again = encodeWant(m.Keys)
		default:
			t.Fatalf("decoded an unknown kind %d", m.Kind)
		}
		require.Equal(t, data, again, "the re-encoding differs from the input")
	})
}

func TestWireRejectsVarintsNotInShortestForm(t *testing.T) {
	_, err := decodeMessage([]byte{kindWant, 0x81, 0x00, 'k'}, testLimits)
	require.ErrorContains(t, err, "shortest form")
	m, err := decodeMessage([]byte{kindWant, 0x01, 0x01, 'k'}, testLimits)
	require.NoError(t, err)
	assert.Equal(t, []string{"k"}, m.Keys)
}
