package amqpwork

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Job is a job kept open for several rounds of tasks, such as the
// iterations of k-means: its queues are declared once, by [Client.Open],
// and deleted once, by [Job.Close], instead of once per [Client.Do], which
// is most of a small round's time (see BenchmarkRounds). Each round's
// tasks carry the round number in their correlation IDs, so a late result
// of one round is never taken for a result of the next. The prefix takes
// 17 to 20 bytes of the 255 a correlation ID may have.
//
// Rounds run one at a time; a Job is safe for concurrent use, and
// concurrent Do calls wait for each other.
//
// Unlike a plain Do, an open job is not resumed by a restarted
// coordinator: each Open tags its rounds with a random nonce as well as
// their number, so results left by an earlier process (whose round 1 may
// have had other tasks under the same IDs) are discarded, never taken for
// this one's. The answers stay right; only work is repeated.
type Job struct {
	c     *Client
	name  string
	n     names
	nonce string // tags this Open's rounds apart from any earlier Open's

	mu     sync.Mutex // held for a round; guards round, closed, conn and rank
	round  int
	closed bool
	conn   *amqp.Connection // the connection the queues were last declared on
	rank   map[string]int   // task ID -> the place its result took in the last round
	chans  *channels        // kept from round to round while open
}

// Open declares the queues of the job named name and returns it for
// rounds of [Job.Do]. The name follows the rules of [Client.Do]'s, and no
// plain Do may use it while the Job is open.
func (c *Client) Open(ctx context.Context, name string) (*Job, error) {
	if err := validJob(c.cfg.Queue, name); err != nil {
		return nil, err
	}
	ctx, done, err := c.calls.Enter(ctx, ErrClosed)
	if err != nil {
		return nil, err
	}
	defer done()
	j := &Job{c: c, name: name, n: namesFor(c.cfg.Queue, name), nonce: randomID()}
	conn, err := c.connection(ctx)
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err != nil {
		return nil, err
	}
	defer ch.Close()
	if err := c.declareTasksOn(conn, ch); err != nil {
		return nil, err
	}
	if err := declareJob(ch, j.n, name); err != nil {
		return nil, err
	}
	j.conn = conn
	return j, nil
}

// Name is the job's name.
func (j *Job) Name() string { return j.name }

// Do runs one round of tasks and returns their results in task order, with
// everything [Client.Do] promises (once per task, dead letters reported,
// reconnection) except the clean-up: the queues stay for the next round.
// Task IDs need to be unique within the round only.
func (j *Job) Do(ctx context.Context, tasks []Task) ([]Result, error) {
	ctx, done, err := j.c.calls.Enter(ctx, ErrClosed)
	if err != nil {
		return nil, err
	}
	defer done()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil, ErrClosed
	}
	j.round++
	r, err := j.c.newJob(j.name, j.nonce+".r"+strconv.Itoa(j.round)+"/", tasks)
	if err != nil {
		return nil, err
	}
	r.open = j
	r.order = j.publishOrder(tasks)
	err = r.run(ctx)
	j.rank = make(map[string]int, len(r.arrived))
	for place, i := range r.arrived {
		j.rank[tasks[i].ID] = place
	}
	if err != nil {
		return nil, err
	}
	return r.results, errors.Join(r.dead...)
}

// publishOrder is the order to publish a round's tasks in: those
// answered in the last round in the order their results came, then the
// others in task order. The broker hands a task to the worker that has
// waited longest with room for it (prefetch), which is the worker that
// acknowledged its last task first, and so, most often, the one whose
// result came first: publishing that task first tends to give each
// worker the task of the same ID again, whose blobs it holds already
// (a k-means worker keeps its shard). It is a preference, not a
// promise: any worker still computes any task right.
func (j *Job) publishOrder(tasks []Task) []int {
	order := make([]int, len(tasks))
	for i := range order {
		order[i] = i
	}
	last := func(i int) int {
		if r, ok := j.rank[tasks[i].ID]; ok {
			return r
		}
		return len(tasks)
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(last(a), last(b)) })
	return order
}

// declaredOn reports whether the queues were declared on conn; j.mu is
// held (by Do).
func (j *Job) declaredOn(conn *amqp.Connection) bool { return j.conn == conn }

func (j *Job) declared(conn *amqp.Connection) { j.conn = conn }

// Close deletes the job's queues, with whatever they still hold, after the
// round in progress has ended. It is idempotent; Do after Close returns
// [ErrClosed].
func (j *Job) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil
	}
	j.closed = true
	j.chans.close()
	j.chans = nil
	// Bounded: a broker that is away when the job closes leaves the
	// queues to DeleteQueues rather than holding Close.
	bounded, cancel := context.WithTimeout(context.Background(), j.c.cfg.DialTimeout+j.c.cfg.MaxBackoff)
	defer cancel()
	ctx, done, err := j.c.calls.Enter(bounded, ErrClosed)
	if err != nil {
		return fmt.Errorf("amqpwork: job %q: the client is closed; its queues stay for DeleteQueues: %w",
			j.name, err)
	}
	defer done()
	if err := j.c.cleanup(ctx, j.n); err != nil {
		return fmt.Errorf("amqpwork: job %q: deleting its queues: %w", j.name, err)
	}
	return nil
}
