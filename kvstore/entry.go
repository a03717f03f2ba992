package kvstore

import "bytes"

// Entry is one replicated key: its value, the version of the write that
// produced it, and whether that write was a delete. A deleted key is kept as
// a Tombstone until [Config.TombstoneGrace] has passed, so that the delete
// wins against older writes that are still travelling.
type Entry struct {
	Key       string
	Value     []byte // nil for a tombstone
	Version   Version
	Tombstone bool
}

// Origin is the node that wrote the entry.
func (e Entry) Origin() string { return e.Version.Node }

// Newer reports whether a should replace b under last-writer-wins: a has the
// greater version. Versions are unique per write, so equal versions mean the
// same write; the content comparison only makes the order total for inputs
// that break that rule (it keeps [Merge] a proper semilattice join whatever it
// is given).
func Newer(a, b Entry) bool {
	if c := a.Version.Compare(b.Version); c != 0 {
		return c > 0
	}
	if a.Tombstone != b.Tombstone {
		return a.Tombstone
	}
	return bytes.Compare(a.Value, b.Value) > 0
}

// Merge returns the winner of two entries for the same key. It is the join
// of a last-writer-wins register: commutative (Merge(a,b) = Merge(b,a)),
// associative and idempotent (Merge(a,a) = a), so replicas that receive the
// same writes in any order, any number of times, end up equal.
func Merge(a, b Entry) Entry {
	if Newer(b, a) {
		return b
	}
	return a
}

// size is the approximate number of bytes the entry occupies on the wire.
func (e Entry) size() int {
	return len(e.Key) + len(e.Value) + len(e.Version.Node) + 8 + 4 + 1
}
