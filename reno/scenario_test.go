package reno

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// row is the expected sender state after one trace event. The scripted
// scenarios below were worked out by hand from the RFC rules; the comments
// say which rule produces each number.
type row struct {
	ev       Event
	seq      int64
	cwnd     int
	ssthresh int // 0 means InfiniteSsthresh
	state    State
}

func (r row) String() string {
	ss := "inf"
	if r.ssthresh != 0 && r.ssthresh != InfiniteSsthresh {
		ss = fmt.Sprint(r.ssthresh)
	}
	return fmt.Sprintf("%s %d cwnd=%d ssthresh=%s %s", r.ev, r.seq, r.cwnd, ss, r.state)
}

// scriptConfig is one flow of 1000-byte segments over a fast link (100 Mb/s,
// so serialisation is 80 µs) with 50 ms each way and a large buffer: the
// only losses are the scripted ones.
func scriptConfig(v Variant, bytes int64, drops ...Drop) Config {
	cfg := DefaultConfig()
	cfg.Link.Bandwidth = 100e6
	cfg.Link.Buffer = 100
	cfg.Link.Drops = drops
	cfg.Flows[0].Variant = v
	cfg.Flows[0].Bytes = bytes
	cfg.Duration = 30 * time.Second
	return cfg
}

func runTrace(t *testing.T, cfg Config) (*Result, []Record) {
	t.Helper()
	cfg.KeepTrace = true
	res := runSim(t, cfg)
	var acks []Record
	for _, r := range res.Trace {
		if r.Event != EventLoss && r.Event != EventDone {
			acks = append(acks, r)
		}
	}
	return res, acks
}

// expectRows checks the first len(want) non-loss records exactly.
// slowStart is the first n rows of a trace in slow start from the initial
// window of 4 SMSS (SMSS 1000): each ACK acknowledges perAck more bytes
// and adds one SMSS, min(N, SMSS), to cwnd.
func slowStart(perAck int64, n int) []row {
	var rows []row
	for i := range n {
		rows = append(rows, row{EventNewAck, 1 + int64(i+1)*perAck, 5000 + 1000*i, 0, SlowStart})
	}
	return rows
}

func expectRows(t *testing.T, got []Record, want []row) {
	t.Helper()
	require.GreaterOrEqual(t, len(got), len(want), "trace too short")
	var gotS, wantS []string
	for i, w := range want {
		if w.ssthresh == 0 {
			w.ssthresh = InfiniteSsthresh
		}
		r := got[i]
		gotS = append(gotS, row{r.Event, r.Seq, r.Cwnd, r.Ssthresh, r.State}.String())
		wantS = append(wantS, w.String())
	}
	assert.Equal(t, strings.Join(wantS, "\n"), strings.Join(gotS, "\n"))
}

func TestSlowStartFromInitialWindow(t *testing.T) {
	// IW = 4*SMSS for SMSS <= 1095; each new ACK adds min(N, SMSS).
	_, got := runTrace(t, scriptConfig(VariantReno, 12000))
	expectRows(t, got, slowStart(1000, 6))

	// SMSS 1460: IW = 3*SMSS = 4380.
	cfg := scriptConfig(VariantReno, 10*1460)
	cfg.Flows[0].MSS = 1460
	_, got = runTrace(t, cfg)
	expectRows(t, got, []row{
		{EventNewAck, 1461, 4380 + 1460, 0, SlowStart},
		{EventNewAck, 2921, 4380 + 2*1460, 0, SlowStart},
	})
}

func TestInitialWindowRFC5681(t *testing.T) {
	assert.Equal(t, 4*536, InitialWindow(536))
	assert.Equal(t, 4*1095, InitialWindow(1095))
	assert.Equal(t, 3*1096, InitialWindow(1096))
	assert.Equal(t, 3*2190, InitialWindow(2190))
	assert.Equal(t, 2*2191, InitialWindow(2191))
	assert.Equal(t, 2*9000, InitialWindow(9000))
}

