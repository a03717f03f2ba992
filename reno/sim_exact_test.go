package reno

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// oneSegment is a flow of a single 1000-byte segment over an 8 Mb/s link
// (1 ms to send it) with 50 ms of delay each way plus 30 ms more on this
// flow's ACK path: the ACK arrives at 1 + 50 + 80 = 131 ms.
func oneSegment(d time.Duration) Config {
	return Config{
		Link:     LinkConfig{Bandwidth: 8e6, Delay: 50 * time.Millisecond, Buffer: 10},
		Flows:    []FlowConfig{{Variant: VariantReno, MSS: 1000, Bytes: 1000, ExtraDelay: 30 * time.Millisecond}},
		Duration: d,
	}
}

// TestOneSegmentByHand: the run of one segment, worked out by hand: three
// events (the start, the segment's arrival, its ACK's), one segment and
// one ACK, done at 131 ms with an RTT sample of 131 ms; a run whose
// Duration ends exactly then still processes that ACK, one a nanosecond
// shorter does not.
func TestOneSegmentByHand(t *testing.T) {
	const done = 131 * time.Millisecond
	for _, c := range []struct {
		d    time.Duration
		done bool
	}{{10 * time.Second, true}, {done, true}, {done - 1, false}} {
		res, _ := runTrace(t, oneSegment(c.d))
		f := res.Flows[0]
		assert.Equal(t, c.done, f.Done, "Duration %v", c.d)
		if !c.done {
			assert.Equal(t, c.d, res.Simulated)
			assert.Equal(t, int64(2), res.Events)
			continue
		}
		assert.Equal(t, done, f.Completion)
		assert.Equal(t, done, res.Simulated)
		assert.Equal(t, done, f.SRTT)
		assert.Equal(t, int64(3), res.Events)
		assert.Equal(t, int64(2), res.Packets)
		assert.Equal(t, int64(1), f.SegmentsSent)
		assert.Equal(t, int64(1000), f.Delivered)
		assert.Equal(t, int64(1), f.AcksReceived)
	}
}

// TestPeriodicLossCountsPackets: periodic loss p drops packet n when
// floor(n p) steps up: at p = 0.3 the 4th, 7th and 10th data packets (in
// the order the link sees them), never the 3rd.
func TestPeriodicLossCountsPackets(t *testing.T) {
	cfg := oneSegment(300 * time.Millisecond)
	cfg.Link.Loss, cfg.Link.Pattern = 0.3, LossPeriodic
	cfg.Flows[0].Bytes = 0
	cfg.Flows[0].InitialWindow = 10000
	res, _ := runTrace(t, cfg)
	var lost []int64
	for _, r := range res.Trace {
		if r.Event == EventLoss {
			lost = append(lost, r.Seq)
		}
	}
	require.GreaterOrEqual(t, len(lost), 3)
	assert.Equal(t, []int64{3001, 6001, 9001}, lost[:3], "the first window of ten: packets 4, 7 and 10")
}

// recorder is a congestion controller that keeps every Ack it is given and
// otherwise behaves as NewReno.
type recorder struct {
	NewReno
	acks []Ack
}

func (r *recorder) OnAck(w *Window, a Ack) Action {
	r.acks = append(r.acks, a)
	return r.NewReno.OnAck(w, a)
}

// TestControllerSeesTheACK: a user's controller gets the ACK as the sender
// saw it: the one segment's ACK at 131 ms acknowledges 1000 bytes out of a
// FlightSize of 1000, the highest byte sent is 1000, and SRTT and the
// sample are both 131 ms.
func TestControllerSeesTheACK(t *testing.T) {
	rec := &recorder{}
	cfg := oneSegment(10 * time.Second)
	cfg.Flows[0].Control = rec
	runTrace(t, cfg)
	const rtt = 131 * time.Millisecond
	assert.Equal(t, []Ack{{Kind: NewAck, Ack: 1001, Acked: 1000, Flight: 1000, High: 1000, Now: rtt, SRTT: rtt, RTT: rtt}}, rec.acks)
}

