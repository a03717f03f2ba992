package reno

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cubicResponse is RFC 9438's average window under periodic loss (section
// 5.1), in segments: (C(3+beta)/(4(1-beta)))^(1/4) * RTT^(3/4) / p^(3/4).
func cubicResponse(rtt time.Duration, p float64) float64 {
	const c, beta = 0.4, 0.7
	return math.Pow(c*(3+beta)/(4*(1-beta)), 0.25) * math.Pow(rtt.Seconds(), 0.75) / math.Pow(p, 0.75)
}

// TestCubicTrajectoryAfterLoss: 200 segments in flight in congestion
// avoidance, one loss. From the trace alone: W_max is the window at the third
// duplicate ACK, ssthresh = 0.7 of the flight, K = cbrt((W_max -
// cwnd_epoch)/C); after recovery the window at each RTT must follow
// W_cubic(t) = C(t-K)^3 + W_max.
func TestCubicTrajectoryAfterLoss(t *testing.T) {
	cfg := scriptConfig(VariantCubic, 0, Drop{Seq: 1001})
	cfg.Flows[0].InitialWindow = 200000
	cfg.Flows[0].InitialSsthresh = 200000
	cfg.Link.Buffer = 1000
	cfg.Duration = 12 * time.Second
	_, got := runTrace(t, cfg)
	var wmax, ssthresh float64
	var epoch time.Duration
	var rows []Record
	for i, r := range got {
		if r.Event == EventFastRetransmit && wmax == 0 {
			wmax = float64(got[i-1].Cwnd) / 1000
			ssthresh = float64(r.Ssthresh) / 1000
		}
		if r.Event == EventRecoveryExit && epoch == 0 {
			epoch = r.Time
		}
		if epoch != 0 && r.Event == EventNewAck {
			rows = append(rows, r)
		}
	}
	require.NotZero(t, epoch)
	assert.InDelta(t, 200, wmax, 1)
	assert.InDelta(t, 0.7*200, ssthresh, 1, "ssthresh = beta * FlightSize")
	k := math.Cbrt((wmax - ssthresh) / 0.4)
	t.Logf("W_max %.1f segments, cwnd_epoch %.1f, K %.2f s", wmax, ssthresh, k)
	rtt := 100 * time.Millisecond
	checked := 0
	next := epoch + rtt
	for _, r := range rows {
		if r.Time < next {
			continue
		}
		tt := (r.Time - epoch).Seconds()
		want := 0.4*math.Pow(tt-k, 3) + wmax
		cwnd := float64(r.Cwnd) / 1000
		// cwnd moves toward W(t+RTT) over each RTT: it never passes that,
		// and stays within 2% of W(t) (it lags by a fraction of an RTT
		// where the curve is steep).
		hi := 0.4*math.Pow(tt+rtt.Seconds()-k, 3) + wmax
		assert.InDelta(t, want, cwnd, 0.02*want, "t=%.2f", tt)
		assert.LessOrEqual(t, cwnd, hi+1, "t=%.2f", tt)
		if checked%10 == 0 {
			t.Logf("t=%5.2fs cwnd %6.1f  W(t) %6.1f  W(t+RTT) %6.1f", tt, cwnd, want, hi)
		}
		checked++
		next += rtt
	}
	assert.Greater(t, checked, 90, "RTTs checked")
}

