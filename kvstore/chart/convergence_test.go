package chart

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteConvergence(t *testing.T) {
	samples := []Sample{{0, 0}, {100 * time.Millisecond, 40}, {200 * time.Millisecond, 80}, {300 * time.Millisecond, 80}, {500 * time.Millisecond, 3}, {600 * time.Millisecond, 0}}
	marks := []Mark{{0, "partition"}, {300 * time.Millisecond, "heal"}}
	dir := t.TempDir()
	png := filepath.Join(dir, "c.png")
	require.NoError(t, WriteConvergence(png, "convergence", samples, marks))
	b, err := os.ReadFile(png)
	require.NoError(t, err)
	assert.True(t, bytes.HasPrefix(b, []byte("\x89PNG")))
	svg := filepath.Join(dir, "c.svg")
	require.NoError(t, WriteConvergence(svg, "convergence", samples, marks))
	b, err = os.ReadFile(svg)
	require.NoError(t, err)
	assert.Contains(t, string(b), "heal (0.30 s)", "each mark is labelled with its time")
	assert.Error(t, WriteConvergence(filepath.Join(dir, "c.jpg"), "t", samples, nil))
	assert.Error(t, WriteConvergence(filepath.Join(dir, "d.png"), "t", nil, nil))
}
