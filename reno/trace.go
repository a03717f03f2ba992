package reno

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Event is what happened at a trace record.
type Event uint8

// Trace events.
const (
	EventNewAck         Event = iota // an ACK of new data grew the window
	EventDupAck                      // a duplicate ACK
	EventPartialAck                  // NewReno: an ACK of some but not all data outstanding at the loss
	EventRecoveryExit                // the ACK that ended fast recovery (cwnd deflated to ssthresh)
	EventFastRetransmit              // the third duplicate ACK: retransmit (and, except Tahoe, fast recovery)
	EventTimeout                     // the retransmission timer expired
	EventLoss                        // the link dropped a data packet (random, scripted or buffer overflow)
	EventDone                        // a finite flow has had all its data acknowledged
)

var eventNames = [...]string{
	EventNewAck:         "new-ack",
	EventDupAck:         "dup-ack",
	EventPartialAck:     "partial-ack",
	EventRecoveryExit:   "recovery-exit",
	EventFastRetransmit: "fast-retransmit",
	EventTimeout:        "timeout",
	EventLoss:           "loss",
	EventDone:           "done",
}

// String returns the event's name as used in the CSV trace.
func (e Event) String() string {
	if int(e) < len(eventNames) {
		return eventNames[e]
	}
	return fmt.Sprintf("Event(%d)", uint8(e))
}

// LossCause says why the link dropped a packet.
type LossCause uint8

// Why a packet was lost.
const (
	CauseNone     LossCause = iota
	CauseRandom             // LinkConfig.Loss
	CauseScripted           // LinkConfig.Drops
	CauseOverflow           // the drop-tail buffer was full
)

var causeNames = [...]string{"", "random", "scripted", "overflow"}

// String returns the cause's name ("" for none).
func (c LossCause) String() string {
	if int(c) < len(causeNames) {
		return causeNames[c]
	}
	return fmt.Sprintf("LossCause(%d)", uint8(c))
}

// Record is one trace line: the sender's state right after an event.
type Record struct {
	Time     time.Duration // simulated time
	Flow     int           // flow index
	Event    Event         // what happened
	Seq      int64         // the ACK number for ACK events, the segment for losses and retransmissions
	Cwnd     int           // bytes
	Ssthresh int           // bytes (InfiniteSsthresh before the first loss)
	State    State
	Flight   int           // bytes sent and not yet acknowledged
	RTO      time.Duration // the retransmission timeout now in force
	Cause    LossCause     // for EventLoss
}

// CSVHeader is the first line [WriteCSV] and [Config.TraceCSV] write.
const CSVHeader = "time_s,flow,event,seq,cwnd,ssthresh,state,flight,rto_s,cause\n"

var stateShort = [...]string{"ss", "ca", "fr"}

// AppendCSV appends r as one CSV line (without allocating when b has room).
// Sizes are bytes, times seconds; an infinite ssthresh is written as "inf".
func (r Record) AppendCSV(b []byte) []byte {
	b = strconv.AppendFloat(b, r.Time.Seconds(), 'f', 6, 64)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.Flow), 10)
	b = append(b, ',')
	b = append(b, r.Event.String()...)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.Seq, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.Cwnd), 10)
	b = append(b, ',')
	if r.Ssthresh >= InfiniteSsthresh {
		b = append(b, "inf"...)
	} else {
		b = strconv.AppendInt(b, int64(r.Ssthresh), 10)
	}
	b = append(b, ',')
	if int(r.State) < len(stateShort) {
		b = append(b, stateShort[r.State]...)
	} else {
		b = strconv.AppendInt(b, int64(r.State), 10)
	}
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.Flight), 10)
	b = append(b, ',')
	b = strconv.AppendFloat(b, r.RTO.Seconds(), 'f', 3, 64)
	b = append(b, ',')
	b = append(b, r.Cause.String()...)
	return append(b, '\n')
}

// WriteCSV writes a header and one line per record.
func WriteCSV(w io.Writer, records []Record) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(CSVHeader); err != nil {
		return err
	}
	var line []byte
	for _, r := range records {
		line = r.AppendCSV(line[:0])
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// csvStream is the streaming form of [WriteCSV] used by the simulator.
type csvStream struct {
	bw   *bufio.Writer
	line []byte
	err  error
}

func newCSVStream(w io.Writer) *csvStream {
	s := &csvStream{bw: bufio.NewWriterSize(w, 64<<10), line: make([]byte, 0, 128)}
	_, s.err = s.bw.WriteString(CSVHeader)
	return s
}

func (s *csvStream) write(r Record) {
	if s.err != nil {
		return
	}
	s.line = r.AppendCSV(s.line[:0])
	_, s.err = s.bw.Write(s.line)
}

func (s *csvStream) flush() error {
	if s.err != nil {
		return s.err
	}
	return s.bw.Flush()
}

// Narrator turns trace records into the lines a person wants to read: one
// per state transition, in the style of the course program, for example
//
//	[t=12.30s] flow 0: 3 dup ACKs -> fast recovery, cwnd=7.5 ssthresh=4.5 (segments)
type Narrator struct {
	w    io.Writer
	mss  []int
	last map[int]State
}

// NewNarrator returns a [Narrator] writing to w about the flows of cfg. With
// several flows every line names its flow.
func NewNarrator(w io.Writer, cfg Config) *Narrator {
	n := &Narrator{w: w, last: map[int]State{}}
	for _, f := range cfg.Flows {
		n.mss = append(n.mss, f.MSS)
	}
	return n
}

// Observe prints a line if r is a transition worth telling; it is meant to be
// used as [Config.OnEvent].
func (n *Narrator) Observe(r Record) {
	if msg := n.describe(r); msg != "" {
		who := ""
		if len(n.mss) > 1 {
			who = fmt.Sprintf("flow %d: ", r.Flow)
		}
		fmt.Fprintf(n.w, "[t=%.2fs] %s%s, %s\n", r.Time.Seconds(), who, msg, n.windowText(r))
	}
}

func (n *Narrator) describe(r Record) string {
	prev, seen := n.last[r.Flow]
	n.last[r.Flow] = r.State
	switch r.Event {
	case EventFastRetransmit:
		if r.State == FastRecovery {
			return "3 dup ACKs -> fast recovery"
		}
		return "3 dup ACKs -> fast retransmit, slow start"
	case EventTimeout:
		return fmt.Sprintf("timeout (RTO now %.2fs) -> slow start", r.RTO.Seconds())
	case EventPartialAck:
		return fmt.Sprintf("partial ACK %d -> retransmit, stay in fast recovery", r.Seq)
	case EventRecoveryExit:
		return "new ACK -> leave fast recovery"
	case EventDone:
		return "all data acknowledged"
	}
	if seen && prev == SlowStart && r.State == CongestionAvoidance {
		return "cwnd reached ssthresh -> congestion avoidance"
	}
	return ""
}

func (n *Narrator) windowText(r Record) string {
	mss := 1
	if r.Flow >= 0 && r.Flow < len(n.mss) && n.mss[r.Flow] > 0 {
		mss = n.mss[r.Flow]
	}
	seg := func(b int) string {
		if b >= InfiniteSsthresh {
			return "inf"
		}
		return strconv.FormatFloat(float64(b)/float64(mss), 'f', 1, 64)
	}
	return fmt.Sprintf("cwnd=%s ssthresh=%s (segments)", seg(r.Cwnd), seg(r.Ssthresh))
}