func TestCongestionAvoidanceGrowth(t *testing.T) {
	// ssthresh = IW = 4000, so the sender starts in congestion avoidance:
	// cwnd += SMSS*SMSS/cwnd per ACK, in whole bytes.
	cfg := scriptConfig(VariantReno, 20000)
	cfg.Flows[0].InitialSsthresh = 4000
	_, got := runTrace(t, cfg)
	expectRows(t, got, []row{
		{EventNewAck, 1001, 4250, 4000, CongestionAvoidance}, // 1e6/4000 = 250
		{EventNewAck, 2001, 4485, 4000, CongestionAvoidance}, // 1e6/4250 = 235
		{EventNewAck, 3001, 4707, 4000, CongestionAvoidance}, // 1e6/4485 = 222
		{EventNewAck, 4001, 4919, 4000, CongestionAvoidance}, // 1e6/4707 = 212
		{EventNewAck, 5001, 5122, 4000, CongestionAvoidance}, // 1e6/4919 = 203
		{EventNewAck, 6001, 5317, 4000, CongestionAvoidance}, // 1e6/5122 = 195
	})
}

func TestByteCountingGrowsOneSegmentPerWindow(t *testing.T) {
	cfg := scriptConfig(VariantReno, 20000)
	cfg.Flows[0].InitialSsthresh = 4000
	cfg.Flows[0].ByteCounting = true
	_, got := runTrace(t, cfg)
	expectRows(t, got, []row{
		{EventNewAck, 1001, 4000, 4000, CongestionAvoidance},
		{EventNewAck, 2001, 4000, 4000, CongestionAvoidance},
		{EventNewAck, 3001, 4000, 4000, CongestionAvoidance},
		{EventNewAck, 4001, 5000, 4000, CongestionAvoidance}, // a full cwnd acknowledged
		{EventNewAck, 5001, 5000, 4000, CongestionAvoidance},
	})
}

// singleDrop is slow start to 8 segments in flight plus one, then segment
// 5001 lost: the ACKs for 6001..13001 are duplicates.
var singleDropPrefix = []row{
	{EventNewAck, 1001, 5000, 0, SlowStart},
	{EventNewAck, 2001, 6000, 0, SlowStart},
	{EventNewAck, 3001, 7000, 0, SlowStart},
	{EventNewAck, 4001, 8000, 0, SlowStart},
	{EventNewAck, 5001, 9000, 0, SlowStart}, // FlightSize is now 9000: 5001..14000
	{EventDupAck, 5001, 9000, 0, SlowStart},
	{EventDupAck, 5001, 9000, 0, SlowStart},
	// Third duplicate: ssthresh = max(9000/2, 2000) = 4500, cwnd = 4500 + 3*1000.
	{EventFastRetransmit, 5001, 7500, 4500, FastRecovery},
}

func TestSingleDropFastRecovery(t *testing.T) {
	for _, v := range []Variant{VariantReno, VariantNewReno} {
		t.Run(string(v), func(t *testing.T) {
			cfg := scriptConfig(v, 30000, Drop{Seq: 5001})
			cfg.RTO.Min = 30 * time.Second // any RTO would show up as a failure
			cfg.RTO.Initial = 30 * time.Second
			res, got := runTrace(t, cfg)
			want := append(append([]row(nil), singleDropPrefix...),
				row{EventDupAck, 5001, 8500, 4500, FastRecovery}, // each further duplicate adds SMSS
				row{EventDupAck, 5001, 9500, 4500, FastRecovery},
				row{EventDupAck, 5001, 10500, 4500, FastRecovery}, // now cwnd > FlightSize: new data flows
				row{EventDupAck, 5001, 11500, 4500, FastRecovery},
				row{EventDupAck, 5001, 12500, 4500, FastRecovery},
				// The retransmission is acknowledged with everything after it:
				// deflate to ssthresh.
				row{EventRecoveryExit, 14001, 4500, 4500, CongestionAvoidance},
				row{EventNewAck, 15001, 4722, 4500, CongestionAvoidance}, // 1e6/4500 = 222
			)
			expectRows(t, got, want)
			f := res.Flows[0]
			assert.EqualValues(t, 1, f.Retransmissions, "exactly one retransmission")
			assert.EqualValues(t, 0, f.Timeouts)
			assert.EqualValues(t, 1, f.FastRecoveries)
			assert.True(t, f.Done)
			assert.EqualValues(t, 30000, f.Delivered)
		})
	}
}

