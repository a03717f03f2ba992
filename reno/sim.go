package reno

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"time"
)

// Sim is one discrete-event simulation: flows, a bottleneck link and
// receivers, all single-threaded and deterministic under [Config.Seed]. Make it
// with [New] and run it once with Run.
type Sim struct {
	cfg     Config
	q       eventQueue
	rng     *rand.Rand
	now     int64
	link    link
	flows   []flow
	stream  *csvStream
	trace   []Record
	tracing bool
	ran     bool

	linkPackets int64 // data packets offered to the link (for periodic loss)
	events      int64
	acks        int64
	finished    int   // flows with all their data acknowledged
	dataPipe    int32 // the link's deliveries to the receivers, in order
}

// flow is one sender and its receiver.
type flow struct {
	idx     int
	cfg     FlowConfig
	cc      CongestionControl
	w       Window
	delay   int64 // ACK path delay, ns
	ackPipe int32 // this flow's ACKs in flight, in order

	// Sender. Sequence numbers are bytes; the first data byte is 1.
	sndUna, sndNxt, sndMax int64
	end                    int64 // one past the last byte to send
	started, done          bool
	timing                 bool // an RTT measurement is running (Karn: never on a resent segment)
	timedEnd, timedAt      int64
	est                    rtoEstimator
	rtoOn                  bool  // the retransmission timer runs, due at rtoAt
	rtoAt                  int64 // deadline
	rtoGen                 int64 // generation of the one live timer event
	rtoQueued              bool  // a live timer event is in the queue, at rtoQueuedAt
	rtoQueuedAt            int64
	timerResends           int           // times the timer has resent the segment at sndUna
	ltBytes                int64         // sent by limited transmit since the last new ACK (RFC 3042)
	sentAt                 []int64       // send time per segment number (ring), -1 once resent: per-ACK RTT samples
	copies                 map[int64]int // transmissions per segment, only when drops are scripted
	drops                  map[int64]int // scripted drops: segment -> bit set of copies

	// [SACK] (RFC 2018, RFC 6675), when [FlowConfig.SACK] is set.
	sack          bool
	sackQ         []sackSet // ring: options of the ACKs in flight, in order
	sackHead      int
	sackN         int
	board         []span // the sender's scoreboard: SACKed data above sndUna
	highRxt       int64  // one past the highest byte retransmitted in this recovery
	sackRecovery  bool   // in RFC 6675 loss recovery
	recoveryPoint int64  // RecoveryPoint: highest byte sent when it began
	rtoPoint      int64  // HighData at the last timeout: no SACK recovery until an ACK passes it

	// Receiver.
	lastRcv    int64 // first byte of the last segment that arrived
	rcvNxt     int64
	ooo        []span // out-of-order data, sorted, disjoint
	delPending int    // in-order segments not yet acknowledged (delayed ACK)
	delGen     int64

	st FlowStats
}

type span struct{ start, end int64 }

// New validates cfg and returns a simulation ready to Run. A zero field of
// cfg means its value in [DefaultConfig] (see [Config.Validate]), so
// New(Config{}) simulates one [Reno] flow over the default link.
func New(cfg Config) (*Sim, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Sim{
		cfg:  cfg,
		rng:  rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		link: newLink(cfg.Link),
	}
	s.tracing = cfg.OnEvent != nil || cfg.TraceCSV != nil || cfg.KeepTrace
	if cfg.TraceCSV != nil {
		s.stream = newCSVStream(cfg.TraceCSV)
	}
	s.dataPipe = s.q.newPipe()
	s.flows = make([]flow, len(cfg.Flows))
	for i, fc := range cfg.Flows {
		cc := fc.Control
		if cc == nil {
			var err error
			if cc, err = NewCongestionControl(fc.Variant); err != nil {
				return nil, err
			}
		}
		end := int64(math.MaxInt64)
		if fc.Bytes > 0 {
			end = 1 + fc.Bytes
		}
		w := NewWindow(fc.MSS, fc.InitialWindow, fc.InitialSsthresh)
		w.ByteCounting = fc.ByteCounting
		w.WholeSegments = fc.WholeSegments
		s.flows[i] = flow{
			idx: i, cfg: fc, cc: cc,
			w:      w,
			delay:  int64(cfg.Link.Delay + fc.ExtraDelay),
			sndUna: 1, sndNxt: 1, sndMax: 1, rcvNxt: 1, end: end,
			est: newRTOEstimator(cfg.RTO), ackPipe: s.q.newPipe(),
			st:   FlowStats{Flow: i, Variant: cc.Name()},
			sack: fc.SACK || fc.Variant == VariantSACK && fc.Control == nil,
		}
		if s.flows[i].sack && cc.Name() != string(VariantSACK) {
			s.flows[i].st.Variant += "+sack"
		}
	}
	for _, d := range cfg.Link.Drops {
		f := &s.flows[d.Flow]
		if f.drops == nil {
			f.drops = map[int64]int{}
			f.copies = map[int64]int{}
		}
		f.drops[d.Seq] |= 1 << d.Copy
	}
	return s, nil
}

