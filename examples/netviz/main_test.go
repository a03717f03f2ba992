package main

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestDemoWritesEveryPicture runs the -demo mode end to end.
func TestDemoWritesEveryPicture(t *testing.T) {
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, run(ctx, "", "", 0, "", true, out, 10, false, "ip,udp"))
	for _, name := range []string{"histogram.png", "graph.png", "graph.svg", "graph.dot"} {
		st, err := os.Stat(filepath.Join(out, name))
		require.NoError(t, err, name)
		assert.Positive(t, st.Size(), name)
	}
	dot, err := os.ReadFile(filepath.Join(out, "graph.dot"))
	require.NoError(t, err)
	assert.Contains(t, string(dot), "graph capture {")

	assert.ErrorContains(t, run(ctx, "", "", 0, "", false, out, 10, false, ""), "-r FILE, -i IFACE or -demo")
	assert.Error(t, run(ctx, filepath.Join(out, "missing.pcap"), "", 0, "", false, out, 10, false, ""))
	assert.ErrorContains(t, run(ctx, "", "", 0, "", true, out, 10, false, "nope"), "nope")
}
