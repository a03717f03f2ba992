package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestGenThenSubmitLocal(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "blobs.csv")
	require.NoError(t, writeBlobs(genFlags{rows: 3000, cols: 3, k: 3, spread: 1, seed: 1, decimals: 6, out: data}))
	text, err := os.ReadFile(data)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(text), "x1,x2,x3\n"))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	labels, plot := filepath.Join(dir, "labels.csv"), filepath.Join(dir, "clusters.png")
	f := submitFlags{local: 2, data: data, algo: "kmeans", k: 3, maxIter: 100, seed: 1, header: "auto",
		out: labels, plot: plot, stepTimeout: time.Second}
	require.NoError(t, runSubmit(ctx, f))
	out, err := os.ReadFile(labels)
	require.NoError(t, err)
	assert.Len(t, strings.Split(strings.TrimSpace(string(out)), "\n"), 3000)
	st, err := os.Stat(plot)
	require.NoError(t, err)
	assert.Greater(t, st.Size(), int64(1000))

	f = submitFlags{local: 1, data: data, algo: "nope", header: "auto", stepTimeout: time.Second}
	assert.ErrorContains(t, runSubmit(ctx, f), `unknown algorithm "nope"`)
	f.algo, f.params = "stats", "bad"
	assert.ErrorContains(t, runSubmit(ctx, f), "want name=value")
}