// Run simulates until [Config.Duration] of simulated time has passed, every
// finite flow has finished, or ctx ends, and returns the summary (and the
// trace when [Config.KeepTrace] is set). When ctx ends first it returns the
// summary of the simulated time covered so far together with ctx's error.
func (s *Sim) Run(ctx context.Context) (*Result, error) {
	if s.ran {
		return nil, errors.New("reno: Run called twice on one Sim")
	}
	s.ran = true
	for i := range s.flows {
		s.q.push(event{at: int64(s.flows[i].cfg.Start), kind: evStart, flow: int32(i)})
	}
	limit := int64(s.cfg.Duration)
	end := limit
	for s.q.len() > 0 {
		if s.q.peek() > limit {
			break
		}
		e := s.q.pop()
		s.now = e.at
		s.events++
		if s.events&0xffff == 0 {
			if s.cfg.Progress != nil {
				s.cfg.Progress(time.Duration(s.now))
			}
			if err := ctx.Err(); err != nil {
				if s.stream != nil {
					_ = s.stream.flush()
				}
				return s.result(time.Duration(s.now)), err
			}
		}
		s.dispatch(e)
		if s.q.len() == 0 || s.finished == len(s.flows) {
			end = s.now
			break
		}
	}
	if s.stream != nil {
		if err := s.stream.flush(); err != nil {
			return nil, err
		}
	}
	if s.cfg.Logger != nil {
		s.cfg.Logger.Debug("reno: run finished", "events", s.events, "simulated", time.Duration(end))
	}
	return s.result(time.Duration(end)), nil
}

func (s *Sim) dispatch(e event) {
	f := &s.flows[e.flow]
	switch e.kind {
	case evData:
		s.onData(f, e.seq, int64(e.size))
	case evAck:
		s.onAck(f, e.seq)
	case evRTO:
		s.onRTOEvent(f, e.seq)
	case evDelAck:
		if e.seq == f.delGen && f.delPending > 0 {
			s.sendAck(f)
		}
	case evStart:
		f.started = true
		s.trySend(f, f.w.Cwnd)
	}
}

// ---- sender ----

// trySend sends new segments while FlightSize + segment <= wnd.
func (s *Sim) trySend(f *flow, wnd int) {
	for f.started && !f.done && f.sndNxt < f.end {
		size := min(int64(f.w.SMSS), f.end-f.sndNxt)
		if f.sndNxt-f.sndUna+size > int64(wnd) {
			return
		}
		s.transmit(f, f.sndNxt, size)
		f.sndNxt += size
		if f.sndNxt > f.sndMax {
			f.sndMax = f.sndNxt
		}
	}
}

