package p2p

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunSimSmall(t *testing.T) {
	cfg := DefaultSimConfig()
	cfg.Peers, cfg.Kill = 30, 3
	cfg.Peer = testPeerConfig(nil, 0)
	cfg.Peer.GossipCount = 2
	var lines []string
	cfg.Progress = func(f string, a ...any) { lines = append(lines, f) }
	res, err := RunSim(t.Context(), cfg)
	require.NoError(t, err)
	assert.Len(t, res.Settled.Nodes, 30)
	assert.Equal(t, 1, res.Settled.Components(), "the overlay is connected")
	assert.Len(t, res.After.Nodes, 27)
	assert.Len(t, res.Killed, 3)
	// The event: every killed peer was removed from every seed. Its timing
	// against the bound is BenchmarkFailureDetection's to measure; here the
	// bound is generous, so that -race on a loaded machine does not flake.
	require.Len(t, res.Detected, 3)
	for _, d := range res.Detected {
		assert.Positive(t, d)
		assert.Less(t, d, 10*res.Bound, "removed, within ten times the bound %v", res.Bound)
	}
	assert.Greater(t, res.Alpha, 1.0)
	assert.Positive(t, res.Gossip)
	assert.NotEmpty(t, lines)

	var dot strings.Builder
	require.NoError(t, res.Settled.WriteDOT(&dot))
	assert.Equal(t, len(res.Settled.Edges), strings.Count(dot.String(), " -- "))

	path := filepath.Join(t.TempDir(), "overlay.dot")
	require.NoError(t, res.Settled.SaveDOT(path))
	saved, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, dot.String(), string(saved), "SaveDOT writes what WriteDOT writes")
	assert.Error(t, res.Settled.SaveDOT(filepath.Join(t.TempDir(), "no-such-dir", "overlay.dot")))
}
