package reno

// ringPush stores v at the tail of a FIFO ring: buf has a power-of-two
// length and holds n values from index head on, wrapping. A full ring is
// doubled first, its values moved to the front. It returns the ring's
// (possibly new) array and head; the caller counts the value (n+1).
// The event queue's pipes and the bottleneck link's departure times are
// both such rings.
func ringPush[T any](buf []T, head, n int, v T) ([]T, int) {
	if n == len(buf) {
		buf, head = ringGrow(buf, head)
	}
	buf[(head+n)&(len(buf)-1)] = v
	return buf, head
}

// ringGrow returns a full ring's values, oldest first, in an array twice
// its size, and head 0. Kept out of ringPush so that ringPush inlines.
func ringGrow[T any](buf []T, head int) ([]T, int) {
	grown := make([]T, 2*len(buf))
	for i := range buf {
		grown[i] = buf[(head+i)&(len(buf)-1)]
	}
	return grown, 0
}
