package reno

// evKind is what a scheduled event does.
type evKind uint8

const (
	evData   evKind = iota // a data segment reaches its receiver
	evAck                  // an ACK reaches its sender
	evRTO                  // a sender's retransmission timer may expire
	evDelAck               // a receiver's delayed-ACK timer may expire
	evStart                // a flow starts sending
)

// event is one scheduled happening. Events are values in slices, so
// scheduling one allocates nothing once the slices have grown.
type event struct {
	at   int64  // simulated time, ns
	ord  uint64 // scheduling order: ties run first-scheduled first
	seq  int64  // data: first byte; ack: ack number; timers: generation
	flow int32
	size int32 // data: payload bytes
	pipe int32 // index+1 of the pipe this event heads, 0 for none
	kind evKind
}

// eventQueue is the simulator's agenda: a binary min-heap ordered by
// (at, ord), which makes the run deterministic.
//
// Most events are packets on a path with a fixed delay: data leaving a FIFO
// link, ACKs on a constant-delay return path. Such a path delivers in the
// order it was fed, so its events wait in a FIFO pipe and only the pipe's
// head sits in the heap. The heap then holds a handful of entries (one per
// busy pipe plus the timers) instead of every packet in flight, while the
// order of events is exactly what one big heap would give, since each pipe
// is sorted by (at, ord) already.
type eventQueue struct {
	h     []event
	pipes []pipe
	ord   uint64
}

// pipe is a FIFO ring of events whose times never decrease.
type pipe struct {
	ring    []event
	head, n int
}

// newPipe adds a pipe and returns its handle for pushPipe.
func (q *eventQueue) newPipe() int32 {
	q.pipes = append(q.pipes, pipe{ring: make([]event, 64)})
	return int32(len(q.pipes))
}

func (q *eventQueue) len() int { return len(q.h) }

// peek returns the time of the earliest event; the queue must not be empty.
func (q *eventQueue) peek() int64 { return q.h[0].at }

func less(a, b *event) bool {
	return a.at < b.at || (a.at == b.at && a.ord < b.ord)
}

// push schedules e directly in the heap.
func (q *eventQueue) push(e event) {
	q.ord++
	e.ord = q.ord
	e.pipe = 0
	q.heapPush(e)
}

// pushPipe schedules e at the tail of pipe p; e.at must be no earlier than
// the pipe's previous event.
func (q *eventQueue) pushPipe(p int32, e event) {
	q.ord++
	e.ord = q.ord
	e.pipe = p
	pp := &q.pipes[p-1]
	pp.ring, pp.head = ringPush(pp.ring, pp.head, pp.n, e)
	pp.n++
	if pp.n == 1 {
		q.heapPush(e)
	}
}

// pop removes and returns the earliest event; the queue must not be empty.
// When the event heads a pipe, the pipe's next event takes its place at the
// top of the heap and sinks once, instead of a pop and a push.
func (q *eventQueue) pop() event {
	top := q.h[0]
	if top.pipe != 0 {
		pp := &q.pipes[top.pipe-1]
		pp.head = (pp.head + 1) & (len(pp.ring) - 1)
		pp.n--
		if pp.n > 0 {
			q.siftDown(pp.ring[pp.head])
			return top
		}
	}
	q.heapPop()
	return top
}

// siftDown replaces the top of the heap with e and restores the order.
func (q *eventQueue) siftDown(e event) {
	h := q.h
	n := len(h)
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && less(&h[r], &h[c]) {
			c = r
		}
		if !less(&h[c], &e) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = e
}

func (q *eventQueue) heapPush(e event) {
	q.h = append(q.h, e)
	h := q.h
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(&e, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

func (q *eventQueue) heapPop() event {
	h := q.h
	top := h[0]
	n := len(h) - 1
	last := h[n]
	q.h = h[:n]
	if n > 0 {
		q.siftDown(last)
	}
	return top
}
