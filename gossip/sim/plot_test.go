package sim

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlab-go/netlab/gossip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteCoveragePlot(t *testing.T) {
	s, err := SimulateSeeds(forever(gossip.PushPull, 1000, 1), 3)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "coverage.png")
	require.NoError(t, WriteCoveragePlot(path, "push-pull", []Curve{
		{Label: "simulated", Values: s.MeanCoverage()},
		{Label: "theory", Values: MeanField(gossip.PushPull, 1000, 1, 20), Theory: true},
	}, true))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(b, []byte("\x89PNG")), "a PNG file")
	assert.Error(t, WriteCoveragePlot(filepath.Join(t.TempDir(), "x.unknown"), "t", nil, false))
}
