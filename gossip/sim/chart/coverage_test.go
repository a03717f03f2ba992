package chart

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/sim"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteCoverage(t *testing.T) {
	cfg := sim.Config{N: 1000, Mode: gossip.PushPull, Fanout: 1, Stop: gossip.AfterRounds(1 << 15), MaxRounds: 100}
	s, err := sim.SimulateSeeds(cfg, 3)
	require.NoError(t, err)
	dir := t.TempDir()
	for _, name := range []string{"coverage.png", "coverage.svg"} {
		path := filepath.Join(dir, name)
		require.NoError(t, WriteCoverage(path, "push-pull", []Curve{
			{Label: "simulated", Values: s.MeanCoverage()},
			{Label: "theory", Values: sim.MeanField(gossip.PushPull, 1000, 1, 20), Theory: true},
		}, true))
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		if filepath.Ext(name) == ".png" {
			assert.True(t, bytes.HasPrefix(b, []byte("\x89PNG")), "a PNG file")
		} else {
			assert.Contains(t, string(b[:min(len(b), 200)]), "<svg")
		}
	}
	assert.Error(t, WriteCoverage(filepath.Join(dir, "x.unknown"), "t", nil, false))
}