func TestTahoeSingleDropGoesBackToSlowStart(t *testing.T) {
	res, got := runTrace(t, scriptConfig(VariantTahoe, 30000, Drop{Seq: 5001}))
	want := append(append([]row(nil), singleDropPrefix[:7]...),
		// Tahoe: ssthresh halves the same way but cwnd = 1 SMSS and go back N.
		row{EventFastRetransmit, 5001, 1000, 4500, SlowStart},
		row{EventDupAck, 5001, 1000, 4500, SlowStart},
	)
	expectRows(t, got, want)
	f := res.Flows[0]
	assert.EqualValues(t, 0, f.Timeouts)
	assert.EqualValues(t, 1, f.FastRetransmits)
	assert.EqualValues(t, 0, f.FastRecoveries)
	assert.True(t, f.Done)
}

func TestSeveralDropsRenoVersusNewReno(t *testing.T) {
	drops := []Drop{{Seq: 5001}, {Seq: 7001}, {Seq: 9001}}
	prefix := append(append([]row(nil), singleDropPrefix...),
		row{EventDupAck, 5001, 8500, 4500, FastRecovery},
		row{EventDupAck, 5001, 9500, 4500, FastRecovery},
		row{EventDupAck, 5001, 10500, 4500, FastRecovery},
	)

	// Reno leaves fast recovery on the first new ACK (7001, a partial ACK)
	// and then has too few duplicate ACKs left for the next hole: it waits
	// for the retransmission timer.
	res, got := runTrace(t, scriptConfig(VariantReno, 30000, drops...))
	expectRows(t, got, append(append([]row(nil), prefix...),
		row{EventRecoveryExit, 7001, 4500, 4500, CongestionAvoidance},
		row{EventDupAck, 7001, 4500, 4500, CongestionAvoidance},
		// RTO: ssthresh = max(FlightSize/2, 2*SMSS) = max(8000/2, 2000), cwnd = 1 SMSS.
		row{EventTimeout, 7001, 1000, 4000, SlowStart},
	))
	reno := res.Flows[0]
	assert.EqualValues(t, 1, reno.Timeouts)

	// NewReno stays in fast recovery: each partial ACK retransmits the next
	// hole, deflates cwnd by the data acknowledged and adds back one SMSS.
	res, got = runTrace(t, scriptConfig(VariantNewReno, 30000, drops...))
	expectRows(t, got, append(append([]row(nil), prefix...),
		row{EventPartialAck, 7001, 9500, 4500, FastRecovery}, // 10500 - 2000 + 1000
		row{EventDupAck, 7001, 10500, 4500, FastRecovery},
		row{EventPartialAck, 9001, 9500, 4500, FastRecovery}, // 10500 - 2000 + 1000
		row{EventDupAck, 9001, 10500, 4500, FastRecovery},
		row{EventDupAck, 9001, 11500, 4500, FastRecovery},
		// 17001 is above recover (16000): a full ACK ends fast recovery.
		row{EventRecoveryExit, 17001, 4500, 4500, CongestionAvoidance},
	))
	newreno := res.Flows[0]
	assert.EqualValues(t, 0, newreno.Timeouts)
	assert.EqualValues(t, 3, newreno.Retransmissions)
	assert.EqualValues(t, 1, newreno.FastRecoveries)
	assert.Less(t, newreno.Completion, reno.Completion, "NewReno finishes sooner")
}

