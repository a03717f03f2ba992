package kvstore

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func randomEntry(r *rand.Rand) Entry {
	e := Entry{
		Key:     "k",
		Version: Version{Wall: int64(r.IntN(4)), Logical: uint32(r.IntN(3)), Node: string(rune('a' + r.IntN(3)))},
	}
	if r.IntN(4) == 0 {
		e.Tombstone = true
	} else {
		e.Value = []byte{byte(r.IntN(3))}
	}
	return e
}

// The CRDT laws of a last-writer-wins register, checked on random entries
// drawn from a small space so that ties and equal versions are common.
func TestMergeIsASemilatticeJoin(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		a, b, c := randomEntry(r), randomEntry(r), randomEntry(r)
		require.Equal(t, Merge(a, b), Merge(b, a), "commutative: %v %v", a, b)
		require.Equal(t, Merge(Merge(a, b), c), Merge(a, Merge(b, c)), "associative: %v %v %v", a, b, c)
		require.Equal(t, a, Merge(a, a), "idempotent: %v", a)
		m := Merge(a, b)
		require.True(t, m.Version.Compare(a.Version) >= 0 && m.Version.Compare(b.Version) >= 0, "the winner has the greatest version")
	}
}

// Replicas that receive the same writes in any order, with duplicates,
// end with the same contents and the same digests.
func TestReplicasConvergeWhateverTheOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var writes []Entry
	for i := range 300 {
		e := randomEntry(r)
		e.Key = fmt.Sprintf("key-%d", r.IntN(20))
		e.Version.Wall = int64(1000 + i%50) // in the past, so no clock rejects it
		writes = append(writes, e)
	}
	cfg := DefaultConfig("x")
	cfg.TombstoneGrace = 1 << 62
	var first *Node
	for trial := range 5 {
		cfg.Name = fmt.Sprintf("replica-%d", trial)
		n, err := New(cfg, nil)
		require.NoError(t, err)
		order := r.Perm(len(writes))
		for _, i := range order {
			n.merge("peer", []Entry{writes[i]})
			if r.IntN(3) == 0 {
				n.merge("peer", []Entry{writes[i]}) // a duplicate delivery
			}
		}
		if first == nil {
			first = n
			continue
		}
		require.True(t, n.InSyncWith(first), "trial %d", trial)
		for k := range 20 {
			key := fmt.Sprintf("key-%d", k)
			a, _, _ := first.store.Get(key)
			b, _, _ := n.store.Get(key)
			require.Equal(t, a, b, key)
		}
	}
}
