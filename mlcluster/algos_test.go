package mlcluster

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

func blobs(t testing.TB, rows, cols, centers int, spread float64, seed uint64) *Dataset {
	ds, _, err := Blobs(BlobsConfig{Rows: rows, Cols: cols, Centers: centers, Spread: spread}, rand.New(rand.NewPCG(seed, seed)))
	require.NoError(t, err)
	return ds
}

func TestKMeansEqualsSingleMachineLloyd(t *testing.T) {
	ds := blobs(t, 3000, 3, 5, 2.5, 1) // overlapping blobs: many iterations
	for _, shards := range []int{1, 3, 7} {
		res, err := RunLocal(context.Background(), ds, "kmeans", Params{"k": "5", "tol": "0", "max_iter": "200"}, LocalOptions{Shards: shards})
		require.NoError(t, err)
		ref := Lloyd(ds, res.Table("initial_centroids").Data, 200, 0)
		assert.Equal(t, ref.Iterations, res.Iterations, "shards=%d", shards)
		assert.Equal(t, ref.Labels, res.Labels(), "shards=%d", shards)
		assert.InDeltaSlice(t, ref.Centroids, res.Table("centroids").Data, 1e-9, "shards=%d", shards)
		assert.InDelta(t, ref.Inertia, res.Value("inertia"), 1e-6*ref.Inertia)
		assert.Greater(t, res.Iterations, 3)
	}
}

func TestKMeansFindsSeparatedBlobs(t *testing.T) {
	ds, truth, err := Blobs(BlobsConfig{Rows: 600, Cols: 2, Centers: 3, Spread: 0.05, Box: 10}, rand.New(rand.NewPCG(3, 3)))
	require.NoError(t, err)
	res, err := RunLocal(context.Background(), ds, "kmeans", Params{"k": "3", "seed": "11"}, LocalOptions{Shards: 4})
	require.NoError(t, err)
	labels := res.Labels()
	mapping := map[int]int{} // true blob -> label; must be a bijection
	for i, l := range labels {
		if m, ok := mapping[truth[i]]; ok {
			require.Equal(t, m, l, "row %d split from its blob", i)
		}
		mapping[truth[i]] = l
	}
	assert.Len(t, mapping, 3)
	var counts float64
	for _, c := range res.Table("counts").Data {
		counts += c
	}
	assert.Equal(t, 600.0, counts)
}

func TestKMeansDeterministicWithSeed(t *testing.T) {
	ds := blobs(t, 500, 2, 4, 1, 5)
	run := func(seed string) *Result {
		res, err := RunLocal(context.Background(), ds, "kmeans", Params{"k": "4", "seed": seed}, LocalOptions{Shards: 3})
		require.NoError(t, err)
		return res
	}
	a, b, c := run("1"), run("1"), run("2")
	assert.Equal(t, a, b)
	assert.NotEqual(t, a.Table("initial_centroids"), c.Table("initial_centroids"))
}

func TestKMeansPlusPlusSpreadsCenters(t *testing.T) {
	// Two far groups of identical points: D^2 sampling must pick one of each,
	// where uniform sampling would pick the same group half the time.
	rows := [][]float64{}
	for i := 0; i < 50; i++ {
		rows = append(rows, []float64{0, 0}, []float64{100, 100})
	}
	ds, err := NewDataset("two", rows)
	require.NoError(t, err)
	for seed := 1; seed <= 20; seed++ {
		res, err := RunLocal(context.Background(), ds, "kmeans", Params{"k": "2", "seed": strconv.Itoa(seed)}, LocalOptions{Shards: 3})
		require.NoError(t, err)
		init := res.Table("initial_centroids").Data
		assert.NotEqual(t, init[0], init[2], "seed %d", seed)
		assert.Equal(t, 0.0, res.Value("inertia"))
	}
	seq := SeedPlusPlus(ds, 2, rand.New(rand.NewPCG(1, 1)))
	assert.NotEqual(t, seq[0], seq[2])
}