// transmit puts one segment on the link (or loses it).
func (s *Sim) transmit(f *flow, seq, size int64) {
	f.st.SegmentsSent++
	f.st.BytesSent += size
	if seq < f.sndMax {
		f.st.Retransmissions++
		if f.timing && seq < f.timedEnd {
			f.timing = false // Karn: an ambiguous segment gives no sample
		}
	} else if !f.timing {
		f.timing, f.timedEnd, f.timedAt = true, seq+size, s.now
	}
	f.stampSend(seq, s.now)
	if !f.rtoOn {
		s.armRTO(f)
	}
	if cause := s.lose(f, seq); cause != CauseNone {
		f.st.Losses++
		s.emit(f, EventLoss, seq, cause)
		return
	}
	dep, ok := s.link.admit(s.now, size)
	if !ok {
		f.st.Losses++
		s.emit(f, EventLoss, seq, CauseOverflow)
		return
	}
	s.q.pushPipe(s.dataPipe, event{at: dep + int64(s.cfg.Link.Delay), kind: evData, flow: int32(f.idx), seq: seq, size: int32(size)})
}

// lose decides whether the link loses this data packet before queueing it.
func (s *Sim) lose(f *flow, seq int64) LossCause {
	if f.drops != nil {
		if mask, ok := f.drops[seq]; ok {
			c := f.copies[seq]
			f.copies[seq] = c + 1
			if c < maxScriptedCopy && mask&(1<<c) != 0 {
				return CauseScripted
			}
		}
	}
	p := s.cfg.Link.Loss
	if p == 0 {
		return CauseNone
	}
	s.linkPackets++
	if s.cfg.Link.Pattern == LossPeriodic {
		n := float64(s.linkPackets)
		if math.Floor(n*p) > math.Floor((n-1)*p) {
			return CauseRandom
		}
		return CauseNone
	}
	if s.rng.Float64() < p {
		return CauseRandom
	}
	return CauseNone
}

func (s *Sim) onAck(f *flow, ack int64) {
	var blocks sackSet
	if f.sack {
		blocks = f.popSACK()
	}
	if f.done {
		return
	}
	f.st.AcksReceived++
	if f.sack {
		f.updateBoard(ack, blocks)
	}
	switch {
	case ack > f.sndUna:
		s.onNewAck(f, ack)
	case ack == f.sndUna && f.sndMax > f.sndUna:
		s.onDupAck(f, ack)
	}
}

func (s *Sim) onNewAck(f *flow, ack int64) {
	acked := ack - f.sndUna
	flight := f.sndNxt - f.sndUna
	if f.timing && ack >= f.timedEnd {
		f.est.sample(time.Duration(s.now - f.timedAt))
		f.timing = false
	}
	sample := f.ackSample(ack, s.now)
	f.sndUna = ack
	if f.sndNxt < ack {
		f.sndNxt = ack
	}
	f.timerResends = 0
	f.ltBytes = 0
	f.w.DupAcks = 0
	if f.sackRecovery {
		if ack <= f.recoveryPoint {
			// A partial ACK: RFC 6675 keeps recovering, by the pipe.
			f.w.Cwnd = f.w.Ssthresh
			s.armRTO(f)
			s.sackSend(f)
			s.emit(f, EventPartialAck, ack, CauseNone)
			return
		}
		f.sackRecovery = false // the controller sees the ACK that ends it
		f.highRxt = 0
	}
	act := f.cc.OnAck(&f.w, Ack{Kind: NewAck, Ack: ack, Acked: int(acked), Flight: int(max(flight, 0)), High: f.sndMax - 1,
		Now: time.Duration(s.now), SRTT: f.est.srtt, RTT: sample})
	s.apply(f, act)
	switch {
	case f.sndUna >= f.end:
		f.rtoOn = false
		f.done = true
		f.st.Done = true
		f.st.Completion = time.Duration(s.now)
		s.finished++
		s.emit(f, act.Event, ack, CauseNone)
		s.emit(f, EventDone, ack, CauseNone)
		return
	case f.sndUna >= f.sndMax:
		f.rtoOn = false // RFC 6298 5.2: all data acknowledged
	case !act.KeepTimer:
		s.armRTO(f) // RFC 6298 5.3
	}
	s.trySend(f, f.w.Cwnd)
	s.emit(f, act.Event, ack, CauseNone)
}

