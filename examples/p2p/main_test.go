package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSimWritesItsPictures(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	err := runSim(t.Context(), []string{"-seeds", "3", "-peers", "12", "-kill", "2", "-gossip-count", "2",
		"-liveness-interval", "150ms", "-gossip-interval", "50ms", "-refresh-interval", "400ms", "-out", dir}, &out)
	require.NoError(t, err, out.String())
	assert.Contains(t, out.String(), "12/12 peers joined")
	assert.Contains(t, out.String(), "power-law exponent")
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
