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

// event is one scheduled happening. Events are values in the heap's slice,
// so scheduling one allocates nothing once the slice has grown.
type event struct {
	at   int64  // simulated time, ns
	ord  uint64 // scheduling order: ties run first-scheduled first
	seq  int64  // data: first byte; ack: ack number; timers: generation
	flow int32
	size int32 // data: payload bytes
	kind evKind
}

// eventQueue is a binary min-heap of events ordered by (at, ord), which makes
// the simulation deterministic.
type eventQueue struct {
	h   []event
	ord uint64
}

func (q *eventQueue) len() int { return len(q.h) }

func less(a, b *event) bool {
	return a.at < b.at || (a.at == b.at && a.ord < b.ord)
}

// push schedules e; e.ord is assigned here.
func (q *eventQueue) push(e event) {
	q.ord++
	e.ord = q.ord
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

// pop removes and returns the earliest event; the queue must not be empty.
func (q *eventQueue) pop() event {
	h := q.h
	top := h[0]
	n := len(h) - 1
	last := h[n]
	q.h = h[:n]
	if n == 0 {
		return top
	}
	h = h[:n]
	i := 0
	for {
		c := 2*i + 1
		if c >= n {
			break
		}
		if r := c + 1; r < n && less(&h[r], &h[c]) {
			c = r
		}
		if !less(&h[c], &last) {
			break
		}
		h[i] = h[c]
		i = c
	}
	h[i] = last
	return top
}
