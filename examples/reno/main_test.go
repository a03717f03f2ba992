package main

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func defaults() options {
	return options{variant: "reno", pattern: "random", loss: 0.01, bwMbps: 10, rtt: 100 * time.Millisecond,
		buffer: 50, mss: 1000, flows: 1, duration: 5 * time.Second, minRTO: time.Second, seed: 1}
}

func firstErr(errs []error) error {
	return errors.Join(errs...)
}

func TestValidateNamesTheFlag(t *testing.T) {
	dir := t.TempDir()
	for flag, edit := range map[string]func(*options){
		"-loss":     func(o *options) { o.loss = 1 },
		"-bw":       func(o *options) { o.bwMbps = 0 },
		"-buffer":   func(o *options) { o.buffer = 0 },
		"-mss":      func(o *options) { o.mss = -1 },
		"-variant":  func(o *options) { o.variant = "bbr" },
		"-pattern":  func(o *options) { o.pattern = "bursty" },
		"-drops":    func(o *options) { o.drops = "5001,x" },
		"-flows":    func(o *options) { o.flows = 0 },
		"-duration": func(o *options) { o.duration = 10000 * time.Hour },
		"-warmup":   func(o *options) { o.warmup = o.duration },
		"-chart":    func(o *options) { o.chart = filepath.Join(dir, "out.jpg") },
		"-compare":  func(o *options) { o.compare = filepath.Join(dir, "none", "v.png") },
		"-trace":    func(o *options) { o.trace = filepath.Join(dir, "t.txt") },
	} {
		o := defaults()
		edit(&o)
		err := firstErr(validate(o))
		require.Error(t, err, flag)
		assert.Contains(t, err.Error(), flag)
	}
	assert.NoError(t, firstErr(validate(defaults())))

	o := defaults()
	o.variant = "cubic,bbr"
	assert.ErrorContains(t, firstErr(validate(o)), `-variant: value "bbr"`)
	o.variant, o.round = "reno,cubic", true
	assert.ErrorContains(t, firstErr(validate(o)), "the round model takes one variant")
	o.round = false
	assert.NoError(t, firstErr(validate(o)))
}

func TestMixedVariantsTakeTurns(t *testing.T) {
	o := defaults()
	o.variant, o.flows = "cubic,reno", 3
	cfg, err := buildConfig(o)
	require.NoError(t, err)
	var got []string
	for _, f := range cfg.Flows {
		got = append(got, string(f.Variant))
	}
	assert.Equal(t, []string{"cubic", "reno", "cubic"}, got)
}

func TestRunPrintsTransitionsAndWritesCharts(t *testing.T) {
	dir := t.TempDir()
	o := defaults()
	o.drops = "5001"
	o.loss = 0
	o.chart = filepath.Join(dir, "cwnd.svg")
	o.compare = filepath.Join(dir, "variants.png")
	o.trace = filepath.Join(dir, "trace.csv")
	require.NoError(t, firstErr(validate(o)))
	var out bytes.Buffer
	require.NoError(t, runSim(context.Background(), o, &out, nil))
	assert.Contains(t, out.String(), "3 dup ACKs -> fast recovery, cwnd=")
	assert.Contains(t, out.String(), "fast-rec")
	for _, v := range compared {
		assert.Contains(t, out.String(), string(v)+" ")
	}
	assert.FileExists(t, o.chart)
	assert.FileExists(t, o.compare)
	assert.FileExists(t, o.trace)

	o.round = true
	o.loss = 0.05
	out.Reset()
	require.NoError(t, runRounds(o, &out))
	assert.Contains(t, out.String(), "course round model")
}

func TestInterruptedRunPrintsTheSummary(t *testing.T) {
	o := defaults()
	o.duration = time.Hour
	o.quiet = true
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	err := runSim(ctx, o, &out, nil)
	assert.ErrorIs(t, err, context.Canceled)
	assert.True(t, strings.Contains(out.String(), "flow"), "summary printed: %s", out.String())
}
