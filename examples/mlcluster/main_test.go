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
	require.NoError(t, gen([]string{"-blobs", "-rows", "3000", "-cols", "3", "-k", "3", "-out", data}))
	text, err := os.ReadFile(data)
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(text), "x1,x2,x3\n"))

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	labels, plot := filepath.Join(dir, "labels.csv"), filepath.Join(dir, "clusters.png")
	require.NoError(t, submit(ctx, []string{"-local", "2", "-data", data, "-algo", "kmeans", "-k", "3",
		"-out", labels, "-plot", plot}))
	out, err := os.ReadFile(labels)
	require.NoError(t, err)
	assert.Len(t, strings.Split(strings.TrimSpace(string(out)), "\n"), 3000)
	st, err := os.Stat(plot)
	require.NoError(t, err)
	assert.Greater(t, st.Size(), int64(1000))

	err = submit(ctx, []string{"-local", "1", "-data", data, "-algo", "nope"})
	assert.ErrorContains(t, err, `unknown algorithm "nope"`)
	err = submit(ctx, []string{"-local", "1", "-data", data, "-params", "bad"})
	assert.ErrorContains(t, err, "want name=value")
}
