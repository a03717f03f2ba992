// Package amqpseam is what matrix and mlcluster share to put their
// Executor on internal/amqpwork: the names of an executor's jobs, the
// mapping of the engine's errors onto each package's own, and the
// in-process workers of the -local demos. Each package keeps its own task
// format and its own public types.
package amqpseam

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/netlab-go/netlab/internal/amqpwork"
	"github.com/netlab-go/netlab/internal/rungroup"
)

// Jobs names the jobs of one executor, prefix-RANDOM-1, -2, ...: unique
// on the broker, and all of them known for deleting their queues.
type Jobs struct {
	prefix string
	n      atomic.Uint64
}

// NewJobs returns the job names of a new executor of package pkg.
func NewJobs(pkg string) *Jobs { return &Jobs{prefix: pkg + "-" + random() + "-"} }

// Next returns a fresh job name.
func (j *Jobs) Next() string { return j.prefix + strconv.FormatUint(j.n.Add(1), 10) }

// All returns every name Next has returned.
func (j *Jobs) All() []string {
	var all []string
	for i := uint64(1); i <= j.n.Load(); i++ {
		all = append(all, j.prefix+strconv.FormatUint(i, 10))
	}
	return all
}

func random() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Errors maps what the engine returns onto a package's errors: each dead
// letter through DeadLetter, and the engine's closed and too-large errors
// joined with the package's sentinels, so that callers match those.
type Errors struct {
	Pkg        string // message prefix, "matrix"
	Closed     error  // the package's ErrClosed
	TooLarge   error  // the package's ErrTooLarge; nil: none
	DeadLetter func(*amqpwork.DeadLetterError) error
}

// Wrap maps err, which may join several errors (one per dead letter).
func (e Errors) Wrap(err error) error {
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	out := make([]error, len(errs))
	for i, err := range errs {
		var dl *amqpwork.DeadLetterError
		switch {
		case errors.As(err, &dl):
			out[i] = e.DeadLetter(dl)
			continue
		case errors.Is(err, amqpwork.ErrClosed):
			err = errors.Join(e.Closed, err)
		case e.TooLarge != nil && errors.Is(err, amqpwork.ErrTooLarge):
			err = errors.Join(e.TooLarge, err)
		}
		out[i] = fmt.Errorf("%s: %w", e.Pkg, err)
	}
	return errors.Join(out...)
}

// Local runs the workers of a -local demo in this process, on the queue
// the caller named or, when that is empty, on a queue of their own that
// Close deletes.
type Local struct {
	Queue   string // the task queue
	private bool
	group   *rungroup.Group
}

// NewLocal names the queue (prefix and a random suffix when queue is
// empty) and returns the group the workers run in, until ctx ends or Close.
func NewLocal(ctx context.Context, queue, prefix string) *Local {
	l := &Local{Queue: queue, group: rungroup.New(ctx)}
	if queue == "" {
		l.Queue, l.private = prefix+random(), true
	}
	return l
}

// Abandon stops the group without touching the broker: for a start that
// failed before anything was declared there.
func (l *Local) Abandon() error {
	l.private = false
	return l.group.Close()
}

// Go runs a worker's Run.
func (l *Local) Go(run func(context.Context) error) { l.group.Go(run) }

// Close stops the workers, then closes the executor (when not nil) and,
// when the queue was the demo's own, deletes it and the queues of jobs
// from the broker (cfg says which broker). It returns every error, joined.
func (l *Local) Close(cfg amqpwork.Config, closeExecutor func() error, jobs []string) error {
	err := l.group.Close()
	if closeExecutor != nil {
		err = errors.Join(err, closeExecutor())
	}
	if l.private {
		l.private = false
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		cfg.Queue = l.Queue
		err = errors.Join(err, amqpwork.DeleteQueues(ctx, cfg, jobs...))
	}
	return err
}