func (s *Sim) onDupAck(f *flow, ack int64) {
	// RFC 5681 3.2 step 2: data sent by limited transmit MUST NOT count in
	// the FlightSize that ssthresh is computed from.
	flight := max(f.sndNxt-f.sndUna-f.ltBytes, 0)
	f.w.DupAcks++
	if f.sackRecovery || f.sack && ack <= f.rtoPoint {
		// In recovery the pipe decides; after a timeout, RFC 6675 5.1
		// starts no new recovery until HighACK passes RecoveryPoint.
		s.sackSend(f)
		s.emit(f, EventDupAck, ack, CauseNone)
		return
	}
	act := f.cc.OnAck(&f.w, Ack{Kind: DupAck, Ack: ack, Flight: int(flight), High: f.sndMax - 1,
		Now: time.Duration(s.now), SRTT: f.est.srtt})
	if f.sack && act.Event == EventFastRetransmit && f.w.State == FastRecovery {
		// RFC 6675 section 5: RecoveryPoint = HighData, cwnd = ssthresh,
		// retransmit the first hole, then send by the pipe.
		f.sackRecovery = true
		f.recoveryPoint = f.sndMax - 1
		f.w.Cwnd = f.w.Ssthresh
		f.highRxt = f.sndUna + min(int64(f.w.SMSS), f.end-f.sndUna)
		s.apply(f, act)
		s.sackSend(f)
		s.emit(f, act.Event, ack, CauseNone)
		return
	}
	s.apply(f, act)
	s.trySend(f, f.w.Cwnd)
	if f.cfg.LimitedTransmit && f.w.State != FastRecovery && f.w.DupAcks <= 2 && act.Event == EventDupAck {
		// RFC 3042: one new segment per duplicate ACK beyond cwnd, cwnd unchanged.
		before := f.sndNxt
		s.trySend(f, f.w.Cwnd+f.w.DupAcks*f.w.SMSS)
		f.ltBytes += f.sndNxt - before
	}
	s.emit(f, act.Event, ack, CauseNone)
}

// apply carries out the congestion control's extra actions.
func (s *Sim) apply(f *flow, act Action) {
	if act.Event == EventFastRetransmit {
		f.st.FastRetransmits++
		if f.w.State == FastRecovery {
			f.st.FastRecoveries++
		}
	}
	if act.GoBackN {
		f.sndNxt = f.sndUna
		f.timing = false
	}
	if act.Retransmit && f.sndUna < f.sndMax {
		size := min(int64(f.w.SMSS), f.end-f.sndUna)
		s.transmit(f, f.sndUna, size)
		if f.sndNxt == f.sndUna {
			f.sndNxt += size
		}
	}
}

// armRTO (re)starts the retransmission timer at now + RTO. Only one timer
// event per flow lives in the queue; a later deadline is noticed when that
// event fires, so restarting the timer on every ACK costs no heap operation.
func (s *Sim) armRTO(f *flow) {
	f.rtoOn = true
	f.rtoAt = s.now + int64(f.est.rto)
	if !f.rtoQueued || f.rtoQueuedAt > f.rtoAt {
		s.queueRTO(f)
	}
}

func (s *Sim) queueRTO(f *flow) {
	f.rtoGen++
	f.rtoQueued, f.rtoQueuedAt = true, f.rtoAt
	s.q.push(event{at: f.rtoAt, kind: evRTO, flow: int32(f.idx), seq: f.rtoGen})
}

func (s *Sim) onRTOEvent(f *flow, gen int64) {
	if gen != f.rtoGen {
		return // superseded by an earlier deadline
	}
	f.rtoQueued = false
	if !f.rtoOn || f.done {
		return
	}
	if s.now < f.rtoAt {
		s.queueRTO(f)
		return
	}
	s.onTimeout(f)
}

