package kvstore

import (
	"cmp"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Version orders the writes of one key: a hybrid logical clock timestamp
// (Wall, Logical) with the writing node's name as the final tie-breaker.
// Versions are totally ordered, and two writes from different nodes never
// share one, so every replica picks the same winner.
type Version struct {
	Wall    int64  // physical part: Unix nanoseconds, never behind any timestamp seen
	Logical uint32 // logical counter, ordering events within one Wall value
	Node    string // the node that wrote, for ties
}

// Compare returns -1, 0 or +1 as v is older than, the same as, or newer than w.
func (v Version) Compare(w Version) int {
	return cmp.Or(cmp.Compare(v.Wall, w.Wall), cmp.Compare(v.Logical, w.Logical), cmp.Compare(v.Node, w.Node))
}

// Time returns the physical part as a time.Time.
func (v Version) Time() time.Time { return time.Unix(0, v.Wall) }

// String formats v as wall.logical@node, for people.
func (v Version) String() string {
	return fmt.Sprintf("%s.%d@%s", v.Time().UTC().Format("15:04:05.000000000"), v.Logical, v.Node)
}

// ErrClockOffset is returned when a remote timestamp is further ahead of the
// local clock than [Config.MaxClockOffset] allows.
var ErrClockOffset = errors.New("kvstore: remote clock too far ahead")

// HLC is a hybrid logical clock (Kulkarni et al. 2014). Its timestamps stay
// close to physical time, never go backwards, and respect causality: a
// timestamp issued after observing another is greater than it. It is safe
// for concurrent use.
type HLC struct {
	mu        sync.Mutex
	now       func() time.Time
	maxOffset time.Duration
	wall      int64
	logical   uint32
}

// NewHLC returns a clock that reads physical time from now and rejects remote
// timestamps more than maxOffset ahead of it.
func NewHLC(now func() time.Time, maxOffset time.Duration) *HLC {
	return &HLC{now: now, maxOffset: maxOffset}
}

// Now issues a timestamp for a local event:
//
//	l' = l;  l = max(l', pt);  c = (l == l') ? c+1 : 0
func (h *HLC) Now() (wall int64, logical uint32) {
	pt := h.now().UnixNano()
	h.mu.Lock()
	defer h.mu.Unlock()
	if pt > h.wall {
		h.wall, h.logical = pt, 0
	} else {
		h.logical++
	}
	return h.wall, h.logical
}

// Observe merges a timestamp received from another node, so that later local
// timestamps are greater than it:
//
//	l' = l;  l = max(l', m.l, pt)
//	c  = l == l' == m.l ? max(c, m.c)+1 : l == l' ? c+1 : l == m.l ? m.c+1 : 0
//
// A timestamp more than the clock's maximum offset ahead of physical time is
// rejected with [ErrClockOffset] and does not move the clock, so one node with
// a fast clock cannot drag every other node's clock (and every later write)
// into the future.
func (h *HLC) Observe(wall int64, logical uint32) error {
	pt := h.now().UnixNano()
	if ahead := time.Duration(wall - pt); ahead > h.maxOffset {
		return fmt.Errorf("%w: %v ahead, the limit is %v", ErrClockOffset, ahead, h.maxOffset)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.wall
	h.wall = max(old, wall, pt)
	switch {
	case h.wall == old && h.wall == wall:
		h.logical = max(h.logical, logical) + 1
	case h.wall == old:
		h.logical++
	case h.wall == wall:
		h.logical = logical + 1
	default:
		h.logical = 0
	}
	return nil
}

// Last returns the latest timestamp the clock issued or observed.
func (h *HLC) Last() (wall int64, logical uint32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.wall, h.logical
}

// observeUnchecked moves the clock past a timestamp without the offset check:
// for versions this node stored itself before a restart.
func (h *HLC) observeUnchecked(wall int64, logical uint32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if wall > h.wall || (wall == h.wall && logical > h.logical) {
		h.wall, h.logical = wall, logical
	}
}
