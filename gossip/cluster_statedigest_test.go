package gossip

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStateDigestRoundTrip(t *testing.T) {
	d := stateDigest{name: "m1", addr: "127.0.0.1:7946", ids: []msgID{{1}, {2}}, user: []byte("user state")}
	got, err := decodeStateDigest(d.encode())
	require.NoError(t, err)
	assert.Equal(t, d, got)
	for _, bad := range [][]byte{nil, {0, 0, 0, 9}, {0, 0, 0, 2, 'X', 1}, {0, 0, 0, 5, 'N', 1, 0, 0, 0}} {
		_, err := decodeStateDigest(bad)
		assert.ErrorIs(t, err, ErrMalformed, "%x", bad)
	}
}

// FuzzDecodeStateDigest feeds arbitrary push-pull state to the digest
// decoder: no panic, and what it accepts encodes back identically.
func FuzzDecodeStateDigest(f *testing.F) {
	f.Add(stateDigest{name: "a", addr: "127.0.0.1:1", ids: []msgID{{7}}, user: []byte("u")}.encode())
	f.Add(stateDigest{}.encode())
	f.Add([]byte{0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeStateDigest(b)
		if err != nil {
			return
		}
		if again := d.encode(); !bytes.Equal(again, b) {
			t.Fatalf("round trip changed the bytes:\n in %x\nout %x", b, again)
		}
	})
}
