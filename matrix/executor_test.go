package matrix

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// inProcess is the smallest Executor: it computes every product here.
type inProcess struct{ cutoff int }

func (e inProcess) Products(_ context.Context, ps []Product) ([]*mat.Dense, error) {
	out := make([]*mat.Dense, len(ps))
	for i, p := range ps {
		out[i] = strassen(mat.DenseCopyOf(p.A), mat.DenseCopyOf(p.B), e.cutoff)
	}
	return out, nil
}

// failing refuses every batch.
type failing struct{ err error }

func (f failing) Products(context.Context, []Product) ([]*mat.Dense, error) { return nil, f.err }

// short answers with one product too few.
type short struct{}

func (short) Products(_ context.Context, ps []Product) ([]*mat.Dense, error) {
	return make([]*mat.Dense, len(ps)-1), nil
}

// The computation does not know where its products ran: an in-process
// executor and the TCP grid give Strassen's answer bit for bit, for square,
// non-square and odd shapes.
func TestMultiplyOnIsStrassenOnEveryExecutor(t *testing.T) {
	l := testCluster(t, 7, nil)
	grid := testClient(t, l.Addr(), nil)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, sh := range [][3]int{{32, 32, 32}, {33, 17, 41}, {20, 64, 9}, {63, 63, 63}} {
		a, b := randDense(rng, sh[0], sh[1]), randDense(rng, sh[1], sh[2])
		want := strassen(a, b, 8)
		for name, ex := range map[string]Executor{"in-process": inProcess{8}, "tcp": grid} {
			got, err := MultiplyOn(ctxFor(t, 10e9), ex, a, b, 8)
			require.NoError(t, err, name)
			require.True(t, mat.Equal(want, got), "%s %v: not bit-for-bit Strassen's", name, sh)
		}
	}
}

func TestMultiplyOnReportsExecutorFailures(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a, b := randDense(rng, 20, 20), randDense(rng, 20, 20)
	boom := errors.New("boom")
	_, err := MultiplyOn(context.Background(), failing{boom}, a, b, 4)
	assert.ErrorIs(t, err, boom)
	_, err = MultiplyOn(context.Background(), short{}, a, b, 4)
	assert.ErrorContains(t, err, "6 products for 7 tasks")
	_, err = MultiplyOn(context.Background(), inProcess{4}, a, b, 0)
	assert.ErrorContains(t, err, "cutoff 0")
	_, err = MultiplyOn(context.Background(), inProcess{4}, a, randDense(rng, 3, 3), 4)
	assert.ErrorIs(t, err, ErrShape)
	// At or below the cutoff there is no level: the executor is not asked.
	got, err := MultiplyOn(context.Background(), failing{boom}, a, b, 20)
	require.NoError(t, err)
	assert.True(t, mat.Equal(strassen(a, b, 20), got))
}

func TestClientProductsChecksItsBatch(t *testing.T) {
	c := testClient(t, "127.0.0.1:1", nil)
	_, err := c.Products(context.Background(), []Product{{A: mat.NewDense(2, 3, nil), B: mat.NewDense(2, 2, nil)}})
	assert.ErrorIs(t, err, ErrShape)
	_, err = c.Products(context.Background(), []Product{{}})
	assert.ErrorIs(t, err, ErrShape)
}

// With no coordinator to lease from, the grid computes the batch here, as
// Multiply does, and the answer does not change.
func TestClientProductsWithoutAGridComputesHere(t *testing.T) {
	c := testClient(t, "127.0.0.1:1", nil)
	rng := rand.New(rand.NewPCG(7, 8))
	a, b := randDense(rng, 40, 24), randDense(rng, 24, 18)
	got, err := MultiplyOn(context.Background(), c, a, b, 8)
	require.NoError(t, err)
	assert.True(t, mat.Equal(strassen(a, b, 8), got))
}

// With Peers below seven a lease of fewer workers computes the seven
// products, several at once on one worker, and the answer is unchanged.
func TestClientProductsOnFewerPeers(t *testing.T) {
	l := testCluster(t, 2, nil)
	c := testClient(t, l.Addr(), func(cfg *ClientConfig) { cfg.Peers = 2 })
	rng := rand.New(rand.NewPCG(9, 10))
	a, b := randDense(rng, 48, 30), randDense(rng, 30, 52)
	got, err := MultiplyOn(ctxFor(t, 10*time.Second), c, a, b, 8)
	require.NoError(t, err)
	assert.True(t, mat.Equal(strassen(a, b, 8), got))
	_, err = NewClient(ClientConfig{Coordinator: "x:1", Peers: 8})
	assert.ErrorContains(t, err, "ClientConfig.Peers 8")
}