func TestKMeansExplicitCentroids(t *testing.T) {
	ds, err := NewDataset("d", [][]float64{{0}, {1}, {10}, {11}})
	require.NoError(t, err)
	res, err := RunLocal(context.Background(), ds, "kmeans", Params{"k": "2", "centroids": "0;1"}, LocalOptions{Shards: 2})
	require.NoError(t, err)
	assert.Equal(t, []float64{0.5, 10.5}, res.Table("centroids").Data)
	assert.Equal(t, []int{0, 0, 1, 1}, res.Labels())
	assert.Equal(t, 1.0, res.Value("inertia"))
	assert.Equal(t, "0.5;10.5", FormatCentroids(res.Table("centroids").Data, 1))
}

func TestEmptyClusterKeepsItsCentroid(t *testing.T) {
	ds, err := NewDataset("d", [][]float64{{0}, {1}})
	require.NoError(t, err)
	res, err := RunLocal(context.Background(), ds, "kmeans", Params{"k": "2", "centroids": "0.5;100"}, LocalOptions{})
	require.NoError(t, err)
	assert.Equal(t, []float64{0.5, 100}, res.Table("centroids").Data)
	assert.Equal(t, []float64{2, 0}, res.Table("counts").Data)
}

func TestBadParams(t *testing.T) {
	ds := blobs(t, 10, 2, 2, 1, 1)
	cases := []struct {
		algo   string
		params Params
		want   string
	}{
		{"kmeans", Params{"k": "11"}, "k=11 is greater than the number of rows (10)"},
		{"kmeans", Params{}, "parameter k is required"},
		{"kmeans", Params{"k": "0"}, "k=0 out of range"},
		{"kmeans", Params{"k": "x"}, `k="x" is not an integer`},
		{"kmeans", Params{"k": "2", "max_iter": "0"}, "max_iter=0 out of range [1, 100000]"},
		{"kmeans", Params{"k": "2", "tol": "-1"}, "tol=-1 out of range"},
		{"kmeans", Params{"k": "2", "kk": "1"}, `unknown parameter "kk" (known: centroids, init, k, max_iter, oversample, rounds, seed, tol)`},
		{"kmeans", Params{"k": "2", "centroids": "1,2"}, "centroids has 1 rows, want k=2"},
		{"pca", Params{"components": "3"}, "components=3 out of range [1, 2]"},
		{"linreg", Params{"target": "-1"}, "target=-1 out of range"},
		{"stats", Params{"k": "1"}, `unknown parameter "k"`},
	}
	for _, c := range cases {
		_, err := RunLocal(context.Background(), ds, c.algo, c.params, LocalOptions{})
		assert.ErrorIs(t, err, ErrBadParams, "%s %v", c.algo, c.params)
		assert.ErrorContains(t, err, c.want)
	}
	_, err := RunLocal(context.Background(), ds, "dbscan", nil, LocalOptions{})
	assert.ErrorIs(t, err, ErrUnknownAlgorithm)
	assert.ErrorContains(t, err, `unknown algorithm "dbscan" (known: kmeans, linreg, pca, stats)`)

	dup, err := NewDataset("dup", [][]float64{{1, 1}, {1, 1}, {1, 1}})
	require.NoError(t, err)
	_, err = RunLocal(context.Background(), dup, "kmeans", Params{"k": "2"}, LocalOptions{})
	assert.ErrorContains(t, err, "only 1 distinct rows")
}

