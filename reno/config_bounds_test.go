package reno

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestValidateAtEveryBound sets each field of a default config to the last
// valid value and to the first invalid one beside it: the valid one passes,
// the invalid one fails with ErrInvalidConfig and a message naming the field.
func TestValidateAtEveryBound(t *testing.T) {
	two := func(c *Config) { c.Flows = []FlowConfig{DefaultFlow(VariantReno), DefaultFlow(VariantCubic)} }
	cases := []struct {
		field string // "" when the edit is valid
		edit  func(*Config)
	}{
		{"", func(c *Config) { c.Link.Bandwidth = math.SmallestNonzeroFloat64 }},
		{"Link.Bandwidth", func(c *Config) { c.Link.Bandwidth = math.Inf(1) }},
		{"Link.Bandwidth", func(c *Config) { c.Link.Bandwidth = math.NaN() }},
		{"", func(c *Config) { c.Link.Delay = 0 }},
		{"Link.Delay", func(c *Config) { c.Link.Delay = -1 }},
		{"", func(c *Config) { c.Link.Buffer = 1 }},
		{"Link.Buffer", func(c *Config) { c.Link.Buffer = -1 }},
		{"", func(c *Config) { c.Link.Loss = 0 }},
		{"", func(c *Config) { c.Link.Loss = math.Nextafter(1, 0) }},
		{"Link.Loss", func(c *Config) { c.Link.Loss = 1 }},
		{"Link.Loss", func(c *Config) { c.Link.Loss = math.Nextafter(0, -1) }},
		{"Link.Loss", func(c *Config) { c.Link.Loss = math.NaN() }},
		{"", func(c *Config) { c.Link.Pattern = LossPeriodic }},
		{"Link.Pattern", func(c *Config) { c.Link.Pattern = LossPeriodic + 1 }},
		{"", func(c *Config) { two(c); c.Link.Drops = []Drop{{Flow: 1, Seq: 1, Copy: maxScriptedCopy - 1}} }},
		{"", func(c *Config) { c.Link.Drops = []Drop{{Flow: 0, Seq: 1, Copy: 0}} }},
		{"Link.Drops[0].Flow", func(c *Config) { two(c); c.Link.Drops = []Drop{{Flow: 2, Seq: 1}} }},
		{"Link.Drops[1].Flow", func(c *Config) { c.Link.Drops = []Drop{{Seq: 1}, {Flow: -1, Seq: 1}} }},
		{"Link.Drops[0]: Seq", func(c *Config) { c.Link.Drops = []Drop{{Seq: 0}} }},
		{"Link.Drops[0]: Seq", func(c *Config) { c.Link.Drops = []Drop{{Seq: 1, Copy: -1}} }},
		{"Link.Drops[0]: Seq", func(c *Config) { c.Link.Drops = []Drop{{Seq: 1, Copy: maxScriptedCopy}} }},
		{"", func(c *Config) { c.RTO.Initial = 1 }},
		{"RTO.Initial", func(c *Config) { c.RTO.Initial = -1 }},
		{"", func(c *Config) { c.RTO.Min = 1 }},
		{"RTO.Min", func(c *Config) { c.RTO.Min = -1 }},
		{"", func(c *Config) { c.RTO.Min, c.RTO.Max = 2*time.Second, 2*time.Second }},
		{"RTO.Max", func(c *Config) { c.RTO.Min, c.RTO.Max = 2*time.Second, 2*time.Second-1 }},
		{"", func(c *Config) { c.RTO.Granularity = 0 }},
		{"RTO.Granularity", func(c *Config) { c.RTO.Granularity = -1 }},
		{"", func(c *Config) { c.DelayedAckTimeout = 1 }},
		{"", func(c *Config) { c.DelayedAckTimeout = 500*time.Millisecond - 1 }},
		{"DelayedAckTimeout", func(c *Config) { c.DelayedAckTimeout = 500 * time.Millisecond }},
		{"DelayedAckTimeout", func(c *Config) { c.DelayedAckTimeout = -1 }},
		{"", func(c *Config) { c.Duration, c.Warmup = 1, 0 }},
		{"Duration", func(c *Config) { c.Duration = -1 }},
		{"", func(c *Config) { c.Warmup = c.Duration - 1 }},
		{"Warmup", func(c *Config) { c.Warmup = c.Duration }},
		{"Warmup", func(c *Config) { c.Warmup = -1 }},
		{"", func(c *Config) { c.Flows[0].MSS = 1 }},
		{"Flows[0].MSS", func(c *Config) { c.Flows[0].MSS = -1 }},
		{"", func(c *Config) { c.Flows[0].Start = 0 }},
		{"Flows[1].Start", func(c *Config) { two(c); c.Flows[1].Start = -1 }},
		{"", func(c *Config) { c.Flows[0].Bytes = 0 }},
		{"Flows[0].Bytes", func(c *Config) { c.Flows[0].Bytes = -1 }},
		{"", func(c *Config) { c.Flows[0].ExtraDelay = 0 }},
		{"Flows[0].ExtraDelay", func(c *Config) { c.Flows[0].ExtraDelay = -1 }},
		{"", func(c *Config) { c.Flows[0].InitialWindow = 1 }},
		{"Flows[0].InitialWindow", func(c *Config) { c.Flows[0].InitialWindow = -1 }},
		{"", func(c *Config) { c.Flows[0].InitialSsthresh = 1 }},
		{"Flows[0].InitialSsthresh", func(c *Config) { c.Flows[0].InitialSsthresh = -1 }},
		{"", func(c *Config) { c.Flows[0].Variant = " CUBIC " }},
		{"", func(c *Config) { c.Flows[0] = FlowConfig{Variant: "bbr", Control: NewReno{}} }},
		{"Flows[0].Variant", func(c *Config) { c.Flows[0].Variant = "bbr" }},
	}
	for i, tc := range cases {
		cfg := DefaultConfig()
		tc.edit(&cfg)
		err := cfg.Validate()
		if tc.field == "" {
			assert.NoError(t, err, "case %d", i)
			continue
		}
		if assert.Error(t, err, "case %d: %s", i, tc.field) {
			assert.Contains(t, err.Error(), "reno: invalid config: "+tc.field, "case %d", i)
			assert.True(t, errors.Is(err, ErrInvalidConfig), "case %d", i)
		}
	}
}