// TestCubicResponseFunction: periodic loss, RTT 200 ms, p small enough that
// the cubic region applies (the Reno-friendly window would be about half):
// the average window is within 10% of RFC 9438's response function. It runs
// 4-10% below: the function assumes cwnd is W(t) all the time, while a real
// sender spends the detection and recovery round trips of each cycle at the
// old peak and at beta*W_max before the curve starts (about 2 RTTs in a
// cycle of K = 6-9 s).
func TestCubicResponseFunction(t *testing.T) {
	for _, c := range []struct {
		rtt time.Duration
		p   float64
	}{{200 * time.Millisecond, 1e-4}, {400 * time.Millisecond, 1e-4}, {200 * time.Millisecond, 3e-5}} {
		cfg := modelConfig(c.p, LossPeriodic, 1)
		cfg.Link.Delay = c.rtt / 2
		cfg.Flows[0].Variant = VariantCubic
		cfg.Duration = 250 * time.Second
		cfg.Warmup = 40 * time.Second
		late := 0
		cfg.OnEvent = func(r Record) {
			if r.Event == EventTimeout && r.Time >= cfg.Warmup {
				late++
			}
		}
		f := runSummary(t, cfg)
		avg := f.Throughput / 8000 * f.SRTT.Seconds()
		model := cubicResponse(f.SRTT, c.p)
		reno := RenoCycle(1000, f.SRTT, c.p) / 8000 * f.SRTT.Seconds()
		t.Logf("RTT %v p %g: average window %.1f segments, RFC 9438 %.1f (ratio %.3f), Reno would have %.1f",
			c.rtt, c.p, avg, model, avg/model, reno)
		assert.InDelta(t, 1, avg/model, 0.10)
		assert.Greater(t, avg, 1.8*reno, "the cubic region: well above Reno")
		assert.Zero(t, late, "no timeout after the warm-up")
	}
}

// TestCubicBeatsRenoOnLongFatPipe: 1 Gb/s, 100 ms (a BDP of 8333 segments)
// and one loss in 50000 packets. Reno's window, about 1.2/sqrt(p) = 270
// segments, fills 3% of the pipe; CUBIC's grows by time and reaches the
// RFC 9438 window. The expected margin is the ratio of the two response
// functions (RFC 9438 for CUBIC, the cycle model for Reno); the simulated
// ratio is within 15% of it.
func TestCubicBeatsRenoOnLongFatPipe(t *testing.T) {
	const p = 2e-5
	rate := map[Variant]float64{}
	var srtt time.Duration
	for _, v := range []Variant{VariantReno, VariantCubic} {
		cfg := modelConfig(p, LossPeriodic, 1)
		cfg.Link.Bandwidth = 1e9
		cfg.Link.Buffer = 8333
		cfg.Flows[0] = FlowConfig{Variant: v, MSS: 1000, WholeSegments: true, LimitedTransmit: true, SACK: true,
			InitialSsthresh: 1000000} // 1000 segments: slow start does not flood the buffer
		cfg.Duration = 150 * time.Second
		cfg.Warmup = 30 * time.Second
		f := runSummary(t, cfg)
		rate[v], srtt = f.Throughput, f.SRTT
		t.Logf("%-6s %s, SRTT %v, %d timeouts", v, Rate(f.Throughput), f.SRTT, f.Timeouts)
	}
	want := cubicResponse(srtt, p) / (RenoCycleSegments(1000, srtt, p) / 8000 * srtt.Seconds())
	got := rate[VariantCubic] / rate[VariantReno]
	t.Logf("CUBIC/Reno %.2f, expected %.2f", got, want)
	assert.InDelta(t, want, got, 0.15*want)
	assert.Greater(t, got, 2.0)
}

// TestCubicAndRenoShareABottleneck: one CUBIC and one Reno flow, both with
// SACK as Linux runs them, through a 20 Mb/s drop-tail link with a one-BDP
// buffer (250 packets), RTT 100 ms to 200 ms as the queue fills. The loss is
// the buffer's and hits both at once. Between two losses CUBIC regains its
// 30% cut in K = cbrt(0.3 W_max/C), about 6-7 s, whatever the RTT, while
// Reno gains one segment per 150-200 ms and loses half, so CUBIC ends with
// about 85% of the link (Jain's index about 0.6); two CUBIC flows split it
// evenly.
func TestCubicAndRenoShareABottleneck(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Link.Bandwidth = 20e6
	cfg.Link.Buffer = 250
	cfg.Duration = 200 * time.Second
	cfg.Warmup = 20 * time.Second
	run := func(a, b Variant) *Result {
		cfg.Flows = []FlowConfig{DefaultFlow(a), DefaultFlow(b)}
		for i := range cfg.Flows {
			cfg.Flows[i].SACK = true
		}
		return runSim(t, cfg)
	}
	res := run(VariantCubic, VariantReno)
	c, r := res.Flows[0].Goodput, res.Flows[1].Goodput
	share := c / (c + r)
	t.Logf("CUBIC %s (%.0f%%), Reno %s, Jain's index %.3f, utilisation %.2f", Rate(c), 100*share, Rate(r), res.Fairness, res.Utilization)
	assert.InDelta(t, (c+r)*(c+r)/(2*(c*c+r*r)), res.Fairness, 1e-9)
	assert.Greater(t, share, 0.7, "CUBIC takes most of the link")
	assert.Less(t, share, 0.95, "Reno is not starved")
	assert.Less(t, res.Fairness, 0.75)
	assert.Greater(t, res.Utilization, 0.95)

	res = run(VariantCubic, VariantCubic)
	t.Logf("CUBIC %s and CUBIC %s, Jain's index %.3f", Rate(res.Flows[0].Goodput), Rate(res.Flows[1].Goodput), res.Fairness)
	assert.Greater(t, res.Fairness, 0.99, "two CUBIC flows share evenly")
}

