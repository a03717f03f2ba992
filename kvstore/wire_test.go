package kvstore

import (
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
// back to the same bytes, or give an error; never a panic, and never an
// allocation driven by a forged length (counts are checked against the
// bytes that remain).
func FuzzDecodeMessage(f *testing.F) {
	es := []Entry{{Key: "a", Value: []byte("1"), Version: Version{Wall: 1, Logical: 2, Node: "n1"}}, {Key: "b", Tombstone: true, Version: Version{Node: "n2"}}}
	f.Add(appendEntries(nil, kindPush, es))
	f.Add(appendEntries(nil, kindRepair, es))
	f.Add(encodeRoot(16, 99))
	f.Add(encodeDigests([]uint64{1, 2}))
	f.Add(encodeSummaries([]bucketSummaries{{Bucket: 1, Entries: []summary{{Key: "a", Version: es[0].Version}}}}))
	f.Add(encodeWant([]string{"k"}))
	f.Add(encodeSummaryKind(kindOffer, []bucketSummaries{{Bucket: 2, Entries: []summary{{Key: "b", Version: es[1].Version, Tombstone: true}}}}))
	f.Add([]byte{kindPush, 0xff, 0xff, 0xff, 0xff, 0x0f})
	lim := Limits{MaxKey: 64, MaxValue: 1024, MaxMessage: 1 << 16, MaxBuckets: 1024}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeMessage(data, lim)
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
		}
		m2, err := decodeMessage(again, lim)
		require.NoError(t, err)
		require.Equal(t, m, m2)
	})
}