// TestSACKRecoveryPointIsPartial: the last segment of 10001 bytes is a
// single byte, so RecoveryPoint (the highest byte sent, 10001) is also an
// ACK number: with segments 1 and 11 lost, the ACK of the resent segment 1
// is 10001, which leaves byte 10001 outstanding: a partial ACK, not the end
// of recovery. The sender stays in SACK recovery, where nothing is lost
// above the last byte and (without RFC 6675's rescue retransmission) nothing
// resends it: it waits for the timer (RTO 1 s after the partial ACK at
// 200.32 ms) instead of NewReno's resending it at once.
func TestSACKRecoveryPointIsPartial(t *testing.T) {
	cfg := scriptConfig(VariantSACK, 10001, Drop{Seq: 1}, Drop{Seq: 10001})
	cfg.Flows[0].InitialWindow = 11000
	res, got := runTrace(t, cfg)
	require.True(t, res.Flows[0].Done)
	var at10001 []Event
	for _, r := range got {
		if r.Seq == 10001 && r.Event != EventDupAck {
			at10001 = append(at10001, r.Event)
		}
	}
	require.NotEmpty(t, at10001)
	assert.Equal(t, EventPartialAck, at10001[0])
	assert.Equal(t, []Event{EventPartialAck, EventTimeout}, at10001)
	assert.Equal(t, int64(1), res.Flows[0].Timeouts)
	assert.Equal(t, 1300320080*time.Nanosecond, res.Flows[0].Completion)
}

// resender asks for a retransmission on every ACK.
type resender struct{ NewReno }

func (r resender) OnAck(w *Window, a Ack) Action {
	act := r.NewReno.OnAck(w, a)
	act.Retransmit = true
	return act
}

// TestRetransmitWithNothingOutstanding: a controller's Retransmit is
// ignored when every byte sent is acknowledged: the one segment's flow
// sends one segment.
func TestRetransmitWithNothingOutstanding(t *testing.T) {
	cfg := oneSegment(10 * time.Second)
	cfg.Flows[0].Control = resender{}
	res, _ := runTrace(t, cfg)
	assert.Equal(t, int64(1), res.Flows[0].SegmentsSent)
	assert.Equal(t, int64(1000), res.Flows[0].BytesSent)
	assert.Zero(t, res.Flows[0].Retransmissions)
}

// timeoutRecorder keeps every Timeout it is given and otherwise behaves as
// NewReno.
type timeoutRecorder struct {
	NewReno
	timeouts []Timeout
}

func (r *timeoutRecorder) OnTimeout(w *Window, t Timeout) {
	r.timeouts = append(r.timeouts, t)
	r.NewReno.OnTimeout(w, t)
}

// TestControllerSeesTheTimeout: the one segment lost once: the timer
// expires at the initial RTO (1 s) with a FlightSize of 1000 bytes, the
// highest byte sent being 1000; the resent copy's ACK arrives 131 ms later.
func TestControllerSeesTheTimeout(t *testing.T) {
	rec := &timeoutRecorder{}
	cfg := oneSegment(10 * time.Second)
	cfg.Flows[0].Control = rec
	cfg.Link.Drops = []Drop{{Seq: 1}}
	res, _ := runTrace(t, cfg)
	assert.Equal(t, []Timeout{{Flight: 1000, High: 1000, Now: time.Second}}, rec.timeouts)
	assert.Equal(t, time.Second+131*time.Millisecond, res.Flows[0].Completion)
}

// TestWarmupStartsAtItsInstant: the one segment reaches the receiver at
// exactly 51 ms; with Warmup = 51 ms it counts: 1000 bytes over the 80 ms
// measured (51 to 131 ms) is 100 kb/s of throughput and of goodput. A
// warm-up that lasts the whole run (to the ACK at 131 ms) measures nothing:
// rates 0, not 0/0.
func TestWarmupStartsAtItsInstant(t *testing.T) {
	for _, c := range []struct {
		warmup time.Duration
		rate   float64
	}{{51 * time.Millisecond, 1e5}, {51*time.Millisecond + 1, 0}, {131 * time.Millisecond, 0}} {
		cfg := oneSegment(10 * time.Second)
		cfg.Warmup = c.warmup
		res, _ := runTrace(t, cfg)
		assert.InDelta(t, c.rate, res.Flows[0].Throughput, 1e-3, "warmup %v", c.warmup)
		assert.InDelta(t, c.rate, res.Flows[0].Goodput, 1e-3, "warmup %v", c.warmup)
	}
}