// TestWithDefaultsFillsOnlyZeroFields: every zero field with a default gets
// DefaultConfig's value, a set field is kept, the caller's Flows slice is
// copied, and RTO.Max is at least RTO.Min.
func TestWithDefaultsFillsOnlyZeroFields(t *testing.T) {
	d := DefaultConfig()
	z := Config{}.withDefaults()
	assert.Equal(t, LinkConfig{Bandwidth: d.Link.Bandwidth, Buffer: d.Link.Buffer}, z.Link, "a zero delay is meaningful")
	assert.Equal(t, d.Flows, z.Flows)
	assert.Equal(t, d.RTO.Initial, z.RTO.Initial)
	assert.Equal(t, d.RTO.Min, z.RTO.Min)
	assert.Equal(t, d.RTO.Max, z.RTO.Max)
	assert.Zero(t, z.RTO.Granularity, "zero granularity is meaningful")
	assert.Equal(t, d.DelayedAckTimeout, z.DelayedAckTimeout)
	assert.Equal(t, d.Duration, z.Duration)
	assert.Zero(t, z.Seed)

	flows := []FlowConfig{{}, {Control: NewReno{}, MSS: 1460}, {Variant: VariantCubic}}
	c := Config{Flows: flows, RTO: RTOConfig{Min: 90 * time.Second, Initial: 2 * time.Second},
		Link: LinkConfig{Bandwidth: 5e6, Buffer: 7}, DelayedAckTimeout: time.Millisecond, Duration: time.Second}.withDefaults()
	assert.Equal(t, []FlowConfig{
		{Variant: VariantReno, MSS: 1000}, {Control: NewReno{}, MSS: 1460}, {Variant: VariantCubic, MSS: 1000},
	}, c.Flows)
	assert.Equal(t, FlowConfig{}, flows[0], "the caller's slice is not written")
	assert.Equal(t, 90*time.Second, c.RTO.Max, "RTO.Max defaults to at least RTO.Min")
	assert.Equal(t, 2*time.Second, c.RTO.Initial)
	assert.Equal(t, 5e6, c.Link.Bandwidth)
	assert.Equal(t, 7, c.Link.Buffer)
	assert.Equal(t, time.Millisecond, c.DelayedAckTimeout)
	assert.Equal(t, time.Second, c.Duration)
	require.NoError(t, c.Validate())
	c.RTO.Min = 30 * time.Second
	c.RTO.Max = 0
	assert.Equal(t, 60*time.Second, c.withDefaults().RTO.Max, "the default 60 s when RTO.Min is below it")
}

// TestParseVariantNamesEveryVariant: every variant parses, whatever its case
// and surrounding space; an unknown name's error lists the known ones in
// historical order.
func TestParseVariantNamesEveryVariant(t *testing.T) {
	for _, v := range Variants {
		got, err := ParseVariant(" " + string(v) + "\t")
		require.NoError(t, err)
		assert.Equal(t, v, got)
	}
	_, err := ParseVariant("bbr")
	require.ErrorIs(t, err, ErrInvalidConfig)
	assert.Equal(t, `invalid config: unknown variant "bbr" (want tahoe, reno, newreno, sack, cubic)`, err.Error())
}
