package main

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/reno"
)

func defaults() options {
	return options{variant: "reno", pattern: "random", loss: 0.01, bwMbps: 10, rtt: 100 * time.Millisecond,
		buffer: 50, mss: 1000, flows: 1, duration: 5 * time.Second, minRTO: time.Second, seed: 1}
}

func TestBadFlagsNameTheField(t *testing.T) {
	for field, edit := range map[string]func(*options){
		"Link.Loss":        func(o *options) { o.loss = 1 },
		"Link.Bandwidth":   func(o *options) { o.bwMbps = 0 },
		"Link.Buffer":      func(o *options) { o.buffer = 0 },
		"Flows[0].MSS":     func(o *options) { o.mss = -1 },
		"unknown variant":  func(o *options) { o.variant = "bbr" },
		"-pattern":         func(o *options) { o.pattern = "bursty" },
		"-drops":           func(o *options) { o.drops = "5001,x" },
		"-flows":           func(o *options) { o.flows = 0 },
		"RoundConfig.Loss": func(o *options) { o.round, o.loss = true, 2 },
	} {
		o := defaults()
		edit(&o)
		var err error
		if o.round {
			err = runRounds(o, &bytes.Buffer{})
		} else {
			err = runSim(o, &bytes.Buffer{})
		}
		require.Error(t, err, field)
		assert.Contains(t, err.Error(), field)
		assert.ErrorIs(t, err, reno.ErrInvalidConfig, field)
	}
}

func TestRunPrintsTransitionsAndWritesCharts(t *testing.T) {
	dir := t.TempDir()
	o := defaults()
	o.drops = "5001"
	o.loss = 0
	o.chart = filepath.Join(dir, "cwnd.svg")
	o.compare = filepath.Join(dir, "variants.png")
	o.trace = filepath.Join(dir, "trace.csv")
	var out bytes.Buffer
	require.NoError(t, runSim(o, &out))
	assert.Contains(t, out.String(), "3 dup ACKs -> fast recovery, cwnd=")
	assert.Contains(t, out.String(), "fast-rec")
	assert.FileExists(t, o.chart)
	assert.FileExists(t, o.compare)
	assert.FileExists(t, o.trace)

	o.round = true
	o.loss = 0.05
	out.Reset()
	require.NoError(t, runRounds(o, &out))
	assert.Contains(t, out.String(), "course round model")
}
