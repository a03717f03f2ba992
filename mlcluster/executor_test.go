package mlcluster

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// backwards maps the shards one at a time, last shard first: an executor
// whose answers arrive in the opposite order of the shards.
type backwards struct{ calls int }

func (b *backwards) Map(_ context.Context, algo Algorithm, step Step, shards []*Shard) ([]Partial, error) {
	b.calls++
	parts := make([]Partial, len(shards))
	for i := len(shards) - 1; i >= 0; i-- {
		p, err := algo.Map(step, shards[i])
		if err != nil {
			return nil, err
		}
		parts[i] = p
	}
	return parts, nil
}

type refusing struct{ err error }

func (r refusing) Map(context.Context, Algorithm, Step, []*Shard) ([]Partial, error) {
	return nil, r.err
}

// The plan does not know where its map tasks ran: any executor that
// answers in shard order gives RunLocal's result, bit for bit.
func TestRunOnIsRunLocalOnAnyExecutor(t *testing.T) {
	ds := blobs(t, 3000, 4, 5, 2, 9)
	for _, algo := range []string{"kmeans", "linreg", "pca", "stats"} {
		params := Params{}
		if algo == "kmeans" {
			params["k"] = "5"
		}
		opt := LocalOptions{Shards: 4}
		want, err := RunLocal(context.Background(), ds, algo, params, opt)
		require.NoError(t, err, algo)
		ex := &backwards{}
		got, err := RunOn(context.Background(), ex, ds, algo, params, opt)
		require.NoError(t, err, algo)
		assert.Equal(t, want, got, algo)
		assert.Positive(t, ex.calls, algo)
	}
}

func TestRunOnReportsTheExecutorsError(t *testing.T) {
	ds := blobs(t, 100, 2, 2, 1, 1)
	boom := errors.New("boom")
	_, err := RunOn(context.Background(), refusing{boom}, ds, "kmeans", Params{"k": "2"}, LocalOptions{})
	assert.ErrorIs(t, err, boom)
	_, err = RunOn(context.Background(), refusing{boom}, ds, "nope", nil, LocalOptions{})
	assert.ErrorIs(t, err, ErrUnknownAlgorithm)
}
