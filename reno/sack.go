package reno

// SACK loss recovery: RFC 2018 SACK blocks on the receiver's ACKs, RFC 6675's
// scoreboard and pipe on the sender.

// maxSACKBlocks is how many blocks fit in an ACK beside the timestamp option
// (RFC 2018 section 3).
const maxSACKBlocks = 3

// dupThresh is RFC 6675's DupThresh.
const dupThresh = 3

// sackSet is the SACK option of one ACK.
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
	first := -1
	for i, sp := range f.ooo {
		if sp.start <= f.lastRcv && f.lastRcv < sp.end {
			first = i
			s.b[0], s.n = sp, 1
			break
		}
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
// the order they were sent, so a FIFO pairs them.
func (f *flow) pushSACK(s sackSet) {
	if f.sackHead > 0 && f.sackHead == len(f.sackQ) {
		f.sackQ, f.sackHead = f.sackQ[:0], 0
	}
	f.sackQ = append(f.sackQ, s)
}

func (f *flow) popSACK() sackSet {
	s := f.sackQ[f.sackHead]
	f.sackHead++
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

// segScan walks the segments from 'from' to sndMax and calls fn with each
// segment, whether the scoreboard has it, and whether RFC 6675's IsLost holds
// for it (more than (DupThresh-1)*SMSS bytes SACKed above it). fn returns
// false to stop.
func (f *flow) segScan(from int64, fn func(seq, size int64, sacked, lost bool) bool) {
	var total int64
	for _, sp := range f.board {
		total += sp.end - sp.start
	}
	smss := int64(f.w.SMSS)
	i := 0
	var below int64 // SACKed bytes wholly below seq
	for seq := from; seq < f.sndMax; {
		size := min(smss, f.end-seq)
		for i < len(f.board) && f.board[i].end <= seq {
			below += f.board[i].end - f.board[i].start
			i++
		}
		if i < len(f.board) && f.board[i].start <= seq {
			// SACKed: skip to the end of the block.
			if !fn(seq, min(size, f.board[i].end-seq), true, false) {
				return
			}
			seq = f.board[i].end
			continue
		}
		if i < len(f.board) && f.board[i].start < seq+size {
			size = f.board[i].start - seq // a segment cut by a block
		}
		lost := total-below > (dupThresh-1)*smss
		if !fn(seq, size, false, lost) {
			return
		}
		seq += size
	}
}

// setPipe is RFC 6675's SetPipe: the sender's estimate of the bytes in the
// network.
func (f *flow) setPipe() int64 {
	var pipe int64
	f.segScan(f.sndUna, func(seq, size int64, sacked, lost bool) bool {
		if sacked {
			return true
		}
		if !lost {
			pipe += size
		}
		if seq < f.highRxt {
			pipe += size
		}
		return true
	})
	return pipe
}

// nextSeg is RFC 6675's NextSeg (rules 1 to 3; no rescue retransmission):
// the first lost hole not yet retransmitted, else new data, else the first
// hole below the highest SACKed byte not yet retransmitted. ok is false when
// there is nothing to send.
func (f *flow) nextSeg() (seq, size int64, ok bool) {
	if len(f.board) == 0 {
		if f.sndNxt < f.end {
			return f.sndNxt, min(int64(f.w.SMSS), f.end-f.sndNxt), true
		}
		return 0, 0, false
	}
	highACK := f.board[len(f.board)-1].end
	from := max(f.sndUna, f.highRxt)
	var s3, s3size int64
	f.segScan(from, func(q, n int64, sacked, lost bool) bool {
		if q >= highACK {
			return false
		}
		if sacked {
			return true
		}
		if lost { // rule 1
			seq, size, ok = q, n, true
			return false
		}
		if s3 == 0 {
			s3, s3size = q, n
		}
		return true
	})
	if ok {
		return seq, size, true
	}
	if f.sndNxt < f.end && f.sndNxt >= highACK { // rule 2
		return f.sndNxt, min(int64(f.w.SMSS), f.end-f.sndNxt), true
	}
	if s3 != 0 { // rule 3
		return s3, s3size, true
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
