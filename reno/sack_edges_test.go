package reno

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// boardFlow is a sender with 1000-byte segments, 1..10000 sent, the
// scoreboard given and nothing resent.
func boardFlow(board ...span) *flow {
	f := &flow{sndUna: 1, sndNxt: 10001, sndMax: 10001, end: 20001, board: board}
	f.w.SMSS = 1000
	return f
}

// TestSACKBlocksEdges: a block that ends exactly where the triggering
// segment starts does not hold it (the triggering segment filled a hole
// below it); a block that starts there does; at most three blocks.
func TestSACKBlocksEdges(t *testing.T) {
	f := &flow{ooo: []span{{3001, 4001}, {5001, 6001}}, lastRcv: 4001}
	s := f.sackBlocks()
	assert.Equal(t, 2, s.n)
	assert.Equal(t, [maxSACKBlocks]span{{5001, 6001}, {3001, 4001}}, s.b)

	f = &flow{ooo: []span{{3001, 4001}, {5001, 6001}}, lastRcv: 3001}
	s = f.sackBlocks()
	assert.Equal(t, 2, s.n)
	assert.Equal(t, [maxSACKBlocks]span{{3001, 4001}, {5001, 6001}}, s.b)

	f = &flow{ooo: []span{{3001, 4001}, {5001, 6001}, {7001, 8001}}, lastRcv: 6001}
	s = f.sackBlocks()
	assert.Equal(t, 3, s.n)
	assert.Equal(t, [maxSACKBlocks]span{{7001, 8001}, {5001, 6001}, {3001, 4001}}, s.b)

	// A segment in no block (a copy of data below the cumulative ACK, or
	// past every block): the blocks from the highest down.
	for _, rcv := range []int64{1, 8001, 9001} {
		f = &flow{ooo: []span{{3001, 4001}, {5001, 6001}, {7001, 8001}}, lastRcv: rcv}
		assert.Equal(t, sackSet{n: 3, b: [maxSACKBlocks]span{{7001, 8001}, {5001, 6001}, {3001, 4001}}}, f.sackBlocks(), "segment %d", rcv)
	}

	f = &flow{ooo: []span{{1001, 2001}, {3001, 4001}, {5001, 6001}, {7001, 8001}}, lastRcv: 1001}
	s = f.sackBlocks()
	assert.Equal(t, 3, s.n)
	assert.Equal(t, [maxSACKBlocks]span{{1001, 2001}, {7001, 8001}, {5001, 6001}}, s.b)
}

// TestSACKQueueFIFO: options come out in the order they went in, across the
// ring's wraparound and its growth (64 slots, then 128).
func TestSACKQueueFIFO(t *testing.T) {
	f := &flow{}
	opt := func(i int) sackSet { return sackSet{n: 1, b: [maxSACKBlocks]span{{int64(i), int64(i + 1)}}} }
	next, want := 0, 0
	push := func(n int) {
		for ; n > 0; n-- {
			f.pushSACK(opt(next))
			next++
		}
	}
	pop := func(n int) {
		for ; n > 0; n-- {
			require.Equal(t, opt(want), f.popSACK(), "option %d", want)
			want++
		}
	}
	push(64)
	assert.Len(t, f.sackQ, 64)
	pop(40)
	push(40) // wraps around the 64 slots
	assert.Len(t, f.sackQ, 64)
	push(1) // 65 queued: grows
	assert.Len(t, f.sackQ, 128)
	pop(65)
	push(100)
	pop(100)
	assert.Zero(t, f.sackN)
}

// TestUpdateBoardEdges: a block is cut at the cumulative ACK; a block that
// ends at it, or below, is forgotten; one above it is kept whole.
func TestUpdateBoardEdges(t *testing.T) {
	f := boardFlow()
	f.updateBoard(2001, sackSet{n: 3, b: [3]span{{1001, 3001}, {1, 2001}, {4001, 5001}}})
	assert.Equal(t, []span{{2001, 3001}, {4001, 5001}}, f.board)
	f.updateBoard(3001, sackSet{})
	assert.Equal(t, []span{{4001, 5001}}, f.board)
	f.updateBoard(3001, sackSet{n: 1, b: [3]span{{3001, 4001}}})
	assert.Equal(t, []span{{3001, 5001}}, f.board)
	f.updateBoard(4001, sackSet{})
	assert.Equal(t, []span{{4001, 5001}}, f.board)
	f.updateBoard(6001, sackSet{n: 1, b: [3]span{{7001, 8001}}})
	assert.Equal(t, []span{{7001, 8001}}, f.board)
	f.updateBoard(8001, sackSet{})
	assert.Empty(t, f.board)
}

// TestSackedInAndHole: SACKed bytes in a range that cuts blocks at both
// ends; the hole after a point inside a block, at its start and in a gap,
// cut at SMSS, at the next block, and at the end of the data.
func TestSackedInAndHole(t *testing.T) {
	f := boardFlow(span{2001, 3001}, span{4001, 6001}, span{8501, 9001})
	for _, tc := range []struct{ a, b, n int64 }{
		{1, 2001, 0}, {1, 2002, 1}, {2501, 4501, 1000}, {3001, 4001, 0}, {5001, 7001, 1000},
		{1, 10001, 3500}, {2000, 3002, 1000}, {6001, 8501, 0}, {4001, 4002, 1},
	} {
		assert.Equal(t, tc.n, f.sackedIn(tc.a, tc.b), "[%d, %d)", tc.a, tc.b)
	}
	for _, tc := range []struct{ seq, hole, size int64 }{
		{1, 1, 1000}, {1001, 1001, 1000}, {1501, 1501, 500}, {2001, 3001, 1000},
		{2500, 3001, 1000}, {3001, 3001, 1000}, {6001, 6001, 1000}, {7001, 7001, 1000},
		{7501, 7501, 1000}, {8001, 8001, 500}, {8501, 9001, 1000}, {9001, 9001, 1000}, {9500, 9500, 1000},
	} {
		hole, size := f.hole(tc.seq)
		assert.Equal(t, tc.hole, hole, "hole after %d", tc.seq)
		assert.Equal(t, tc.size, size, "size after %d", tc.seq)
	}
	f.end = 9501
	hole, size := f.hole(8600)
	assert.EqualValues(t, 9001, hole)
	assert.EqualValues(t, 500, size, "the data ends at 9501")
}

