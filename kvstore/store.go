package kvstore

import (
	"hash/maphash"
	"sort"
	"strings"
	"sync"
)

// Store is where a node keeps its entries, tombstones included. The node
// decides what to write (the merge); a [Store] only keeps what it is given.
// Implementations are safe for concurrent use.
type Store interface {
	// Get returns the entry for key, and false if there is none.
	Get(key string) (Entry, bool, error)
	// Put stores e, replacing any entry for e.Key. When Put returns nil the
	// entry is as durable as the store promises.
	Put(e Entry) error
	// Remove deletes the entry for key (tombstone collection).
	Remove(key string) error
	// Range calls fn for each entry whose key starts with prefix, in key
	// order, until fn returns false.
	Range(prefix string, fn func(Entry) bool) error
	// Close releases the store's resources.
	Close() error
}

const memShards = 64

// MemStore is an in-memory [Store], sharded so that readers and writers of
// different keys rarely contend. It keeps nothing across restarts.
type MemStore struct {
	seed   maphash.Seed
	shards [memShards]struct {
		mu sync.RWMutex
		m  map[string]Entry
	}
}

// NewMemStore returns an empty [MemStore].
func NewMemStore() *MemStore {
	s := &MemStore{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].m = map[string]Entry{}
	}
	return s
}

func (s *MemStore) shard(key string) int {
	return int(maphash.String(s.seed, key) % memShards)
}

// Get implements [Store].
func (s *MemStore) Get(key string) (Entry, bool, error) {
	sh := &s.shards[s.shard(key)]
	sh.mu.RLock()
	e, ok := sh.m[key]
	sh.mu.RUnlock()
	return e, ok, nil
}

// Put implements [Store].
func (s *MemStore) Put(e Entry) error {
	sh := &s.shards[s.shard(e.Key)]
	sh.mu.Lock()
	sh.m[e.Key] = e
	sh.mu.Unlock()
	return nil
}

// Remove implements [Store].
func (s *MemStore) Remove(key string) error {
	sh := &s.shards[s.shard(key)]
	sh.mu.Lock()
	delete(sh.m, key)
	sh.mu.Unlock()
	return nil
}

// Range implements [Store]. It copies the matching entries first, so fn may
// call back into the store.
func (s *MemStore) Range(prefix string, fn func(Entry) bool) error {
	var out []Entry
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		for k, e := range sh.m {
			if strings.HasPrefix(k, prefix) {
				out = append(out, e)
			}
		}
		sh.mu.RUnlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	for _, e := range out {
		if !fn(e) {
			break
		}
	}
	return nil
}

// Close implements [Store]; a [MemStore] holds no resources.
func (s *MemStore) Close() error { return nil }