func TestPCAMatchesGonum(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	rows := make([][]float64, 400)
	for i := range rows {
		a, b := rng.NormFloat64()*5, rng.NormFloat64()
		rows[i] = []float64{a + 1, 2*a + b, b - 3, rng.NormFloat64() * 0.1}
	}
	ds, err := NewDataset("p", rows)
	require.NoError(t, err)
	res, err := RunLocal(context.Background(), ds, "pca", Params{"components": "2"}, LocalOptions{Shards: 3})
	require.NoError(t, err)

	var pc stat.PC
	x := mat.NewDense(ds.Rows, ds.Cols, ds.Data)
	require.True(t, pc.PrincipalComponents(x, nil))
	vars := pc.VarsTo(nil)
	var vecs mat.Dense
	pc.VectorsTo(&vecs)
	assert.InDeltaSlice(t, vars[:2], res.Table("explained_variance").Data, 1e-9)
	comps := res.Table("components")
	for c := 0; c < 2; c++ {
		var dot float64
		for j := 0; j < ds.Cols; j++ {
			dot += comps.At(c, j) * vecs.At(j, c)
		}
		assert.InDelta(t, 1, math.Abs(dot), 1e-9, "component %d parallel to gonum's", c)
	}
	var total float64
	for _, v := range vars {
		total += v
	}
	assert.InDelta(t, (vars[0]+vars[1])/total, res.Objective, 1e-9)
	proj := res.Table("projected")
	require.Equal(t, ds.Rows, proj.Rows)
	mean := res.Table("mean").Data
	for _, i := range []int{0, 199, 399} {
		var v float64
		for j := 0; j < ds.Cols; j++ {
			v += (ds.Row(i)[j] - mean[j]) * comps.At(0, j)
		}
		assert.InDelta(t, v, proj.At(i, 0), 1e-9)
	}
}

func TestLinRegRecoversCoefficients(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	rows := make([][]float64, 300)
	for i := range rows {
		x1, x2 := rng.Float64()*10, rng.Float64()*5
		rows[i] = []float64{x1, 1.5 - 2*x1 + 0.25*x2, x2} // y in the middle column
	}
	ds, err := NewDataset("l", rows)
	require.NoError(t, err)
	res, err := RunLocal(context.Background(), ds, "linreg", Params{"target": "1"}, LocalOptions{Shards: 4})
	require.NoError(t, err)
	assert.InDeltaSlice(t, []float64{1.5, -2, 0.25}, res.Table("coefficients").Data, 1e-9)
	assert.InDelta(t, 1, res.Value("r2"), 1e-12)

	for i := range rows { // noise lowers R² below one
		rows[i][1] += rng.NormFloat64() * 3
	}
	noisy, _ := NewDataset("n", rows)
	res, err = RunLocal(context.Background(), noisy, "linreg", Params{"target": "1"}, LocalOptions{Shards: 4})
	require.NoError(t, err)
	r2 := res.Value("r2")
	assert.Less(t, r2, 0.999)
	assert.Greater(t, r2, 0.5)

	collinear, _ := NewDataset("c", [][]float64{{1, 2, 3}, {2, 4, 5}, {3, 6, 7}, {4, 8, 9}})
	_, err = RunLocal(context.Background(), collinear, "linreg", nil, LocalOptions{})
	assert.ErrorContains(t, err, "singular")
}

