package p2p

import (
	"crypto/sha256"
	"time"
)

// MessageKey is the [Message] List key of a gossip message: the first 16 bytes
// of the SHA-256 of its line. Keys are fixed-size whatever the line, and a
// peer cannot make two different lines collide on purpose.
type MessageKey [16]byte

// KeyOf returns the [Message] List key of a gossip message.
func KeyOf(m Message) MessageKey {
	sum := sha256.Sum256([]byte(m.String()))
	var k MessageKey
	copy(k[:], sum[:])
	return k
}

// MessageList remembers which gossip messages a peer has already seen, so that
// it forwards each one once. It is bounded two ways: an entry expires TTL after
// it was added, and when Max entries are held the oldest is dropped. A message
// that comes back after its entry expired is taken as new, so TTL must exceed
// the time a message takes to cross the overlay.
//
// The list is a plain value driven by the times passed in; it is not safe for
// concurrent use (the [Peer] guards it with its own lock).
type MessageList struct {
	ttl   time.Duration
	max   int
	seen  map[MessageKey]time.Time // key -> expiry
	order []listEntry              // FIFO of insertions; expiry order, as TTL is fixed
	head  int                      // index of the oldest live entry in order
}

type listEntry struct {
	key    MessageKey
	expiry time.Time
}

// NewMessageList returns an empty list whose entries last ttl, holding at most
// max entries.
func NewMessageList(ttl time.Duration, max int) *MessageList {
	return &MessageList{ttl: ttl, max: max, seen: make(map[MessageKey]time.Time)}
}

// Add records key as seen at now and reports whether it was new. Expired
// entries are dropped first.
func (l *MessageList) Add(key MessageKey, now time.Time) bool {
	l.expire(now)
	if _, ok := l.seen[key]; ok {
		return false
	}
	for len(l.seen) >= l.max {
		l.dropOldest()
	}
	exp := now.Add(l.ttl)
	l.seen[key] = exp
	l.order = append(l.order, listEntry{key, exp})
	return true
}

// Len returns how many entries are held (expired ones included until the next
// Add).
func (l *MessageList) Len() int { return len(l.seen) }

func (l *MessageList) expire(now time.Time) {
	for l.head < len(l.order) && !now.Before(l.order[l.head].expiry) {
		l.dropOldest()
	}
}

func (l *MessageList) dropOldest() {
	e := l.order[l.head]
	l.order[l.head] = listEntry{}
	l.head++
	if exp, ok := l.seen[e.key]; ok && exp.Equal(e.expiry) {
		delete(l.seen, e.key)
	}
	// Compact once half the slice is dead, so memory stays proportional to Len.
	if l.head > 64 && l.head*2 > len(l.order) {
		l.order = append([]listEntry(nil), l.order[l.head:]...)
		l.head = 0
	}
}