func TestTimeoutBackoffAndKarn(t *testing.T) {
	// Segments 5001..11001 are lost, so no duplicate ACKs come back; the
	// first retransmission of 5001 is lost too.
	drops := []Drop{{Seq: 5001, Copy: 1}}
	for seq := int64(5001); seq <= 11001; seq += 1000 {
		drops = append(drops, Drop{Seq: seq})
	}
	res, got := runTrace(t, scriptConfig(VariantReno, 12000, drops...))
	expectRows(t, got, append(slowStart(1000, 5), []row{
		// First timeout: FlightSize 7000 -> ssthresh 3500, cwnd = LW = 1 SMSS.
		{EventTimeout, 5001, 1000, 3500, SlowStart},
		// Second timeout of the same segment: ssthresh is left alone.
		{EventTimeout, 5001, 1000, 3500, SlowStart},
		{EventNewAck, 6001, 2000, 3500, SlowStart},
		{EventNewAck, 7001, 3000, 3500, SlowStart},
		{EventNewAck, 8001, 4000, 3500, CongestionAvoidance},
	}...))
	// Times: the timer restarted on the ACK of 5001 at 0.20016 s; RTO 1 s,
	// then doubled to 2 s, then 4 s.
	assert.Equal(t, 1200160*time.Microsecond, got[5].Time)
	assert.Equal(t, 2*time.Second, got[5].RTO)
	assert.Equal(t, 3200160*time.Microsecond, got[6].Time)
	assert.Equal(t, 4*time.Second, got[6].RTO)
	// Karn: the ACKs of retransmitted segments give no RTT sample, so the
	// backed-off RTO stays.
	for _, r := range got[7:] {
		assert.Equal(t, 4*time.Second, r.RTO, "at %v", r.Time)
	}
	f := res.Flows[0]
	assert.EqualValues(t, 2, f.Timeouts)
	assert.True(t, f.Done)
}

func TestRTOMinimumIsConfigurable(t *testing.T) {
	cfg := scriptConfig(VariantReno, 3000, Drop{Seq: 2001})
	cfg.RTO.Min = 300 * time.Millisecond
	_, got := runTrace(t, cfg)
	var to *Record
	for i := range got {
		if got[i].Event == EventTimeout {
			to = &got[i]
			break
		}
	}
	require.NotNil(t, to)
	// One sample R = 100.08 ms: RTO = R + 4*R/2 = 300.24 ms, above the minimum.
	// The timer restarted at the ACK of 2001 (t = 100.16 ms).
	assert.Equal(t, time.Duration(100160000+300240000), to.Time)
}

func TestDelayedAcks(t *testing.T) {
	cfg := scriptConfig(VariantReno, 20000)
	cfg.Flows[0].DelayedAck = true
	res, got := runTrace(t, cfg)
	// One ACK per two segments; slow start still adds min(N, SMSS) = 1000.
	expectRows(t, got, slowStart(2000, 6))
	assert.EqualValues(t, 10, res.Flows[0].AcksReceived)

	// A lone segment is acknowledged when the delayed-ACK timer fires.
	cfg = scriptConfig(VariantReno, 1000)
	cfg.Flows[0].DelayedAck = true
	_, got = runTrace(t, cfg)
	require.NotEmpty(t, got)
	assert.Equal(t, 50080*time.Microsecond+200*time.Millisecond+50*time.Millisecond, got[0].Time)

	// An out-of-order segment is acknowledged at once, delayed ACK or not.
	cfg = scriptConfig(VariantNewReno, 30000, Drop{Seq: 5001})
	cfg.Flows[0].DelayedAck = true
	res, _ = runTrace(t, cfg)
	assert.EqualValues(t, 1, res.Flows[0].FastRecoveries)
	assert.EqualValues(t, 0, res.Flows[0].Timeouts)
}

func TestLimitedTransmitSendsOnFirstTwoDupAcks(t *testing.T) {
	// With only 4 segments in flight and the first lost, plain Reno gets 3
	// duplicates... but with IW 3 segments it gets 2 and must time out.
	// Limited transmit sends one new segment per duplicate, earning the third.
	cfg := scriptConfig(VariantReno, 10000, Drop{Seq: 1})
	cfg.Flows[0].InitialWindow = 3000
	res, _ := runTrace(t, cfg)
	assert.EqualValues(t, 1, res.Flows[0].Timeouts)

	cfg.Flows[0].LimitedTransmit = true
	res, _ = runTrace(t, cfg)
	assert.EqualValues(t, 0, res.Flows[0].Timeouts)
	assert.EqualValues(t, 1, res.Flows[0].FastRecoveries)
}