// TestHyStartLeavesSlowStartBeforeTheBufferOverflows: a 20 Mb/s link, RTT
// 100 ms, a one-BDP buffer of 250 packets. Plain slow start doubles until the
// buffer overflows and loses hundreds of packets in one window; HyStart++
// (RFC 9406) sees the round's minimum RTT rise as the queue builds and moves
// to conservative slow start (a quarter of the growth). Here CSS's five
// rounds still end in an overflow, but from a lower window, with a seventh
// of the losses.
func TestHyStartLeavesSlowStartBeforeTheBufferOverflows(t *testing.T) {
	run := func(hystart bool) (losses int64, exit Record) {
		cfg := DefaultConfig()
		cfg.Link.Bandwidth = 20e6
		cfg.Link.Buffer = 250
		cfg.Duration = 5 * time.Second
		cfg.Flows[0].Control = &Cubic{HyStart: hystart}
		cfg.Flows[0].SACK = true
		cfg.OnEvent = func(r Record) {
			if exit.Time == 0 && r.State != SlowStart {
				exit = r
			}
		}
		f := runSummary(t, cfg)
		return f.Losses, exit
	}
	plain, plainExit := run(false)
	hs, hsExit := run(true)
	t.Logf("plain slow start: %d losses, left slow start at %v (%s, cwnd %d)", plain, plainExit.Time, plainExit.Event, plainExit.Cwnd/1000)
	t.Logf("HyStart++:        %d losses, left slow start at %v (%s, cwnd %d)", hs, hsExit.Time, hsExit.Event, hsExit.Cwnd/1000)
	assert.Equal(t, EventFastRetransmit, plainExit.Event, "plain slow start ends in a loss")
	assert.Less(t, hs, plain/4)
	// The window at the loss: plain slow start reaches about BDP + buffer
	// plus the overshoot of the detection round; CSS arrives at BDP + buffer
	// (500 packets) slowly enough to stop near it.
	assert.Greater(t, plainExit.Cwnd, 600*1000)
	assert.Less(t, hsExit.Cwnd, 550*1000)
}

func TestCubicResponseModel(t *testing.T) {
	// The cubic region: RFC 9438's formula.
	assert.InDelta(t, 8000/0.2*cubicResponse(200*time.Millisecond, 1e-4), CubicResponse(1000, 200*time.Millisecond, 1e-4), 1e-6)
	// The Reno-friendly region (short RTT, high loss): Reno's sqrt(3/(2p)).
	assert.InDelta(t, Mathis(1000, 10*time.Millisecond, 0.05, 1), CubicResponse(1000, 10*time.Millisecond, 0.05), 1e-6)
	assert.True(t, math.IsInf(CubicResponse(1000, time.Second, 0), 1))
	assert.Zero(t, CubicResponse(1000, 0, 0.1))
}

// cubicAfterLoss is a Cubic controller that has just been through a loss at
// a window of w segments (1000 bytes each) and left fast recovery.
func cubicAfterLoss(t *testing.T, c *Cubic, w int) Window {
	t.Helper()
	win := NewWindow(1000, w*1000, w*1000)
	for i := 0; i < 3; i++ {
		Step(c, &win, Ack{Kind: DupAck, Ack: 1, Flight: w * 1000, High: int64(w) * 1000})
	}
	require.Equal(t, FastRecovery, win.State)
	Step(c, &win, Ack{Kind: NewAck, Ack: int64(w)*1000 + 1, Acked: 1000, High: int64(w) * 1000})
	require.Equal(t, CongestionAvoidance, win.State)
	return win
}

