package kvstore

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDivergentCountsKeysTheNodesDisagreeOn(t *testing.T) {
	h := newHub(1)
	a, b := h.add(t, DefaultConfig("a")), h.add(t, DefaultConfig("b"))
	d, err := Divergent(a, b)
	require.NoError(t, err)
	assert.Zero(t, d, "two empty nodes agree")

	_, err = a.Put("k1", []byte("v")) // broadcast: both have it
	require.NoError(t, err)
	h.partition([]string{"a"}, []string{"b"})
	_, err = a.Put("k2", []byte("only a"))
	require.NoError(t, err)
	_, err = b.Put("k1", []byte("newer on b"))
	require.NoError(t, err)
	_, err = b.Delete("k3")
	require.NoError(t, err)
	d, err = Divergent(a, b)
	require.NoError(t, err)
	assert.Equal(t, 3, d, "k1 at different versions, k2 only on a, k3's tombstone only on b")
	d, err = Divergent(a)
	require.NoError(t, err)
	assert.Zero(t, d)

	h.heal()
	converge(t, h, []*Node{a, b}, 20)
	d, err = Divergent(a, b)
	require.NoError(t, err)
	assert.Zero(t, d, "converged replicas agree on every key")
}
