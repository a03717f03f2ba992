package reno

import "sort"

// SACK loss recovery: RFC 2018 SACK blocks on the receiver's ACKs, RFC 6675's
// scoreboard and pipe on the sender.

// maxSACKBlocks is how many blocks fit in an ACK beside the timestamp option
// (RFC 2018 section 3).
const maxSACKBlocks = 3

// dupThresh is RFC 6675's DupThresh.
const dupThresh = 3

// sackSet is the [SACK] option of one ACK.
type sackSet struct {
	n int
	b [maxSACKBlocks]span
}

// sackBlocks builds the receiver's SACK option (RFC 2018 section 4): the
// first block holds the segment that triggered this ACK, the others repeat
// the highest remaining out-of-order blocks, which in a bulk transfer are the
// most recently reported.
func (f *flow) sackBlocks() sackSet {
	var s sackSet
	if len(f.ooo) == 0 {
		return s
	}
	first := sort.Search(len(f.ooo), func(i int) bool { return f.ooo[i].end > f.lastRcv })
	if first < len(f.ooo) && f.ooo[first].start <= f.lastRcv {
		s.b[0], s.n = f.ooo[first], 1
	} else {
		first = -1
	}
	for i := len(f.ooo) - 1; i >= 0 && s.n < maxSACKBlocks; i-- {
		if i != first {
			s.b[s.n] = f.ooo[i]
			s.n++
		}
	}
	return s
}

// pushSACK queues the option of an ACK just sent; ACKs of a flow arrive in
// the order they were sent, so a FIFO ring pairs them.
func (f *flow) pushSACK(s sackSet) {
	if f.sackN == len(f.sackQ) {
		grown := make([]sackSet, max(64, 2*len(f.sackQ)))
		for i := 0; i < f.sackN; i++ {
			grown[i] = f.sackQ[(f.sackHead+i)&(len(f.sackQ)-1)]
		}
		f.sackQ, f.sackHead = grown, 0
	}
	f.sackQ[(f.sackHead+f.sackN)&(len(f.sackQ)-1)] = s
	f.sackN++
}

func (f *flow) popSACK() sackSet {
	s := f.sackQ[f.sackHead]
	f.sackHead = (f.sackHead + 1) & (len(f.sackQ) - 1)
	f.sackN--
	return s
}

// updateBoard merges an ACK's blocks into the scoreboard and forgets what
// the cumulative ACK covers.
func (f *flow) updateBoard(ack int64, s sackSet) {
	for i := 0; i < s.n; i++ {
		if sp := s.b[i]; sp.end > ack {
			f.board = insertSpan(f.board, span{max(sp.start, ack), sp.end})
		}
	}
	n := 0
	for n < len(f.board) && f.board[n].end <= ack {
		n++
	}
	if n > 0 {
		f.board = f.board[:copy(f.board, f.board[n:])]
	}
	if len(f.board) > 0 && f.board[0].start < ack {
		f.board[0].start = ack
	}
}

// lostBelow returns L: a hole below L is lost by RFC 6675's IsLost (more than
// (DupThresh-1)*SMSS bytes SACKed above it), a hole above it is not. The
// SACKed bytes above a point only fall as the point rises, so L is the start
// of the highest block that takes the sum above the threshold.
// It also returns the SACKed bytes at or above L.
func (f *flow) lostBelow() (int64, int64) {
	var above int64
	for j := len(f.board) - 1; j >= 0; j-- {
		above += f.board[j].end - f.board[j].start
		if above > (dupThresh-1)*int64(f.w.SMSS) {
			return f.board[j].start, above
		}
	}
	return f.sndUna, above
}

// sackedIn returns the SACKed bytes in [a, b).
func (f *flow) sackedIn(a, b int64) int64 {
	var n int64
	for i := f.blockAt(a); i < len(f.board) && f.board[i].start < b; i++ {
		n += max(0, min(b, f.board[i].end)-max(a, f.board[i].start))
	}
	return n
}

// blockAt returns the index of the first block that ends after seq.
func (f *flow) blockAt(seq int64) int {
	return sort.Search(len(f.board), func(i int) bool { return f.board[i].end > seq })
}

// setPipe is RFC 6675's SetPipe, the sender's estimate of the bytes in the
// network: every byte not SACKed and not lost, plus every byte not SACKed
// that has been retransmitted (at or below HighRxt).
func (f *flow) setPipe() int64 {
	l, above := f.lostBelow()
	notLost := (f.sndMax - l) - above
	var resent int64
	if h := min(f.highRxt, f.sndMax); h > f.sndUna {
		resent = (h - f.sndUna) - f.sackedIn(f.sndUna, h)
	}
	return notLost + resent
}

// hole returns the first byte at or after seq that is not SACKed, and the
// size of the segment starting there (up to SMSS, the next block or the end).
func (f *flow) hole(seq int64) (int64, int64) {
	i := f.blockAt(seq)
	if i < len(f.board) && f.board[i].start <= seq {
		seq = f.board[i].end
		i++
	}
	size := min(int64(f.w.SMSS), f.end-seq)
	if i < len(f.board) {
		size = min(size, f.board[i].start-seq)
	}
	return seq, size
}

// nextSeg is RFC 6675's NextSeg (rules 1 to 3; no rescue retransmission):
// the first lost hole not yet retransmitted, else new data, else the first
// hole below the highest SACKed byte not yet retransmitted. ok is false when
// there is nothing to send.
func (f *flow) nextSeg() (seq, size int64, ok bool) {
	highACK := f.sndUna
	if len(f.board) > 0 {
		highACK = f.board[len(f.board)-1].end
	}
	if len(f.board) > 0 {
		q, n := f.hole(max(f.sndUna, f.highRxt))
		if l, _ := f.lostBelow(); q < highACK && q < l { // rule 1
			return q, n, true
		}
		if f.sndNxt < f.end && f.sndNxt >= highACK { // rule 2
			return f.sndNxt, min(int64(f.w.SMSS), f.end-f.sndNxt), true
		}
		if q < highACK { // rule 3
			return q, n, true
		}
		return 0, 0, false
	}
	if f.sndNxt < f.end {
		return f.sndNxt, min(int64(f.w.SMSS), f.end-f.sndNxt), true
	}
	return 0, 0, false
}

// sackSend sends while cwnd - pipe >= 1 SMSS (RFC 6675 section 5, step 4.3
// and the ACK processing after it).
func (s *Sim) sackSend(f *flow) {
	pipe := f.setPipe()
	for int64(f.w.Cwnd)-pipe >= int64(f.w.SMSS) {
		seq, size, ok := f.nextSeg()
		if !ok {
			return
		}
		s.transmit(f, seq, size)
		if seq >= f.sndNxt {
			f.sndNxt = seq + size
			if f.sndNxt > f.sndMax {
				f.sndMax = f.sndNxt
			}
		} else {
			f.highRxt = max(f.highRxt, seq+size)
		}
		// New data enters the pipe; a lost hole re-enters it as
		// retransmitted; a hole not yet deemed lost was in it already and
		// now counts again, as at or below HighRxt.
		pipe += size
	}
}