func TestCubicFastConvergence(t *testing.T) {
	c := NewCubic()
	win := cubicAfterLoss(t, c, 100)
	assert.InDelta(t, 100, c.WMax(), 1e-9)
	assert.Equal(t, 70000, win.Ssthresh, "beta = 0.7")
	// A second loss at 90 segments, below W_max: W_max = 90 (1+0.7)/2.
	win.Cwnd = 90000
	for i := 0; i < 3; i++ {
		Step(c, &win, Ack{Kind: DupAck, Ack: 100001, Flight: 90000, High: 200000})
	}
	assert.InDelta(t, 90*1.7/2, c.WMax(), 1e-9)
	// Without fast convergence W_max is the window at the loss.
	c = &Cubic{NoFastConvergence: true}
	win = cubicAfterLoss(t, c, 100)
	win.Cwnd = 90000
	for i := 0; i < 3; i++ {
		Step(c, &win, Ack{Kind: DupAck, Ack: 100001, Flight: 90000, High: 200000})
	}
	assert.InDelta(t, 90, c.WMax(), 1e-9)
}

// TestCubicRenoFriendlyRegion: at a 10 ms RTT and a window of 10 segments
// the cubic curve is nearly flat for seconds, and the Reno-friendly estimate
// W_est (alpha = 3(1-beta)/(1+beta) per RTT until it passes cwnd_prior,
// then 1) sets the window.
func TestCubicRenoFriendlyRegion(t *testing.T) {
	c := NewCubic()
	win := cubicAfterLoss(t, c, 10)
	rtt := 10 * time.Millisecond
	now := time.Duration(0)
	west := 7.0
	alpha := 3 * (1 - 0.7) / (1 + 0.7)
	seq := int64(10001)
	for round := 0; round < 50; round++ {
		n := win.Cwnd / 1000
		for i := 0; i < n; i++ {
			now += rtt / time.Duration(n)
			seq += 1000
			cw := float64(win.Cwnd) / 1000
			if west >= 10 {
				alpha = 1
			}
			west += alpha / cw
			Step(c, &win, Ack{Kind: NewAck, Ack: seq, Acked: 1000, High: seq + 100000, Now: now, SRTT: rtt})
		}
	}
	wc := c.W(now - c.st.epoch)
	t.Logf("after 50 RTTs: cwnd %.2f, W_est %.2f, W_cubic %.2f", float64(win.Cwnd)/1000, west, wc)
	assert.Greater(t, west, wc, "the Reno-friendly region")
	assert.InDelta(t, west, float64(win.Cwnd)/1000, 0.5, "cwnd follows W_est")
	assert.Greater(t, float64(win.Cwnd)/1000, 30.0, "about one segment per RTT, not the flat cubic")
}

// TestCubicAfterTimeout: ssthresh = beta * FlightSize, cwnd = 1, and the
// next congestion-avoidance stage starts with K = 0 and W_max = cwnd there.
func TestCubicAfterTimeout(t *testing.T) {
	c := NewCubic()
	win := cubicAfterLoss(t, c, 100)
	c.OnTimeout(&win, Timeout{Flight: 80000, High: 300000, Now: time.Second})
	assert.Equal(t, 56000, win.Ssthresh)
	assert.Equal(t, 1000, win.Cwnd)
	assert.Equal(t, SlowStart, win.State)
	c.OnTimeout(&win, Timeout{Flight: 1000, High: 300000, Repeat: true, Now: 2 * time.Second})
	assert.Equal(t, 56000, win.Ssthresh, "a repeated timeout leaves ssthresh")
	win.Cwnd = 56000 // slow start has reached ssthresh
	Step(c, &win, Ack{Kind: NewAck, Ack: 300001, Acked: 1000, High: 400000, Now: 3 * time.Second, SRTT: 100 * time.Millisecond})
	assert.Zero(t, c.K())
	assert.InDelta(t, 56, c.WMax(), 0.1)
}
