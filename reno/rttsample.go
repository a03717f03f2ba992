package reno

// A flow's RTT samples (Karn's rule: none from a segment sent twice) and
// the spans of sequence space it has sent, kept sorted and merged.

import (
	"sort"
	"time"
)

// stampSend records when the segment at seq was sent, or that it has been
// sent more than once (Karn: its ACK gives no RTT sample).
func (f *flow) stampSend(seq, now int64) {
	smss := int64(f.w.SMSS)
	n := (seq - 1) / smss
	need := (f.sndMax-1)/smss - (f.sndUna-1)/smss + 2
	if int64(len(f.sentAt)) < need {
		size := 64
		for int64(size) < 2*need {
			size *= 2
		}
		grown := make([]int64, size)
		for i := range grown {
			grown[i] = -1
		}
		if len(f.sentAt) > 0 {
			for k := (f.sndUna - 1) / smss; k*smss+1 < f.sndMax; k++ {
				grown[k&int64(size-1)] = f.sentAt[k&int64(len(f.sentAt)-1)]
			}
		}
		f.sentAt = grown
	}
	i := n & int64(len(f.sentAt)-1)
	if seq < f.sndMax {
		f.sentAt[i] = -1
	} else {
		f.sentAt[i] = now
	}
}

// ackSample is the RTT of the newest segment a new ACK covers, 0 if that
// segment was sent more than once.
func (f *flow) ackSample(ack, now int64) time.Duration {
	if len(f.sentAt) == 0 {
		return 0
	}
	n := (ack - 2) / int64(f.w.SMSS)
	if at := f.sentAt[n&int64(len(f.sentAt)-1)]; at >= 0 {
		return time.Duration(now - at)
	}
	return 0
}

// insertSpan adds sp to a sorted list of disjoint spans, merging overlaps.
func insertSpan(list []span, sp span) []span {
	if n := len(list); n > 0 { // fast path: data usually arrives in order after a hole
		switch last := &list[n-1]; {
		case last.end == sp.start:
			last.end = sp.end
			return list
		case last.end < sp.start:
			return append(list, sp)
		}
	}
	i := sort.Search(len(list), func(k int) bool { return list[k].end >= sp.start })
	j := i
	for j < len(list) && list[j].start <= sp.end {
		sp.start = min(sp.start, list[j].start)
		sp.end = max(sp.end, list[j].end)
		j++
	}
	if i == j {
		list = append(list, span{})
		copy(list[i+1:], list[i:])
		list[i] = sp
		return list
	}
	list[i] = sp
	return append(list[:i+1], list[j:]...)
}
