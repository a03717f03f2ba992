package amqpdemo

import (
	"sort"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"
)

// Message is one message as the receiver stored it.
type Message struct {
	RoutingKey  string    // the key the sender published with
	Body        []byte    // the body, byte for byte; it need not be UTF-8
	ID          string    // the sender's message ID, used to drop duplicates
	Timestamp   time.Time // when the sender published it (zero if unknown)
	Redelivered bool      // the broker delivered it before, without an ack
}

// Text returns the body for display: the text itself when it is valid,
// printable UTF-8, otherwise a Go-quoted form in which every invalid byte and
// control character is escaped, so a terminal never receives raw binary.
func (m Message) Text() string {
	if utf8.Valid(m.Body) && printable(m.Body) {
		return string(m.Body)
	}
	return strconv.Quote(string(m.Body))
}

func printable(b []byte) bool {
	for _, r := range string(b) {
		if !unicode.IsPrint(r) && r != ' ' {
			return false
		}
	}
	return true
}

// TopicCount is how many messages arrived with one routing key.
type TopicCount struct {
	RoutingKey string
	Count      int
}

// Tally keeps messages per routing key: the count of every key is exact, and
// at most a fixed number of the most recent messages per key are kept. It also
// drops duplicates (a message whose ID it has seen recently) so that an
// at-least-once redelivery after a reconnect is not counted twice.
//
// Tally is the receiver's bookkeeping with no I/O; it is not safe for
// concurrent use ([Receiver] guards it with a mutex).
type Tally struct {
	maxPerKey int
	counts    map[string]int
	kept      map[string][]Message // ring per key, oldest at next[key]
	next      map[string]int
	total     int
	dups      int
	seen      map[string]struct{}
	seenOrder []string // ring of the last len(seenOrder) IDs
	seenNext  int
}

// NewTally returns a [Tally] that keeps up to maxPerKey messages per routing
// key and remembers the IDs of the last dedupWindow messages.
func NewTally(maxPerKey, dedupWindow int) *Tally {
	return &Tally{
		maxPerKey: maxPerKey,
		counts:    map[string]int{},
		kept:      map[string][]Message{},
		next:      map[string]int{},
		seen:      make(map[string]struct{}, dedupWindow),
		seenOrder: make([]string, dedupWindow),
	}
}

// Add records m and reports whether it was new (false for a duplicate ID).
// Messages without an ID are always new.
func (t *Tally) Add(m Message) bool {
	if m.ID != "" && len(t.seenOrder) > 0 {
		if _, dup := t.seen[m.ID]; dup {
			t.dups++
			return false
		}
		if old := t.seenOrder[t.seenNext]; old != "" {
			delete(t.seen, old)
		}
		t.seenOrder[t.seenNext] = m.ID
		t.seenNext = (t.seenNext + 1) % len(t.seenOrder)
		t.seen[m.ID] = struct{}{}
	}
	t.total++
	t.counts[m.RoutingKey]++
	if t.maxPerKey <= 0 {
		return true
	}
	ring := t.kept[m.RoutingKey]
	if len(ring) < t.maxPerKey {
		t.kept[m.RoutingKey] = append(ring, m)
		return true
	}
	i := t.next[m.RoutingKey]
	ring[i] = m
	t.next[m.RoutingKey] = (i + 1) % t.maxPerKey
	return true
}

// Total is the number of distinct messages recorded.
func (t *Tally) Total() int { return t.total }

// Duplicates is the number of messages dropped because their ID was seen.
func (t *Tally) Duplicates() int { return t.dups }

// Count returns the exact number of messages with routing key key.
func (t *Tally) Count(key string) int { return t.counts[key] }

// Topics returns every routing key with its count, the most frequent first
// and, among equals, in alphabetical order.
func (t *Tally) Topics() []TopicCount { return sortedCounts(t.counts) }

// sortedCounts lists counts most first, then by key.
func sortedCounts(counts map[string]int) []TopicCount {
	out := make([]TopicCount, 0, len(counts))
	for k, n := range counts {
		out = append(out, TopicCount{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].RoutingKey < out[j].RoutingKey
	})
	return out
}

// Messages returns the kept messages for key, oldest first. When more than
// the per-key limit arrived, these are the most recent ones.
func (t *Tally) Messages(key string) []Message {
	ring := t.kept[key]
	out := make([]Message, 0, len(ring))
	i := t.next[key]
	out = append(out, ring[i:]...)
	return append(out, ring[:i]...)
}
