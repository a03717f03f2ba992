package reno

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigErrorsNameTheField(t *testing.T) {
	cases := []struct {
		field string
		edit  func(*Config)
	}{
		{"Link.Loss", func(c *Config) { c.Link.Loss = 1 }},
		{"Link.Loss", func(c *Config) { c.Link.Loss = -0.1 }},
		{"Link.Bandwidth", func(c *Config) { c.Link.Bandwidth = -5 }},
		{"Flows[0].MSS", func(c *Config) { c.Flows[0].MSS = -1 }},
		{"Link.Buffer", func(c *Config) { c.Link.Buffer = -1 }},
		{"Flows[0].Variant", func(c *Config) { c.Flows[0].Variant = "bbr" }},
		{"Link.Delay", func(c *Config) { c.Link.Delay = -time.Millisecond }},
		{"Duration", func(c *Config) { c.Duration = -1 }},
		{"Warmup", func(c *Config) { c.Warmup = c.Duration }},
		{"Link.Drops[0].Flow", func(c *Config) { c.Link.Drops = []Drop{{Flow: 3, Seq: 1}} }},
		{"RTO.Min", func(c *Config) { c.RTO.Min = -1 }},
		{"DelayedAckTimeout", func(c *Config) { c.DelayedAckTimeout = time.Second }},
	}
	for _, tc := range cases {
		cfg := DefaultConfig()
		tc.edit(&cfg)
		_, err := New(cfg)
		require.Error(t, err, tc.field)
		assert.Contains(t, err.Error(), tc.field)
		assert.True(t, errors.Is(err, ErrInvalidConfig))
	}
	_, err := New(DefaultConfig())
	assert.NoError(t, err)
}

// TestZeroConfigMeansDefault: a zero field means its default, as in
// net/http, so Config{} simulates what DefaultConfig does, and a zero
// flow is a Reno flow with the default MSS.
func TestZeroConfigMeansDefault(t *testing.T) {
	d := DefaultConfig()
	got := Config{}.withDefaults()
	got.Seed = d.Seed // meaningful at zero: kept as given
	got.RTO.Granularity = d.RTO.Granularity
	got.Link.Delay = d.Link.Delay
	assert.Equal(t, d, got)
	require.NoError(t, Config{}.Validate())
	two := Config{Flows: []FlowConfig{{}, {Variant: VariantCubic}}, Duration: 2 * time.Second}
	a, err := New(two)
	require.NoError(t, err)
	withDefaults := DefaultConfig()
	withDefaults.Seed, withDefaults.RTO.Granularity, withDefaults.Link.Delay = 0, 0, 0
	withDefaults.Duration = 2 * time.Second
	withDefaults.Flows = []FlowConfig{DefaultFlow(VariantReno), DefaultFlow(VariantCubic)}
	b, err := New(withDefaults)
	require.NoError(t, err)
	ra, err := a.Run(t.Context())
	require.NoError(t, err)
	rb, err := b.Run(t.Context())
	require.NoError(t, err)
	assert.Equal(t, rb.Flows, ra.Flows, "zero fields simulate exactly as their defaults")
	assert.Empty(t, two.Flows[0].Variant, "the caller's slice is not modified")
}

func TestParseVariant(t *testing.T) {
	for _, v := range Variants {
		got, err := ParseVariant(strings.ToUpper(string(v)))
		require.NoError(t, err)
		assert.Equal(t, v, got)
		cc, err := NewCongestionControl(v)
		require.NoError(t, err)
		assert.Equal(t, string(v), cc.Name())
	}
	_, err := ParseVariant("vegas")
	assert.ErrorIs(t, err, ErrInvalidConfig)
	_, err = NewCongestionControl("vegas")
	assert.Error(t, err)
}

func TestRunTwiceAndCancel(t *testing.T) {
	sim, err := New(DefaultConfig())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = sim.Run(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	_, err = sim.Run(context.Background())
	assert.Error(t, err)

	// Cancelled part way: the summary of the time covered, and progress
	// reports on the way.
	cfg := DefaultConfig()
	cfg.Duration = time.Hour
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var reports []time.Duration
	cfg.Progress = func(d time.Duration) {
		reports = append(reports, d)
		if d > 10*time.Second {
			cancel()
		}
	}
	sim, err = New(cfg)
	require.NoError(t, err)
	res, err := sim.Run(ctx)
	assert.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, res)
	assert.Greater(t, res.Simulated, 10*time.Second)
	assert.Less(t, res.Simulated, time.Minute)
	assert.Greater(t, res.Flows[0].Goodput, 1e6)
	assert.IsIncreasing(t, reports)
}

func TestDropTailBufferFillsTheLink(t *testing.T) {
	// 10 Mb/s, 100 ms: the bandwidth-delay product is 125 segments. With a
	// buffer of one BDP, Reno keeps the link busy and only loses packets to
	// overflow.
	cfg := DefaultConfig()
	cfg.Link.Buffer = 125
	cfg.Duration = 60 * time.Second
	cfg.Warmup = 10 * time.Second
	res, _ := runTrace(t, cfg)
	f := res.Flows[0]
	assert.Greater(t, res.Utilization, 0.97)
	assert.LessOrEqual(t, res.Utilization, 1.0)
	assert.Greater(t, f.Losses, int64(0))
	for _, r := range res.Trace {
		if r.Event == EventLoss {
			assert.Equal(t, CauseOverflow, r.Cause)
		}
	}
	// The queue adds delay: SRTT is above the 100 ms propagation RTT.
	assert.Greater(t, f.SRTT, 110*time.Millisecond)
}