// TestSetPipeByHand: RFC 6675 SetPipe on the scoreboard of
// TestScoreboardRFC6675 at every HighRxt from nothing resent to all of it.
func TestSetPipeByHand(t *testing.T) {
	f := boardFlow(span{2001, 3001}, span{4001, 6001}, span{8001, 9001})
	// Lost: 1..2000 and 3001..4000 (below L = 4001); not lost and not
	// SACKed: 6001..8000 and 9001..10000 = 3000 bytes.
	for highRxt, pipe := range map[int64]int64{
		0: 3000, 1: 3000, 1001: 4000, 2001: 5000, 2501: 5000, 3001: 5000,
		3501: 5500, 4001: 6000, 7001: 7000, 10001: 9000, 20001: 9000,
	} {
		f.highRxt = highRxt
		assert.Equal(t, pipe, f.setPipe(), "HighRxt %d", highRxt)
	}
	// Once the cumulative ACK has passed segment 1, only what was resent
	// above SND.UNA counts again: HighRxt at SND.UNA adds nothing, one
	// segment above it adds that segment.
	f = boardFlow(span{2001, 3001}, span{4001, 6001}, span{8001, 9001})
	f.sndUna = 1001
	f.highRxt = 1001
	assert.EqualValues(t, 3000, f.setPipe())
	f.highRxt = 2001
	assert.EqualValues(t, 4000, f.setPipe())
	f.highRxt = 3001
	assert.EqualValues(t, 4000, f.setPipe(), "2001..3000 is SACKed")
}

// TestNextSegEdges: NextSeg's rules at their edges. Rule 1 takes only
// holes below L, and when nothing is lost L is SND.UNA itself, so the
// first hole is not taken by rule 1; new data goes out when the SACKed data
// ends exactly at SND.NXT (rule 2); with no new data left, the first hole
// below the highest SACKed byte (rule 3); nothing when every hole up to it
// has been resent.
func TestNextSegEdges(t *testing.T) {
	// Blocks 3001..4000 and 5001..7000: 3000 bytes SACKed above 3001, so
	// L = 3001: the holes 1, 1001 and 2001 are lost, 4001 is not.
	f := boardFlow(span{3001, 4001}, span{5001, 7001})
	f.sndNxt, f.sndMax = 7001, 7001
	f.highRxt = 2001
	seq, size, ok := f.nextSeg()
	require.True(t, ok)
	assert.EqualValues(t, 2001, seq, "rule 1: the last hole below L")
	assert.EqualValues(t, 1000, size)
	f.highRxt = 3001
	seq, size, ok = f.nextSeg()
	require.True(t, ok)
	assert.EqualValues(t, 7001, seq, "rule 2: SND.NXT equals the highest SACKed byte")
	assert.EqualValues(t, 1000, size)
	f.end = 7501
	seq, size, _ = f.nextSeg()
	assert.EqualValues(t, 7001, seq)
	assert.EqualValues(t, 500, size, "the last, short segment")
	f.end = 7001
	seq, size, _ = f.nextSeg()
	assert.EqualValues(t, 4001, seq, "rule 3: the hole not deemed lost")
	assert.EqualValues(t, 1000, size)
	f.highRxt = 5001
	_, _, ok = f.nextSeg()
	assert.False(t, ok, "no hole below 7001 left to resend and no new data")

	// One block, 1000 bytes: nothing is lost, L = SND.UNA = 1, the first
	// hole; new data goes first.
	e := boardFlow(span{2001, 3001})
	e.sndNxt, e.sndMax = 3001, 3001
	l, _ := e.lostBelow()
	require.EqualValues(t, 1, l)
	seq, _, _ = e.nextSeg()
	assert.EqualValues(t, 3001, seq, "rule 2, not rule 1: hole 1 is at L, not below it")

	// L = 7001 with blocks 7001..9000 and 9001..10000 (3000 above): the
	// hole at 6001 is not lost; SND.NXT is past the highest SACKed byte.
	g := boardFlow(span{7001, 10001})
	g.sndNxt, g.sndMax = 12001, 12001
	g.highRxt = 6001
	seq, _, _ = g.nextSeg()
	assert.EqualValues(t, 6001, seq, "rule 1: 6001 is below L = 7001")
	g.highRxt = 7001
	seq, _, _ = g.nextSeg()
	assert.EqualValues(t, 12001, seq, "rule 2")
	g.end = 12001
	_, _, ok = g.nextSeg()
	assert.False(t, ok)

	// No scoreboard: new data while there is any.
	h := boardFlow()
	seq, size, ok = h.nextSeg()
	assert.True(t, ok)
	assert.EqualValues(t, 10001, seq)
	assert.EqualValues(t, 1000, size)
	h.end = 10500
	_, size, _ = h.nextSeg()
	assert.EqualValues(t, 499, size)
	h.end = 10001
	_, _, ok = h.nextSeg()
	assert.False(t, ok)
}
