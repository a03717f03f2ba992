package amqpseam

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/netlab-go/netlab/internal/amqpwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestJobsAreUniqueAndAllKnown(t *testing.T) {
	a, b := NewJobs("matrix"), NewJobs("matrix")
	first, second := a.Next(), a.Next()
	assert.True(t, strings.HasPrefix(first, "matrix-"))
	assert.NotEqual(t, first, second)
	assert.NotEqual(t, first, b.Next(), "two executors never share a job name")
	assert.Equal(t, []string{first, second}, a.All())
}

var (
	errClosed   = errors.New("pkg: closed")
	errTooLarge = errors.New("pkg: too large")
	errDead     = errors.New("pkg: dead-lettered")
)

func TestErrorsWrapEachKind(t *testing.T) {
	e := Errors{Pkg: "pkg", Closed: errClosed, TooLarge: errTooLarge,
		DeadLetter: func(dl *amqpwork.DeadLetterError) error {
			return fmt.Errorf("%w: %s: %s", errDead, dl.TaskID, dl.Reason)
		}}
	assert.NoError(t, e.Wrap(nil))
	err := e.Wrap(errors.Join(
		&amqpwork.DeadLetterError{TaskID: "M2", Reason: "boom", Deliveries: 3},
		&amqpwork.DeadLetterError{TaskID: "M5", Reason: "bang", Deliveries: 3}))
	require.ErrorIs(t, err, errDead)
	assert.ErrorContains(t, err, "M2: boom")
	assert.ErrorContains(t, err, "M5: bang")
	assert.ErrorIs(t, e.Wrap(fmt.Errorf("x: %w", amqpwork.ErrClosed)), errClosed)
	assert.ErrorIs(t, e.Wrap(fmt.Errorf("x: %w", amqpwork.ErrTooLarge)), errTooLarge)
	other := errors.New("network")
	err = e.Wrap(other)
	assert.ErrorIs(t, err, other)
	assert.Equal(t, "pkg: network", err.Error())
	e.TooLarge = nil
	assert.NotErrorIs(t, e.Wrap(amqpwork.ErrTooLarge), errTooLarge)
}

func TestLocalNamesAPrivateQueueOnlyWhenNoneIsGiven(t *testing.T) {
	l := NewLocal(context.Background(), "", "netlab.test.local.")
	assert.True(t, strings.HasPrefix(l.Queue, "netlab.test.local."))
	ran := make(chan struct{})
	l.Go(func(ctx context.Context) error { close(ran); <-ctx.Done(); return nil })
	<-ran
	assert.NoError(t, l.Abandon(), "stops the workers without a broker")
	shared := NewLocal(context.Background(), "q", "netlab.test.local.")
	assert.Equal(t, "q", shared.Queue)
	assert.NoError(t, shared.Close(amqpwork.Config{}, nil, nil), "a shared queue is left on the broker")
}

func TestCheckJob(t *testing.T) {
	for _, ok := range []string{"a", "nightly-2026.12_06", strings.Repeat("x", MaxJobName)} {
		assert.NoError(t, CheckJob("pkg", ok), ok)
	}
	for _, bad := range []string{"", strings.Repeat("x", MaxJobName+1), "a b", "a/b", "é", "amq.x"} {
		assert.Error(t, CheckJob("pkg", bad), bad)
	}
}

func TestTaskIDNamesItsInputs(t *testing.T) {
	a := TaskID("M1", []byte("operands"))
	assert.Equal(t, a, TaskID("M1", []byte("operands")), "deterministic")
	assert.NotEqual(t, a, TaskID("M1", []byte("operandz")), "other inputs, other ID")
	assert.NotEqual(t, a, TaskID("M2", []byte("operands")))
	assert.True(t, strings.HasPrefix(a, "M1."))
}

func TestNamedIsDeterministic(t *testing.T) {
	a, b := NewNamed("run"), NewNamed("run")
	first, second := a.Next(), a.Next()
	assert.Equal(t, "run-1", first)
	assert.Equal(t, "run-2", second)
	assert.Equal(t, first, b.Next(), "a restarted executor finds the same engine jobs")
	assert.Equal(t, []string{first, second}, a.All())
}