func TestSeveralFlowsShareFairly(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Flows = []FlowConfig{DefaultFlow(VariantNewReno), DefaultFlow(VariantNewReno), DefaultFlow(VariantNewReno)}
	cfg.Flows[1].Start = 500 * time.Millisecond
	cfg.Flows[2].Start = time.Second
	cfg.Duration = 200 * time.Second
	cfg.Warmup = 20 * time.Second
	res := runSim(t, cfg)
	require.Len(t, res.Flows, 3)
	assert.Greater(t, res.Fairness, 0.9)
	assert.Greater(t, res.Utilization, 0.9)
	for _, f := range res.Flows {
		assert.Greater(t, f.Goodput, 1e6)
	}

	// A flow with four times the RTT gets less: RTT unfairness.
	cfg.Flows = []FlowConfig{DefaultFlow(VariantReno), DefaultFlow(VariantReno)}
	cfg.Flows[1].ExtraDelay = 300 * time.Millisecond
	cfg.Link.Buffer = 125
	res = runSim(t, cfg)
	assert.Greater(t, res.Flows[0].Goodput, 2*res.Flows[1].Goodput)
	assert.Less(t, res.Fairness, 0.9)
}

func TestJain(t *testing.T) {
	assert.InDelta(t, 1, Jain([]float64{3, 3, 3}), 1e-12)
	assert.InDelta(t, 0.25, Jain([]float64{8, 0, 0, 0}), 1e-12)
	assert.InDelta(t, 0.9, Jain([]float64{1, 2}), 1e-12) // 9 / (2*5)
	assert.Zero(t, Jain(nil))
}

func TestTraceCSVStreamMatchesKeptTrace(t *testing.T) {
	var buf bytes.Buffer
	cfg := scriptConfig(VariantNewReno, 30000, Drop{Seq: 5001}, Drop{Seq: 7001})
	cfg.TraceCSV = &buf
	cfg.KeepTrace = true
	var seen int
	cfg.OnEvent = func(Record) { seen++ }
	res := runSim(t, cfg)
	assert.Equal(t, len(res.Trace), seen)

	var again bytes.Buffer
	require.NoError(t, WriteCSV(&again, res.Trace))
	assert.Equal(t, again.String(), buf.String())

	rows, err := csv.NewReader(&buf).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, len(res.Trace)+1)
	assert.Equal(t, strings.TrimSpace(CSVHeader), strings.Join(rows[0], ","))
	assert.Equal(t, []string{"0.100080", "0", "loss", "5001", "5000", "inf", "ss", "4000", "1.000", "scripted"}, rows[1])
	var events []string
	for _, r := range rows[1:] {
		events = append(events, r[2])
	}
	assert.Contains(t, events, "fast-retransmit")
	assert.Contains(t, events, "partial-ack")
	assert.Contains(t, events, "recovery-exit")
	assert.Equal(t, "done", events[len(events)-1])
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestTraceCSVWriteErrorIsReported(t *testing.T) {
	cfg := scriptConfig(VariantReno, 300000)
	cfg.TraceCSV = failWriter{}
	sim, err := New(cfg)
	require.NoError(t, err)
	_, err = sim.Run(context.Background())
	assert.ErrorContains(t, err, "disk full")
}

func TestNarratorPrintsTransitions(t *testing.T) {
	var out bytes.Buffer
	cfg := scriptConfig(VariantReno, 30000, Drop{Seq: 5001}, Drop{Seq: 7001}, Drop{Seq: 9001})
	cfg.OnEvent = NewNarrator(&out, cfg).Observe
	runSim(t, cfg)
	want := `[t=0.20s] 3 dup ACKs -> fast recovery, cwnd=7.5 ssthresh=4.5 (segments)
[t=0.30s] new ACK -> leave fast recovery, cwnd=4.5 ssthresh=4.5 (segments)
[t=1.30s] timeout (RTO now 2.00s) -> slow start, cwnd=1.0 ssthresh=4.0 (segments)
[t=1.60s] cwnd reached ssthresh -> congestion avoidance, cwnd=4.0 ssthresh=4.0 (segments)
[t=1.90s] all data acknowledged, cwnd=6.7 ssthresh=4.0 (segments)
`
	assert.Equal(t, want, out.String())
}

func TestInsertSpan(t *testing.T) {
	var l []span
	l = insertSpan(l, span{10, 20})
	l = insertSpan(l, span{30, 40})
	l = insertSpan(l, span{0, 5})
	assert.Equal(t, []span{{0, 5}, {10, 20}, {30, 40}}, l)
	l = insertSpan(l, span{20, 30})
	assert.Equal(t, []span{{0, 5}, {10, 40}}, l)
	l = insertSpan(l, span{3, 12})
	assert.Equal(t, []span{{0, 40}}, l)
}

func TestEventQueueOrder(t *testing.T) {
	var q eventQueue
	times := []int64{5, 1, 9, 1, 3, 7, 1, 0, 8}
	for i, at := range times {
		q.push(event{at: at, seq: int64(i)})
	}
	var prev event
	for i := 0; q.len() > 0; i++ {
		e := q.pop()
		if i > 0 {
			assert.True(t, prev.at < e.at || (prev.at == e.at && prev.ord < e.ord))
		}
		prev = e
	}
	// Ties keep scheduling order.
	for i := 0; i < 5; i++ {
		q.push(event{at: 1, seq: int64(i)})
	}
	for i := 0; i < 5; i++ {
		assert.EqualValues(t, i, q.pop().seq)
	}
}

// runSim runs cfg to its end; New or Run failing fails the test.
func runSim(tb testing.TB, cfg Config) *Result {
	tb.Helper()
	sim, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := sim.Run(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return res
}
