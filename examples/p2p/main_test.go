package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netlab-go/netlab/p2p"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func smallSim() p2p.SimConfig {
	cfg := p2p.DefaultSimConfig()
	cfg.Peers, cfg.Kill = 12, 2
	cfg.Peer.GossipCount = 2
	cfg.Peer.GossipInterval = 50 * time.Millisecond
	cfg.Peer.LivenessInterval = 150 * time.Millisecond
	cfg.Peer.RefreshInterval = 400 * time.Millisecond
	return cfg
}

// nowhere is a file for the progress bar that the tests do not read.
func nowhere(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Open(os.DevNull)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func TestSimWritesItsPictures(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	require.NoError(t, simulate(t.Context(), smallSim(), dir, "png", &out, nowhere(t)), out.String())
	assert.Contains(t, out.String(), "summary: 12 of 12 peers joined")
	assert.Contains(t, out.String(), "power-law exponent")
	assert.Equal(t, 2, strings.Count(out.String(), "removed from every seed after"), out.String())
	for _, f := range []string{"p2p-degrees.png", "p2p-overlay.dot", "p2p-overlay.png", "p2p-robustness.png", "p2p-sim-output.txt"} {
		st, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err, f)
		assert.Positive(t, st.Size(), f)
	}
	log, err := os.ReadFile(filepath.Join(dir, "p2p-sim-output.txt"))
	require.NoError(t, err)
	for _, field := range []string{"seed: connection request", "peer list received", "gossip received", "local_time", "dead node reported", "seed: dead node report"} {
		assert.Contains(t, string(log), field, "the output file keeps the course's log lines")
	}
}

// An interrupted sim prints the summary of what it measured, draws
// nothing, and returns the cancellation.
func TestInterruptedSimSummarises(t *testing.T) {
	dir := t.TempDir()
	var out strings.Builder
	cfg := smallSim()
	cfg.Peers = 200
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cfg.OnJoin = func(n, _ int) {
		if n == 3 {
			cancel()
		}
	}
	err := simulate(ctx, cfg, dir, "png", &out, nowhere(t))
	require.ErrorIs(t, err, context.Canceled)
	assert.Contains(t, out.String(), "summary: 3 of 200 peers joined")
	_, statErr := os.Stat(filepath.Join(dir, "p2p-degrees.png"))
	assert.True(t, os.IsNotExist(statErr), "no picture of a run that did not finish")
}