// TestSACKRecoveryAfterTimeoutPastRecoveryPoint: RFC 6675 section 5.1
// after a timeout at HighData 8000 (segment 1 and its fast retransmission
// lost, then 7001): three duplicate ACKs at 8001, above that RecoveryPoint,
// start a new recovery at once (the segment at 8001, the first sent after
// the timeout, is lost).
func TestSACKRecoveryAfterTimeoutPastRecoveryPoint(t *testing.T) {
	cfg := scriptConfig(VariantSACK, 20000, Drop{Seq: 1}, Drop{Seq: 1, Copy: 1}, Drop{Seq: 7001}, Drop{Seq: 8001})
	cfg.Flows[0].InitialWindow = 5000
	cfg.Flows[0].LimitedTransmit = true
	res, got := runTrace(t, cfg)
	require.True(t, res.Flows[0].Done)
	assert.Equal(t, int64(1), res.Flows[0].Timeouts)
	var fr []int64
	for _, r := range got {
		if r.Event == EventFastRetransmit {
			fr = append(fr, r.Seq)
		}
	}
	assert.Equal(t, []int64{1, 8001}, fr)
}

// TestTimerEventsByHand counts events through a timeout: flow 0's one
// segment is lost; its timer fires at 1 s, the resent copy arrives and is
// acknowledged, and the timer, restarted for 3 s (the RTO doubled), fires
// once more with nothing left to do. Flow 1 starts at 5 s and keeps the
// run going past that: 5 events for flow 0, 3 for flow 1.
func TestTimerEventsByHand(t *testing.T) {
	cfg := oneSegment(10 * time.Second)
	cfg.Link.Drops = []Drop{{Seq: 1}}
	cfg.Flows = append(cfg.Flows, FlowConfig{Variant: VariantReno, MSS: 1000, Bytes: 1000, Start: 5 * time.Second})
	res, _ := runTrace(t, cfg)
	require.True(t, res.Flows[0].Done)
	require.True(t, res.Flows[1].Done)
	assert.Equal(t, time.Second+131*time.Millisecond, res.Flows[0].Completion)
	assert.Equal(t, 5*time.Second+101*time.Millisecond, res.Flows[1].Completion)
	assert.Equal(t, int64(8), res.Events)
}

// TestDelayedAckAnswersADuplicateAtOnce: RFC 5681 4.2 asks for an
// immediate ACK of a duplicate segment, delayed ACKs or not. One segment,
// its ACK held 100 ms by the receiver (sent at 151 ms, at the sender at
// 200.08 ms), is resent by a 150 ms timer; the copy arrives at 200.08 ms,
// after the held ACK went out, and is answered at once: a duplicate ACK at
// the sender 50 ms later.
func TestDelayedAckAnswersADuplicateAtOnce(t *testing.T) {
	cfg := scriptConfig(VariantReno, 0)
	cfg.Duration = 260 * time.Millisecond
	cfg.Flows[0].InitialWindow = 1000
	cfg.Flows[0].DelayedAck = true
	cfg.DelayedAckTimeout = 100 * time.Millisecond
	cfg.RTO.Initial, cfg.RTO.Min = 150*time.Millisecond, 100*time.Millisecond
	_, got := runTrace(t, cfg)
	type ev struct {
		at  time.Duration
		ev  Event
		seq int64
	}
	var evs []ev
	for _, r := range got {
		evs = append(evs, ev{r.Time, r.Event, r.Seq})
	}
	assert.Equal(t, []ev{
		{150 * time.Millisecond, EventTimeout, 1},
		{200080 * time.Microsecond, EventNewAck, 1001},
		{250080 * time.Microsecond, EventDupAck, 1001},
	}, evs)
}
