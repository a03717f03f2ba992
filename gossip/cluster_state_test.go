package gossip

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClusterRepairsMissedBroadcastsAtPushPull(t *testing.T) {
	net := newMem(t, DefaultMemConfig())
	tc := startCluster(t, net, 4, nil)
	net.Partition([]string{tc.members[3].Addr()}) // m003 hears nothing for a while
	msg := []byte("sent while m003 was cut off")
	require.NoError(t, tc.members[0].Broadcast(msg))
	require.Eventually(t, func() bool {
		for _, m := range tc.members[:3] {
			if m.Stats().Queued > 0 {
				return false
			}
		}
		return tc.inboxes[1].count(msg) == 1 && tc.inboxes[2].count(msg) == 1
	}, 10*time.Second, 10*time.Millisecond, "the others got it and stopped gossiping it")
	assert.Zero(t, tc.inboxes[3].count(msg))

	net.Heal()
	require.Eventually(t, func() bool { return tc.inboxes[3].count(msg) == 1 }, 20*time.Second, 10*time.Millisecond,
		"the push-pull digest shows m003 what it missed")
	assert.Greater(t, tc.members[3].Stats().Repairs, uint64(0))
}

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