func TestLimitedTransmitIsLeftOutOfFlightSize(t *testing.T) {
	// RFC 5681 3.2 step 2: "When [RFC3042] is in use, additional data sent
	// in limited transmit MUST NOT be included in this calculation." The
	// two limited-transmit segments raise FlightSize to 11000 by the third
	// duplicate ACK, yet ssthresh is still 9000/2 = 4500, as without them.
	for _, v := range []Variant{VariantReno, VariantNewReno, VariantTahoe} {
		t.Run(string(v), func(t *testing.T) {
			cfg := scriptConfig(v, 30000, Drop{Seq: 5001})
			cfg.Flows[0].LimitedTransmit = true
			res, got := runTrace(t, cfg)
			want := append([]row(nil), singleDropPrefix...)
			if v == VariantTahoe {
				want[7] = row{EventFastRetransmit, 5001, 1000, 4500, SlowStart}
			}
			expectRows(t, got, want)
			assert.Equal(t, 10000, got[5].Flight, "first duplicate ACK sent one new segment")
			assert.Equal(t, 11000, got[6].Flight, "second duplicate ACK sent one more")
			assert.True(t, res.Flows[0].Done)
			assert.EqualValues(t, 0, res.Flows[0].Timeouts)
		})
	}
}

func TestNewRenoIgnoresDupAcksBelowRecoverAfterTimeout(t *testing.T) {
	w := NewWindow(1000, 0, 0)
	NewReno{}.OnTimeout(&w, Timeout{Flight: 8000, High: 12000})
	assert.EqualValues(t, 12000, w.Recover)
	for i := 0; i < 3; i++ {
		act := Step(NewReno{}, &w, Ack{Kind: DupAck, Ack: 9001, Flight: 3000, High: 12000})
		assert.Equal(t, EventDupAck, act.Event)
		assert.False(t, act.Retransmit)
	}
	assert.Equal(t, SlowStart, w.State)

	// Reno (RFC 5681 has no "recover") does fast-retransmit here.
	w = NewWindow(1000, 0, 0)
	Reno{}.OnTimeout(&w, Timeout{Flight: 8000, High: 12000})
	var act Action
	for i := 0; i < 3; i++ {
		act = Step(Reno{}, &w, Ack{Kind: DupAck, Ack: 9001, Flight: 3000, High: 12000})
	}
	assert.True(t, act.Retransmit)
	assert.Equal(t, FastRecovery, w.State)
}

func TestNewRenoRestartsTimerOnlyOnFirstPartialAck(t *testing.T) {
	w := NewWindow(1000, 10000, 0)
	for i := 0; i < 3; i++ {
		Step(NewReno{}, &w, Ack{Kind: DupAck, Ack: 1001, Flight: 10000, High: 10000})
	}
	require.Equal(t, FastRecovery, w.State)
	a1 := Step(NewReno{}, &w, Ack{Kind: NewAck, Ack: 3001, Acked: 2000, High: 10000})
	a2 := Step(NewReno{}, &w, Ack{Kind: NewAck, Ack: 5001, Acked: 2000, High: 10000})
	assert.Equal(t, EventPartialAck, a1.Event)
	assert.False(t, a1.KeepTimer)
	assert.True(t, a2.KeepTimer)
	a3 := Step(NewReno{}, &w, Ack{Kind: NewAck, Ack: 10001, Acked: 5000, High: 10000})
	assert.Equal(t, EventRecoveryExit, a3.Event)
	assert.Equal(t, 5000, w.Cwnd)
}

func TestSameSeedSameRun(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Link.Loss = 0.01
	cfg.Duration = 20 * time.Second
	cfg.Seed = 7
	a, _ := runTrace(t, cfg)
	b, _ := runTrace(t, cfg)
	assert.Equal(t, a.Trace, b.Trace)
	cfg.Seed = 8
	c, _ := runTrace(t, cfg)
	assert.NotEqual(t, a.Trace, c.Trace, "another seed loses other packets")
}
