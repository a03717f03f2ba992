package mlcluster

import (
	"fmt"
	"math/rand/v2"

	"github.com/netlab-go/netlab/internal/defaults"
)

// BlobsConfig describes a synthetic dataset of Gaussian blobs.
type BlobsConfig struct {
	Rows    int     // points (default 1000)
	Cols    int     // dimensions (default 2)
	Centers int     // blobs (default 3)
	Spread  float64 // standard deviation of each blob (default 1)
	Box     float64 // blob centres are uniform in [-Box, Box] per dimension (default 10)
}

// Blobs generates points around Centers random centres; it returns the data
// and the true blob of every row. The same rng state gives the same data.
func Blobs(cfg BlobsConfig, rng *rand.Rand) (*Dataset, []int, error) {
	cfg = defaults.Fill(cfg, BlobsConfig{Rows: 1000, Cols: 2, Centers: 3, Spread: 1, Box: 10})
	switch {
	case cfg.Rows < 0 || cfg.Cols < 0 || cfg.Centers < 0 || cfg.Spread < 0 || cfg.Box < 0:
		return nil, nil, fmt.Errorf("mlcluster: BlobsConfig has a negative field: %+v", cfg)
	case cfg.Centers > cfg.Rows:
		return nil, nil, fmt.Errorf("mlcluster: BlobsConfig.Centers %d exceeds Rows %d", cfg.Centers, cfg.Rows)
	}
	centers := make([]float64, cfg.Centers*cfg.Cols)
	for i := range centers {
		centers[i] = (rng.Float64()*2 - 1) * cfg.Box
	}
	ds := &Dataset{Name: "blobs", Rows: cfg.Rows, Cols: cfg.Cols, Data: make([]float64, cfg.Rows*cfg.Cols)}
	truth := make([]int, cfg.Rows)
	for i := range truth {
		c := rng.IntN(cfg.Centers)
		truth[i] = c
		for j := 0; j < cfg.Cols; j++ {
			ds.Data[i*cfg.Cols+j] = centers[c*cfg.Cols+j] + rng.NormFloat64()*cfg.Spread
		}
	}
	return ds, truth, nil
}