// onTimeout is RFC 6298 5.4-5.6 plus the RFC 5681 window reaction: resend
// the first unacknowledged segment, double the RTO, restart the timer.
func (s *Sim) onTimeout(f *flow) {
	f.st.Timeouts++
	flight := f.sndNxt - f.sndUna
	if s.cfg.Logger != nil {
		s.cfg.Logger.Debug("reno: retransmission timeout", "flow", f.idx, "t", time.Duration(s.now), "seq", f.sndUna, "rto", f.est.rto)
	}
	f.w.DupAcks = 0
	if f.sack {
		// Forget the scoreboard (RFC 2018: the receiver may renege) and
		// leave SACK recovery; go back N like the others.
		f.board = f.board[:0]
		f.sackRecovery = false
		f.highRxt = 0
		f.rtoPoint = f.sndMax - 1 // RFC 6675 section 5.1
	}
	f.cc.OnTimeout(&f.w, Timeout{Flight: int(flight), High: f.sndMax - 1, Repeat: f.timerResends > 0, Now: time.Duration(s.now)})
	f.timerResends++
	f.est.backoff()
	f.timing = false
	f.ltBytes = 0
	f.sndNxt = f.sndUna // go back N: everything after the hole is sent again as cwnd allows
	f.rtoOn = false
	s.trySend(f, max(f.w.Cwnd, f.w.SMSS))
	s.armRTO(f)
	s.emit(f, EventTimeout, f.sndUna, CauseNone)
}

// ---- receiver ----

func (s *Sim) onData(f *flow, seq, size int64) {
	f.lastRcv = seq
	if s.now >= int64(s.cfg.Warmup) {
		f.st.linkBytes += size
	}
	end := seq + size
	switch {
	case end <= f.rcvNxt: // an old duplicate
		s.sendAck(f)
	case seq > f.rcvNxt: // out of order: immediate duplicate ACK
		f.ooo = insertSpan(f.ooo, span{seq, end})
		s.sendAck(f)
	default: // in order (possibly overlapping what we have)
		hadGap := len(f.ooo) > 0
		before := f.rcvNxt
		f.rcvNxt = end
		for len(f.ooo) > 0 && f.ooo[0].start <= f.rcvNxt {
			f.rcvNxt = max(f.rcvNxt, f.ooo[0].end)
			f.ooo = f.ooo[:copy(f.ooo, f.ooo[1:])]
		}
		f.st.Delivered += f.rcvNxt - before
		if s.now >= int64(s.cfg.Warmup) {
			f.st.goodBytes += f.rcvNxt - before
		}
		if !f.cfg.DelayedAck || hadGap {
			s.sendAck(f) // RFC 5681 4.2: ACK at once when a gap is (partly) filled
			return
		}
		f.delPending++
		if f.delPending >= 2 {
			s.sendAck(f)
			return
		}
		f.delGen++
		s.q.push(event{at: s.now + int64(s.cfg.DelayedAckTimeout), kind: evDelAck, flow: int32(f.idx), seq: f.delGen})
	}
}

func (s *Sim) sendAck(f *flow) {
	f.delPending = 0
	f.delGen++
	s.acks++
	if f.sack {
		f.pushSACK(f.sackBlocks())
	}
	s.q.pushPipe(f.ackPipe, event{at: s.now + f.delay, kind: evAck, flow: int32(f.idx), seq: f.rcvNxt})
}

// ---- trace ----

func (s *Sim) emit(f *flow, ev Event, seq int64, cause LossCause) {
	if !s.tracing {
		return
	}
	r := Record{
		Time: time.Duration(s.now), Flow: f.idx, Event: ev, Seq: seq,
		Cwnd: f.w.Cwnd, Ssthresh: f.w.Ssthresh, State: f.w.State,
		Flight: int(f.sndNxt - f.sndUna), RTO: f.est.rto, Cause: cause,
	}
	if s.cfg.OnEvent != nil {
		s.cfg.OnEvent(r)
	}
	if s.stream != nil {
		s.stream.write(r)
	}
	if s.cfg.KeepTrace {
		s.trace = append(s.trace, r)
	}
}
