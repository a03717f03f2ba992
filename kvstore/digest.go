package kvstore

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
)

// digests summarises a keyspace as Buckets hash digests. Each key falls in
// bucket fnv(key) mod n; a bucket's digest is the XOR of its entries'
// hashes, so a write updates it in O(1) (XOR out the old entry's hash, XOR in
// the new one) and two replicas holding the same entries in a bucket have the
// same digest whatever order the writes came in. The root is a hash of all
// bucket digests: equal roots mean (with overwhelming probability) equal
// keyspaces, and anti-entropy between in-sync replicas costs one small
// message.
//
// It also indexes which keys each bucket holds, so that anti-entropy can
// list a differing bucket's entries without scanning the whole store.
type digests struct {
	buckets []atomic.Uint64
	keys    []bucketKeys
}

type bucketKeys struct {
	mu sync.Mutex
	m  map[string]struct{}
}

func newDigests(n int) *digests {
	d := &digests{buckets: make([]atomic.Uint64, n), keys: make([]bucketKeys, n)}
	for i := range d.keys {
		d.keys[i].m = map[string]struct{}{}
	}
	return d
}

// keysIn returns the keys bucket b holds.
func (d *digests) keysIn(b int) []string {
	bk := &d.keys[b]
	bk.mu.Lock()
	defer bk.mu.Unlock()
	out := make([]string, 0, len(bk.m))
	for k := range bk.m {
		out = append(out, k)
	}
	return out
}

func (d *digests) bucketOf(key string) int {
	return int(fnvString(fnvOffset, key) % uint64(len(d.buckets)))
}

// replace accounts for old (if any) leaving and new (if any) entering key's
// bucket. Callers serialise writes to one key, so the XORs of one bucket
// never race in a way that loses an update (XOR commutes; atomics make each
// step whole).
func (d *digests) replace(old *Entry, new *Entry) {
	var key string
	var h uint64
	if old != nil {
		key, h = old.Key, entryHash(*old)
	}
	if new != nil {
		key, h = new.Key, h^entryHash(*new)
	}
	bi := d.bucketOf(key)
	if (old == nil) != (new == nil) {
		bk := &d.keys[bi]
		bk.mu.Lock()
		if new != nil {
			bk.m[key] = struct{}{}
		} else {
			delete(bk.m, key)
		}
		bk.mu.Unlock()
	}
	b := &d.buckets[bi]
	for {
		cur := b.Load()
		if b.CompareAndSwap(cur, cur^h) {
			return
		}
	}
}

// snapshot copies the bucket digests.
func (d *digests) snapshot() []uint64 {
	out := make([]uint64, len(d.buckets))
	for i := range d.buckets {
		out[i] = d.buckets[i].Load()
	}
	return out
}

// root hashes a snapshot of the bucket digests.
func root(snap []uint64) uint64 {
	h := uint64(fnvOffset)
	var b [8]byte
	for _, v := range snap {
		binary.LittleEndian.PutUint64(b[:], v)
		h = fnvBytes(h, b[:])
	}
	return h
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func fnvBytes(h uint64, b []byte) uint64 {
	for _, c := range b {
		h ^= uint64(c)
		h *= fnvPrime
	}
	return h
}

// entryHash identifies one write of one key: key, version and tombstone
// flag. The value is not hashed: the version already names the write.
func entryHash(e Entry) uint64 {
	h := fnvString(fnvOffset, e.Key)
	var b [13]byte
	binary.LittleEndian.PutUint64(b[0:8], uint64(e.Version.Wall))
	binary.LittleEndian.PutUint32(b[8:12], e.Version.Logical)
	if e.Tombstone {
		b[12] = 1
	}
	h = fnvBytes(h, b[:])
	h = fnvString(h, e.Version.Node)
	// A final avalanche step, so that XORs of similar entries do not cancel
	// in structured ways.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}
