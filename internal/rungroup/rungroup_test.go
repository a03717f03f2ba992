package rungroup

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestCloseStopsEveryFunctionAndJoinsTheirErrors(t *testing.T) {
	defer goleak.VerifyNone(t)
	g := New(context.Background())
	errA, errB := errors.New("a failed"), errors.New("b failed")
	g.Go(func(ctx context.Context) error { <-ctx.Done(); return errA })
	g.Go(func(ctx context.Context) error { <-ctx.Done(); return nil })
	g.Go(func(ctx context.Context) error { return errB }) // returns at once; the others keep running
	err := g.Close()
	require.Error(t, err)
	assert.ErrorIs(t, err, errA)
	assert.ErrorIs(t, err, errB)
	assert.Equal(t, err.Error(), g.Close().Error(), "Close may be called again")
}

func TestParentContextEndsTheGroup(t *testing.T) {
	defer goleak.VerifyNone(t)
	parent, cancel := context.WithCancel(context.Background())
	g := New(parent)
	done := make(chan struct{})
	g.Go(func(ctx context.Context) error { <-ctx.Done(); close(done); return nil })
	cancel()
	<-done
	require.NoError(t, g.Close())
}
