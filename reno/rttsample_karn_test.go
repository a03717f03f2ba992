package reno

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sender drives a flow's send stamps the way the simulator does: stampSend
// before sndMax moves past a new segment.
type sender struct {
	f   *flow
	mss int64
}

func newSender(mss int) *sender {
	f := &flow{sndUna: 1, sndMax: 1}
	f.w.SMSS = mss
	return &sender{f: f, mss: int64(mss)}
}

// send stamps segment k (first byte k*mss+1) at time now.
func (s *sender) send(k, now int64) {
	seq := k*s.mss + 1
	s.f.stampSend(seq, now)
	s.f.sndMax = max(s.f.sndMax, seq+s.mss)
}

// ack is the RTT sample of the cumulative ACK just past segment k.
func (s *sender) ack(k, now int64) time.Duration {
	d := s.f.ackSample((k+1)*s.mss+1, now)
	s.f.sndUna = (k+1)*s.mss + 1
	return d
}

// TestRTTSampleKarn: the sample of an ACK is the time since the newest
// segment it covers was sent, 0 when that segment was sent twice (Karn's
// rule), at any segment size, a send at time 0 included.
func TestRTTSampleKarn(t *testing.T) {
	assert.Zero(t, (&flow{}).ackSample(1001, 5), "nothing sent")
	for _, mss := range []int{1, 2, 3, 1000} {
		t.Run(fmt.Sprint(mss), func(t *testing.T) {
			s := newSender(mss)
			s.send(0, 0)
			s.send(1, 20)
			s.send(2, 30)
			assert.Equal(t, time.Duration(100), s.ack(0, 100), "sent at time 0")
			s.send(1, 140) // a retransmission
			assert.Zero(t, s.ack(1, 200), "Karn: segment 1 was sent twice")
			assert.Equal(t, time.Duration(170), s.ack(2, 200))
			// A cumulative ACK of several segments samples the newest.
			s.send(3, 210)
			s.send(4, 220)
			s.send(5, 230)
			assert.Equal(t, time.Duration(70), s.ack(5, 300))
			// A partial last segment: the ACK is short of the segment's end.
			s.send(6, 310)
			seq := 6*s.mss + 1
			assert.Equal(t, time.Duration(90), s.f.ackSample(seq+max(1, s.mss/2), 400))
		})
	}
}

// TestRTTSampleRingGrows: with hundreds of segments outstanding, and the
// ring's contents wrapped around when it grows, every segment keeps its own
// stamp, and a resent one keeps its mark.
func TestRTTSampleRingGrows(t *testing.T) {
	for _, mss := range []int{1, 1000} {
		s := newSender(mss)
		stamp := func(k int64) int64 { return 1000 + 7*k }
		// 60 segments, the first 50 acknowledged, then 300 more outstanding:
		// the 64-slot ring wraps, then grows twice.
		for k := int64(0); k < 60; k++ {
			s.send(k, stamp(k))
		}
		require.Equal(t, time.Duration(5000-stamp(49)), s.ack(49, 5000))
		s.send(55, 5001) // resent: no sample
		for k := int64(60); k < 360; k++ {
			s.send(k, stamp(k))
		}
		assert.GreaterOrEqual(t, len(s.f.sentAt), 2*(360-50), "mss %d", mss)
		for k := int64(50); k < 360; k++ {
			want := time.Duration(9000 - stamp(k))
			if k == 55 {
				want = 0
			}
			if got := s.f.ackSample((k+1)*s.mss+1, 9000); got != want {
				t.Fatalf("mss %d: segment %d: sample %v, want %v", mss, k, got, want)
			}
		}
	}
}

// TestInsertSpanEdges: spans that touch merge (on the fast path at the end
// and in the middle); a span that only fills a gap stays separate; one that
// covers several merges them all; one inside another changes nothing.
func TestInsertSpanEdges(t *testing.T) {
	for _, tc := range []struct {
		list []span
		sp   span
		want []span
	}{
		{nil, span{5, 9}, []span{{5, 9}}},
		{[]span{{0, 5}}, span{5, 9}, []span{{0, 9}}},
		{[]span{{0, 5}}, span{6, 9}, []span{{0, 5}, {6, 9}}},
		{[]span{{0, 5}}, span{4, 9}, []span{{0, 9}}},
		{[]span{{0, 5}, {20, 30}}, span{10, 15}, []span{{0, 5}, {10, 15}, {20, 30}}},
		{[]span{{0, 5}, {20, 30}}, span{5, 10}, []span{{0, 10}, {20, 30}}},
		{[]span{{0, 5}, {20, 30}}, span{10, 20}, []span{{0, 5}, {10, 30}}},
		{[]span{{0, 5}, {20, 30}}, span{5, 20}, []span{{0, 30}}},
		{[]span{{10, 15}, {20, 30}}, span{0, 5}, []span{{0, 5}, {10, 15}, {20, 30}}},
		{[]span{{10, 15}, {20, 30}}, span{0, 10}, []span{{0, 15}, {20, 30}}},
		{[]span{{10, 15}, {20, 30}, {40, 50}}, span{12, 45}, []span{{10, 50}}},
		{[]span{{10, 15}, {20, 30}, {40, 50}}, span{22, 25}, []span{{10, 15}, {20, 30}, {40, 50}}},
		{[]span{{10, 15}, {20, 30}, {40, 50}}, span{16, 19}, []span{{10, 15}, {16, 19}, {20, 30}, {40, 50}}},
		{[]span{{10, 15}, {20, 30}, {40, 50}}, span{0, 60}, []span{{0, 60}}},
		{[]span{{10, 15}, {20, 30}, {40, 50}}, span{15, 40}, []span{{10, 50}}},
	} {
		list := append([]span(nil), tc.list...)
		assert.Equal(t, tc.want, insertSpan(list, tc.sp), "%v + %v", tc.list, tc.sp)
	}
}

// TestRTTSampleRingStaysSmall: the ring holds the stamps of the segments in
// flight, so a long transfer with a small window keeps the smallest ring
// (64 slots) however far it gets.
func TestRTTSampleRingStaysSmall(t *testing.T) {
	s := newSender(1000)
	for k := int64(0); k < 20_000; k++ {
		s.send(k, k)
		if k >= 10 {
			require.Equal(t, time.Duration(10), s.ack(k-10, k))
		}
	}
	assert.Len(t, s.f.sentAt, 64)
}
