package chart

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/netlab-go/netlab/internal/plotkit"
	"github.com/netlab-go/netlab/mlcluster"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/plot/vg"
)

func blobs(t *testing.T, rows, cols, k int, seed uint64) *mlcluster.Dataset {
	ds, _, err := mlcluster.Blobs(mlcluster.BlobsConfig{Rows: rows, Cols: cols, Centers: k, Spread: 1}, rand.New(rand.NewPCG(seed, seed)))
	require.NoError(t, err)
	return ds
}

func TestClusters(t *testing.T) {
	ds := blobs(t, 300, 3, 3, 2)
	km, err := mlcluster.RunLocal(context.Background(), ds, "kmeans", mlcluster.Params{"k": "3"}, mlcluster.LocalOptions{})
	require.NoError(t, err)
	pca, err := mlcluster.RunLocal(context.Background(), ds, "pca", nil, mlcluster.LocalOptions{})
	require.NoError(t, err)
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		pca  *mlcluster.Result
	}{{"dims.png", nil}, {"pcs.svg", pca}} {
		path := filepath.Join(dir, c.name)
		require.NoError(t, Clusters(path, ds, km, c.pca))
		st, err := os.Stat(path)
		require.NoError(t, err)
		assert.Greater(t, st.Size(), int64(1000))
	}
	assert.ErrorContains(t, Clusters(filepath.Join(dir, "x.png"), blobs(t, 10, 2, 2, 1), km, nil), "does not match the 10x2 dataset")
	assert.ErrorContains(t, Clusters(filepath.Join(dir, "x.jpg"), ds, km, nil), ".png or .svg")
}

func TestClustersPlotModel(t *testing.T) {
	ds := blobs(t, 300, 2, 3, 4)
	km, err := mlcluster.RunLocal(context.Background(), ds, "kmeans", mlcluster.Params{"k": "3"}, mlcluster.LocalOptions{})
	require.NoError(t, err)
	p, err := ClustersPlot(ds, km, nil)
	require.NoError(t, err)
	assert.Equal(t, "x₁ (column 1 of the data, unitless)", p.X.Label.Text)
	assert.Equal(t, "x₂ (column 2 of the data, unitless)", p.Y.Label.Text)
	assert.Contains(t, p.Title.Text, "3 clusters of 300 rows")
	assert.NotContains(t, p.Title.Text, "e+", "no exponent notation")
	assert.Equal(t, "k-means: 3 clusters of 12,000 rows (inertia 85.1k)", title(3, 12000, 85080))
	data, legend := plotkit.Layout(p, Width, Height)
	assert.Greater(t, legend.Max.Y-legend.Min.Y, vg.Length(0), "a legend: three clusters and the centroids")
	assert.GreaterOrEqual(t, legend.Min.X, data.Max.X, "the legend covers no points")
	ds.Header = []string{"latency (ms)", "loss (%)"}
	p, err = ClustersPlot(ds, km, nil)
	require.NoError(t, err)
	assert.Equal(t, "latency (ms)", p.X.Label.Text)
	assert.Equal(t, "loss (%)", p.Y.Label.Text)
}
