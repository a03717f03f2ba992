package reno

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRoundModelByHand: without loss, a window of 2.5 packets below an
// ssthresh of 5 sends 2, doubles to 5 (= ssthresh: congestion avoidance),
// then adds one per round; every round's record gives cwnd and ssthresh in
// bytes at the end of the round, the whole packets in flight, no RTO.
func TestRoundModelByHand(t *testing.T) {
	res, err := RunRounds(RoundConfig{Variant: VariantReno, RTT: 100 * time.Millisecond, MSS: 1000, Rounds: 4, InitialCwnd: 2.5, InitialSsthresh: 5})
	require.NoError(t, err)
	want := []Round{
		{N: 0, Cwnd: 2.5, Ssthresh: 5, Sent: 2, Delivered: 2, Event: EventNewAck},
		{N: 1, Cwnd: 5, Ssthresh: 5, Sent: 5, Delivered: 5, Event: EventNewAck},
		{N: 2, Cwnd: 6, Ssthresh: 5, Sent: 6, Delivered: 6, Event: EventNewAck},
		{N: 3, Cwnd: 7, Ssthresh: 5, Sent: 7, Delivered: 7, Event: EventNewAck},
	}
	assert.Equal(t, want, res.Rounds)
	ms := time.Millisecond
	assert.Equal(t, []Record{
		{Time: 100 * ms, Event: EventNewAck, Cwnd: 5000, Ssthresh: 5000, State: CongestionAvoidance, Flight: 5000},
		{Time: 200 * ms, Event: EventNewAck, Cwnd: 6000, Ssthresh: 5000, State: CongestionAvoidance, Flight: 6000},
		{Time: 300 * ms, Event: EventNewAck, Cwnd: 7000, Ssthresh: 5000, State: CongestionAvoidance, Flight: 7000},
		{Time: 400 * ms, Event: EventNewAck, Cwnd: 8000, Ssthresh: 5000, State: CongestionAvoidance, Flight: 8000},
	}, res.Trace)
	assert.InDelta(t, 20*8000/0.4, res.Throughput, 1e-6)
	assert.Zero(t, res.LossEvents)

	// Defaults: cwnd 1, ssthresh unbounded (InfiniteSsthresh in records).
	res, err = RunRounds(RoundConfig{Variant: VariantTahoe, RTT: time.Second, MSS: 1, Rounds: 1})
	require.NoError(t, err)
	assert.Equal(t, []Round{{N: 0, Cwnd: 1, Ssthresh: math.Inf(1), Sent: 1, Delivered: 1, Event: EventNewAck}}, res.Rounds)
	assert.Equal(t, Record{Time: time.Second, Event: EventNewAck, Cwnd: 2, Ssthresh: InfiniteSsthresh, State: SlowStart, Flight: 2}, res.Trace[0])
	assert.InDelta(t, 8, res.Throughput, 1e-12)
}

// TestRoundModelEveryPacketLost: at the largest loss rate below 1 every
// packet is lost: each round is a timeout that halves (to at least 2) and
// restarts from one packet, charging one RTT.
func TestRoundModelEveryPacketLost(t *testing.T) {
	res, err := RunRounds(RoundConfig{Variant: VariantReno, Loss: math.Nextafter(1, 0), RTT: time.Second, MSS: 1000, Rounds: 3, InitialCwnd: 10})
	require.NoError(t, err)
	assert.Equal(t, []Round{
		{N: 0, Cwnd: 10, Ssthresh: math.Inf(1), Sent: 10, Event: EventTimeout},
		{N: 1, Cwnd: 1, Ssthresh: 5, Sent: 1, Event: EventTimeout},
		{N: 2, Cwnd: 1, Ssthresh: 2, Sent: 1, Event: EventTimeout},
	}, res.Rounds)
	assert.Equal(t, Record{Time: time.Second, Event: EventTimeout, Cwnd: 1000, Ssthresh: 5000, State: SlowStart, Flight: 1000, RTO: time.Second}, res.Trace[0])
	assert.Equal(t, 3, res.LossEvents)
	assert.Equal(t, 3, res.Timeouts)
	assert.Zero(t, res.FastRecoveries)
	assert.Zero(t, res.Throughput)
}

// TestRoundConfigBounds: each field at its last valid value and its first
// invalid one.
func TestRoundConfigBounds(t *testing.T) {
	for i, c := range []struct {
		field string // "" when valid
		edit  func(*RoundConfig)
	}{
		{"", func(c *RoundConfig) { c.Loss = 0 }},
		{"", func(c *RoundConfig) { c.Loss = math.Nextafter(1, 0) }},
		{"RoundConfig.Loss", func(c *RoundConfig) { c.Loss = math.Nextafter(0, -1) }},
		{"RoundConfig.Loss", func(c *RoundConfig) { c.Loss = math.NaN() }},
		{"", func(c *RoundConfig) { c.RTT = 1 }},
		{"RoundConfig.RTT", func(c *RoundConfig) { c.RTT = -1 }},
		{"", func(c *RoundConfig) { c.MSS = 1 }},
		{"RoundConfig.MSS", func(c *RoundConfig) { c.MSS = -1 }},
		{"", func(c *RoundConfig) { c.Rounds = 1 }},
		{"RoundConfig.Rounds", func(c *RoundConfig) { c.Rounds = -1 }},
		{"", func(c *RoundConfig) { c.InitialCwnd, c.InitialSsthresh = 0, 0 }},
		{"RoundConfig.InitialCwnd", func(c *RoundConfig) { c.InitialCwnd = -1 }},
		{"RoundConfig.InitialCwnd", func(c *RoundConfig) { c.InitialSsthresh = -1 }},
		{"", func(c *RoundConfig) { c.Variant = VariantNewReno }},
	} {
		cfg := DefaultRoundConfig()
		cfg.Rounds = 3
		c.edit(&cfg)
		_, err := RunRounds(cfg)
		if c.field == "" {
			assert.NoError(t, err, "case %d", i)
			continue
		}
		assert.ErrorIs(t, err, ErrInvalidConfig, "case %d", i)
		assert.ErrorContains(t, err, "reno: invalid config: "+c.field, "case %d", i)
	}
}
