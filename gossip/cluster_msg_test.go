package gossip

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeClusterMsg(t *testing.T) {
	m := clusterMsg{typ: cmRequest, id: msgID{1, 2}, request: 7, status: 1, size: 99, origin: "o", peer: "p", addr: "127.0.0.1:1", payload: []byte("body")}
	got, err := decodeClusterMsg(m.encode())
	require.NoError(t, err)
	assert.Equal(t, m, got)
	for _, bad := range [][]byte{nil, make([]byte, cmMinSize), append([]byte{cmVersion, 'Z'}, make([]byte, cmMinSize)...)} {
		_, err := decodeClusterMsg(bad)
		assert.ErrorIs(t, err, ErrMalformed)
	}
	b := m.encode()
	b[cmFixedSize] = 200 // origin length beyond the end
	_, err = decodeClusterMsg(b)
	assert.ErrorContains(t, err, "name of 200 bytes")
}

// FuzzDecodeClusterMsg feeds arbitrary bytes to the cluster message decoder:
// it must never panic, and what it accepts must encode back identically.
func FuzzDecodeClusterMsg(f *testing.F) {
	for _, m := range []clusterMsg{
		{typ: cmBroadcast, origin: "a", payload: []byte("hi")},
		{typ: cmAnnounce, size: 5000, origin: "a", peer: "b", addr: "127.0.0.1:7946"},
		{typ: cmResponse, request: 3, status: statusError, payload: []byte("no")},
	} {
		f.Add(m.encode())
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeClusterMsg(b)
		if err != nil {
			return
		}
		if again := m.encode(); !bytes.Equal(again, b) {
			t.Fatalf("round trip changed the bytes:\n in %x\nout %x", b, again)
		}
	})
}
