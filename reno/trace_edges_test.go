package reno

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNamesOfUnknownValues: an event, a loss cause or a state past the
// last named one is written as its number.
func TestNamesOfUnknownValues(t *testing.T) {
	assert.Equal(t, "done", EventDone.String())
	assert.Equal(t, "Event(8)", Event(EventDone+1).String())
	assert.Equal(t, "overflow", CauseOverflow.String())
	assert.Equal(t, "LossCause(4)", LossCause(CauseOverflow+1).String())
	r := Record{Time: 1500 * time.Millisecond, Flow: 2, Event: EventDone + 1, Seq: 7, Cwnd: 3000, Ssthresh: InfiniteSsthresh,
		State: FastRecovery + 1, Flight: 1000, RTO: time.Second, Cause: CauseOverflow + 1}
	assert.Equal(t, "1.500000,2,Event(8),7,3000,inf,3,1000,1.000,LossCause(4)\n", string(r.AppendCSV(nil)))
	r.State, r.Ssthresh = FastRecovery, InfiniteSsthresh-1
	assert.Equal(t, "1.500000,2,Event(8),7,3000,2147483646,fr,1000,1.000,LossCause(4)\n", string(r.AppendCSV(nil)))
}

// TestNarratorWindowUnits: windows are told in segments of the flow's MSS;
// for a flow the narrator was not told about, or one whose MSS it was told
// is 0, in bytes; an infinite ssthresh as "inf".
func TestNarratorWindowUnits(t *testing.T) {
	var out bytes.Buffer
	cfg := Config{Flows: []FlowConfig{{MSS: 1000}, {MSS: 0}}}
	n := NewNarrator(&out, cfg)
	for _, flow := range []int{0, 1, 2} {
		n.Observe(Record{Time: time.Second, Flow: flow, Event: EventDone, Cwnd: 1500, Ssthresh: InfiniteSsthresh})
	}
	assert.Equal(t, "[t=1.00s] flow 0: all data acknowledged, cwnd=1.5 ssthresh=inf (segments)\n"+
		"[t=1.00s] flow 1: all data acknowledged, cwnd=1500.0 ssthresh=inf (segments)\n"+
		"[t=1.00s] flow 2: all data acknowledged, cwnd=1500.0 ssthresh=inf (segments)\n", out.String())
}

// TestSweepEdges: the loss probabilities must lie in (0,1), checked before
// any run; the models use the first flow's propagation RTT (2 x Delay plus
// its ExtraDelay); the round model runs Duration/RTT rounds of it, and none
// without a propagation delay.
func TestSweepEdges(t *testing.T) {
	short := DefaultSweepConfig()
	short.Base.Duration, short.Base.Warmup = 2*time.Second, 0
	for i, losses := range [][]float64{{0}, {0.01, 1}, {0.01, -0.5}} {
		c := short
		c.Losses = losses
		_, err := Sweep(context.Background(), c)
		assert.ErrorIs(t, err, ErrInvalidConfig, "case %d", i)
		assert.ErrorContains(t, err, "reno: invalid config: SweepConfig.Losses[", "case %d", i)
	}

	c := short
	c.Losses = []float64{0.02}
	c.Base.Flows[0].ExtraDelay = 20 * time.Millisecond
	pts, err := Sweep(context.Background(), c)
	require.NoError(t, err)
	require.Len(t, pts, 1)
	rtt := 120 * time.Millisecond
	assert.Equal(t, Mathis(1000, rtt, 0.02, 1), pts[0].Mathis)
	assert.Equal(t, PFTK(1000, rtt, 0.02, 1, time.Second, 0), pts[0].PFTK)
	rr, err := RunRounds(RoundConfig{Variant: VariantReno, Loss: 0.02, RTT: rtt, MSS: 1000, Rounds: int(2 * time.Second / rtt), Seed: c.Base.Seed})
	require.NoError(t, err)
	assert.Equal(t, rr.Throughput, pts[0].Rounds)

	c.Base.Link.Delay, c.Base.Flows[0].ExtraDelay = 0, 0
	pts, err = Sweep(context.Background(), c)
	require.NoError(t, err)
	assert.Zero(t, pts[0].Rounds, "no round model without a propagation delay")
}
