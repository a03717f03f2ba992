package kvstore

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

var boltBucket = []byte("entries")

// BoltStore is a durable [Store] in one bbolt file (go.etcd.io/bbolt, the
// B+tree store under etcd). Each Put is its own transaction, committed and
// fsynced before Put returns: a write the node acknowledged survives a crash
// or a power cut. Reads run in parallel with writes.
type BoltStore struct {
	db *bolt.DB
}

// OpenBoltStore opens (or creates) the store at path. It fails after a
// second if another process has the file open.
func OpenBoltStore(path string) (*BoltStore, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("kvstore: %s is in use by another process", path)
		}
		return nil, fmt.Errorf("kvstore: opening %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(boltBucket)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("kvstore: preparing %s: %w", path, err)
	}
	return &BoltStore{db: db}, nil
}

// storedLimits accept whatever this package may have written.
var storedLimits = Limits{MaxKey: math.MaxInt32, MaxValue: math.MaxInt32, MaxMessage: math.MaxInt32, MaxBuckets: 1}

func decodeStored(key, data []byte) (Entry, error) {
	r := &reader{b: data, lim: storedLimits}
	e := r.entry()
	if r.err == nil && r.off != len(data) {
		r.fail("%d bytes of trailing garbage", len(data)-r.off)
	}
	if r.err == nil && e.Key != string(key) {
		r.fail("entry for %q stored under %q", e.Key, key)
	}
	if r.err != nil {
		return Entry{}, fmt.Errorf("kvstore: stored entry %q is corrupt: %w", key, r.err)
	}
	return e, nil
}

// Get implements [Store].
func (s *BoltStore) Get(key string) (Entry, bool, error) {
	var e Entry
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		data := tx.Bucket(boltBucket).Get([]byte(key))
		if data == nil {
			return nil
		}
		var err error
		e, err = decodeStored([]byte(key), data)
		found = err == nil
		return err
	})
	return e, found, err
}

// Put implements [Store]; the entry is on disk when Put returns nil.
func (s *BoltStore) Put(e Entry) error {
	data := appendEntry(nil, e)
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(boltBucket).Put([]byte(e.Key), data)
	})
}

// Remove implements [Store].
func (s *BoltStore) Remove(key string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(boltBucket).Delete([]byte(key))
	})
}

// Range implements [Store]. Entries are collected in a read transaction and fn
// is called after it ends, so fn may write to the store.
func (s *BoltStore) Range(prefix string, fn func(Entry) bool) error {
	var out []Entry
	p := []byte(prefix)
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(boltBucket).Cursor()
		for k, v := c.Seek(p); k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
			e, err := decodeStored(k, v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, e := range out {
		if !fn(e) {
			break
		}
	}
	return nil
}

// Close implements [Store].
func (s *BoltStore) Close() error { return s.db.Close() }
