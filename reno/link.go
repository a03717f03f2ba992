package reno

import "math"

// link is the bottleneck: a FIFO drop-tail queue served at a fixed rate.
// Because it is FIFO with a fixed rate, each packet's departure time is known
// when it arrives, so the queue is just the ring of departure times of the
// packets still in it.
type link struct {
	bw       float64
	buffer   int
	busy     int64   // when the last queued packet leaves
	ring     []int64 // departure times, FIFO
	head, n  int
	txCache  int64 // serialisation time of txSize bytes
	txSize   int64
	Departed int64
}

func newLink(c LinkConfig) link {
	return link{bw: c.Bandwidth, buffer: c.Buffer, ring: make([]int64, 64)}
}

func (l *link) txTime(size int64) int64 {
	if size != l.txSize {
		l.txSize = size
		l.txCache = int64(math.Round(float64(size) * 8e9 / l.bw))
	}
	return l.txCache
}

// admit queues a packet of size bytes arriving at now and returns when it
// leaves the link, or false when the buffer is full.
func (l *link) admit(now, size int64) (int64, bool) {
	for l.n > 0 && l.ring[l.head] <= now {
		l.head = (l.head + 1) & (len(l.ring) - 1)
		l.n--
	}
	if l.n > l.buffer { // one in service plus a full buffer
		return 0, false
	}
	start := max(now, l.busy)
	dep := start + l.txTime(size)
	l.busy = dep
	l.ring, l.head = ringPush(l.ring, l.head, l.n, dep)
	l.n++
	return dep, true
}