func TestStatsMatchTwoPass(t *testing.T) {
	ds := blobs(t, 1001, 3, 2, 3, 8)
	for i := range ds.Data { // a large offset defeats the naive Σx² formula
		ds.Data[i] += 1e9
	}
	res, err := RunLocal(context.Background(), ds, "stats", nil, LocalOptions{Shards: 5})
	require.NoError(t, err)
	for j := 0; j < ds.Cols; j++ {
		col := make([]float64, ds.Rows)
		for i := range col {
			col[i] = ds.Row(i)[j]
		}
		mean, variance := stat.MeanVariance(col, nil)
		assert.Equal(t, 1001.0, res.Table("count").Data[j])
		assert.InDelta(t, mean, res.Table("mean").Data[j], 1e-6)
		assert.InDelta(t, variance, res.Table("variance").Data[j], 1e-6*variance)
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, v := range col {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		assert.Equal(t, lo, res.Table("min").Data[j])
		assert.Equal(t, hi, res.Table("max").Data[j])
	}
	var a, b, all Moments
	for i, v := range []float64{3, 1, 4, 1, 5, 9, 2, 6} {
		all.Add(v)
		if i < 3 {
			a.Add(v)
		} else {
			b.Add(v)
		}
	}
	m := a.Merge(b)
	assert.InDelta(t, all.Mean, m.Mean, 1e-12)
	assert.InDelta(t, all.Variance(), m.Variance(), 1e-12)
	assert.Equal(t, Moments{N: 1, Mean: 7, Min: 7, Max: 7}, Moments{}.Merge(Moments{N: 1, Mean: 7, Min: 7, Max: 7}))
}

func TestKMeansParallelSeeding(t *testing.T) {
	ds, truth, err := Blobs(BlobsConfig{Rows: 2000, Cols: 3, Centers: 6, Spread: 0.1, Box: 20}, rand.New(rand.NewPCG(12, 12)))
	require.NoError(t, err)
	params := Params{"k": "6", "init": "k-means||", "rounds": "3", "seed": "5", "tol": "0"}
	var first *Result
	for _, shards := range []int{1, 3, 8} {
		res, err := RunLocal(context.Background(), ds, "kmeans", params, LocalOptions{Shards: shards})
		require.NoError(t, err)
		if first == nil {
			first = res
		}
		assert.Equal(t, first.Table("initial_centroids"), res.Table("initial_centroids"),
			"k-means|| coins depend on global row indexes, not on the sharding (shards=%d)", shards)
		ref := Lloyd(ds, res.Table("initial_centroids").Data, 100, 0)
		assert.InDeltaSlice(t, ref.Centroids, res.Table("centroids").Data, 1e-9)
		assert.Equal(t, ref.Labels, res.Labels())
	}
	mapping := map[int]int{}
	for i, l := range first.Labels() {
		if m, ok := mapping[truth[i]]; ok {
			require.Equal(t, m, l, "row %d split from its blob", i)
		}
		mapping[truth[i]] = l
	}
	assert.Len(t, mapping, 6, "every blob found")

	// Three distinct rows and k = 3: too few candidates for the weighted
	// reduction, so k-means++ completes the seeding.
	few, _ := NewDataset("few", [][]float64{{0, 0}, {0, 0}, {5, 5}, {9, 9}, {9, 9}})
	res, err := RunLocal(context.Background(), few, "kmeans", Params{"k": "3", "init": "k-means||", "rounds": "1", "oversample": "0.1"}, LocalOptions{Shards: 2})
	require.NoError(t, err)
	assert.Equal(t, 0.0, res.Value("inertia"))

	_, err = RunLocal(context.Background(), few, "kmeans", Params{"k": "2", "init": "random"}, LocalOptions{})
	assert.ErrorContains(t, err, `init="random", want one of k-means++, k-means||`)
}

// FuzzParseCentroids feeds arbitrary "centroids" parameters, which come
// from a client over the wire: an error wraps ErrBadParams, and what parses
// has k×cols values and survives FormatCentroids and ParseCentroids again.
func FuzzParseCentroids(f *testing.F) {
	f.Add("0;1", uint8(2), uint8(1))
	f.Add("1.5,-2;3e2,4", uint8(2), uint8(2))
	f.Add(" 1 , 2 ; x ", uint8(2), uint8(2))
	f.Add("1,2,3", uint8(1), uint8(2))
	f.Add("", uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, s string, k8, cols8 uint8) {
		k, cols := int(k8%16)+1, int(cols8%8)+1
		c, err := ParseCentroids(s, k, cols)
		if err != nil {
			if !errors.Is(err, ErrBadParams) {
				t.Fatalf("error without ErrBadParams: %v", err)
			}
			return
		}
		if len(c) != k*cols {
			t.Fatalf("%d values for k=%d cols=%d", len(c), k, cols)
		}
		back, err := ParseCentroids(FormatCentroids(c, cols), k, cols)
		if err != nil || !slicesEqualBits(back, c) {
			t.Fatalf("round trip of %v: %v, %v", c, back, err)
		}
	})
}

func TestMatrixDense(t *testing.T) {
	m := Matrix{Rows: 2, Cols: 3, Data: []float64{1, 2, 3, 4, 5, 6}}
	d := m.Dense()
	require.NotNil(t, d)
	assert.Equal(t, 6.0, d.At(1, 2))
	d.Set(0, 0, 9)
	assert.Equal(t, 9.0, m.Data[0], "a view of the same data")
	assert.Nil(t, Matrix{}.Dense())
	assert.Nil(t, Matrix{Rows: 2, Cols: 2, Data: []float64{1}}.Dense())
}
