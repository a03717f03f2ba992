package matrix

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/netlab-go/netlab/internal/amqpseam"
	"github.com/netlab-go/netlab/internal/amqpwork"
	"gonum.org/v1/gonum/mat"
)

// DefaultAMQPQueue is the durable task queue an [AMQPExecutor] publishes
// products to and [AMQPWorker]s consume from, unless [AMQPConfig.Queue]
// names another.
const DefaultAMQPQueue = "netlab.matrix.tasks"

// ErrDeadLettered is matched (with errors.Is) by the error an
// [AMQPExecutor] returns for a product that reached the dead-letter queue:
// its workers failed on it, or died holding it, on every one of
// [AMQPConfig.MaxDeliveries] deliveries. The error names the product and
// the last reason.
var ErrDeadLettered = errors.New("matrix: task dead-lettered")

// AMQPConfig configures matrix on RabbitMQ: an [AMQPExecutor] publishes
// products as tasks on a durable queue, [AMQPWorker]s compete for them.
// The zero value of a field means its default; every executor and worker
// of one queue must agree on Queue and MaxDeliveries.
type AMQPConfig struct {
	URL           string         // broker; "" = $AMQP_URL, else amqp://guest:guest@127.0.0.1:5672/
	Queue         string         // durable task queue; "" = DefaultAMQPQueue
	Prefetch      int            // tasks the broker pushes to one worker before it acknowledges, and products it computes at once; 0 = DefaultAMQPPrefetch
	MaxDeliveries int            // deliveries of one task before it is dead-lettered; 0 = 5
	MaxMessage    int            // largest message body sent through the broker; 0 = 128 MiB, RabbitMQ's default
	Cutoff        int            // worker: gonum Mul at or below this size, Strassen above; 0 = DefaultCutoff
	Limits        Limits         // worker: bounds on the tasks it decodes
	Logger        *slog.Logger   // nil = silent
	OnTask        func(TaskInfo) // worker: called as each task arrives, before computing; nil = none

	// Job names the executor's work on the broker so that a restarted
	// coordinator resumes it; "" = a fresh random name per executor,
	// which nothing resumes. See [AMQPExecutor] for what the same job
	// means. Workers ignore it.
	Job string
}

// DefaultAMQPPrefetch is [AMQPConfig.Prefetch]'s default. With two
// tasks a worker fetches the next product's operands, and starts it,
// while the broker confirms the result of the one before: the wire and
// the broker's disk no longer stand between one product and the next.
// (One product already keeps every core busy, through gonum's Dgemm.)
const DefaultAMQPPrefetch = 2

func (c AMQPConfig) engine() amqpwork.Config {
	c.Queue = cmp.Or(c.Queue, DefaultAMQPQueue)
	c.Prefetch = cmp.Or(c.Prefetch, DefaultAMQPPrefetch)
	// Operands are used once: a worker's cache of blobs would only hold
	// them a second time.
	return amqpwork.Config{URL: c.URL, Queue: c.Queue, Prefetch: c.Prefetch,
		Concurrency: c.Prefetch, MaxDeliveries: c.MaxDeliveries, MaxMessageSize: c.MaxMessage,
		BlobCacheBytes: 1, Logger: c.Logger}
}

// AMQPStats counts what an [AMQPExecutor] sent and received.
type AMQPStats struct {
	Tasks       int64 // products computed by workers
	Redelivered int64 // of those, computed after an earlier delivery was lost (a worker died)
	BytesSent   int64 // task bodies, once per product: the operands, in the package's wire format, that workers fetch
	BytesBack   int64 // result bodies received: the products
}

// AMQPExecutor is an [Executor] on RabbitMQ work queues: each product is a
// persistent task carrying its two operands (in the package's wire format,
// operand sums formed as they are encoded), and [AMQPWorker]s, competing
// consumers on the same queue, send back the product. It is safe for
// concurrent use.
//
// With [AMQPConfig.Job] set, a coordinator that restarts resumes its
// multiplications instead of running them again. Each call of
// [AMQPExecutor.Products] is one job on the broker, named from
// [AMQPConfig.Job] and the call's number (NAME-1, NAME-2, ...), and each
// task ID is the product's number and the SHA-256 (128 bits) of its task
// body: the product's place and both operands. "The same job" is
// therefore the same products of the same operands in the same order,
// nothing less: a new process with the same name multiplying the same
// matrices finds the tasks its
// predecessor left queued and takes the results already waiting on the
// job's durable reply queue (counted once per task ID), while a result
// computed from other operands carries another ID and is never taken.
// Tasks still queued are published again, as the engine cannot tell
// them from lost ones: a worker may compute one twice, and the second
// result is counted as a duplicate; the product is the same.
//
// A named job's queues stay on the broker until its products are all
// answered, and are then deleted; [AMQPExecutor.Close] does not delete
// them, so that a restart can resume. A job that is never finished
// leaves them for an operator (rabbitmqctl delete_queue). Hashing the
// operands costs one pass over them per call; an unnamed executor skips it.
type AMQPExecutor struct {
	cfg    AMQPConfig
	client *amqpwork.Client
	jobs   *amqpseam.Jobs
	named  *amqpseam.Named // nil: unnamed, random job names

	tasks, redelivered, sent, back atomic.Int64
}

// DialAMQP connects to the broker and declares the task queue.
func DialAMQP(ctx context.Context, cfg AMQPConfig) (*AMQPExecutor, error) {
	cfg.Limits = cfg.Limits.withDefaults()
	if err := cfg.Limits.validate("AMQPConfig."); err != nil {
		return nil, err
	}
	e := &AMQPExecutor{cfg: cfg, jobs: amqpseam.NewJobs("matrix")}
	if cfg.Job != "" {
		if err := amqpseam.CheckJob("matrix: AMQPConfig.Job", cfg.Job); err != nil {
			return nil, err
		}
		e.named = amqpseam.NewNamed(cfg.Job)
	}
	c, err := amqpwork.Dial(ctx, cfg.engine())
	if err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	e.client = c
	return e, nil
}

// engineJob returns the engine job of the next call.
func (e *AMQPExecutor) engineJob() string {
	if e.named == nil {
		return e.jobs.Next()
	}
	return e.named.Next()
}

// allJobs returns every engine job the executor ran, for DeleteQueues.
func (e *AMQPExecutor) allJobs() []string {
	if e.named == nil {
		return e.jobs.All()
	}
	return e.named.All()
}

// Close closes the connection; calls in progress end with an error. A
// later call returns an error matching [ErrClosed]. The queues of a call
// in progress stay on the broker, tasks and results in them: with
// [AMQPConfig.Job] set, a new executor of the same job resumes it.
func (e *AMQPExecutor) Close() error { return e.client.Close() }

// Stats returns the executor's counters.
func (e *AMQPExecutor) Stats() AMQPStats {
	return AMQPStats{Tasks: e.tasks.Load(), Redelivered: e.redelivered.Load(),
		BytesSent: e.sent.Load(), BytesBack: e.back.Load()}
}

// Products implements [Executor]: it publishes one task per product,
// waits for every result and returns the products in order. A product
// that reached the dead-letter queue is an error matching
// [ErrDeadLettered] that names it; a task larger than the broker's
// maximum message size ([AMQPConfig.MaxMessage]) is refused before it is
// sent with an error matching [ErrTooLarge] that names both sizes.
func (e *AMQPExecutor) Products(ctx context.Context, ps []Product) ([]*mat.Dense, error) {
	if err := checkProducts(ps); err != nil {
		return nil, err
	}
	// The products are encoded (operand sums formed as they go) side by
	// side: nothing is published before the last one is ready.
	tasks := make([]amqpwork.Task, len(ps))
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() { tasks[i], errs[i] = e.task(i, p) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	res, err := e.client.Do(ctx, e.engineJob(), tasks)
	if err != nil {
		return nil, amqpErrors.Wrap(err)
	}
	out := make([]*mat.Dense, len(ps))
	for i, r := range res {
		e.back.Add(int64(len(r.Body)))
		e.tasks.Add(1)
		if r.Redelivered {
			e.redelivered.Add(1)
		}
		if out[i], err = e.result(i, ps[i], r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// task encodes product i as the engine's task: its operands in the wire
// format. The engine keeps a body this large with the executor, and the
// worker fetches it (see the package documentation).
func (e *AMQPExecutor) task(i int, p Product) (amqpwork.Task, error) {
	ar, ac := p.A.Dims()
	br, bc := p.B.Dims()
	var buf bytes.Buffer
	buf.Grow(frameHeader + 9 + int(matrixLen(ar, ac)+matrixLen(br, bc)))
	if err := NewEncoder(&buf).task(uint64(i), 1, source(p.A), source(p.B)); err != nil {
		return amqpwork.Task{}, err
	}
	t := amqpwork.Task{ID: productID(i), Body: buf.Bytes()}
	if e.named != nil {
		t.ID = amqpseam.TaskID(productID(i), buf.Bytes())
	}
	e.sent.Add(int64(buf.Len()))
	return t, nil
}

func productID(i int) string { return "M" + strconv.Itoa(i+1) }

// frameHeader is the version byte, the type byte and the body length.
const frameHeader = 1 + 1 + 8

// result decodes and checks the answer to product i.
func (e *AMQPExecutor) result(i int, p Product, r amqpwork.Result) (*mat.Dense, error) {
	m, err := NewDecoder(bytes.NewReader(r.Body), e.cfg.Limits).Decode()
	if err != nil {
		return nil, fmt.Errorf("matrix: result of %s from %s: %w", productID(i), r.Worker, err)
	}
	res, ok := m.(*ResultMsg)
	if !ok {
		return nil, fmt.Errorf("%w: %s answered %s with a %s frame", ErrMalformed, r.Worker, productID(i), m.Type())
	}
	xr, _ := p.A.Dims()
	_, yc := p.B.Dims()
	if gr, gc := res.C.Dims(); res.ID != uint64(i) || gr != xr || gc != yc {
		return nil, fmt.Errorf("%w: %s answered %s with a %d×%d result for task %d, want %d×%d",
			ErrMalformed, r.Worker, productID(i), gr, gc, res.ID, xr, yc)
	}
	return res.C, nil
}

// amqpErrors names the product of a dead letter and matches the engine's
// errors to this package's.
var amqpErrors = amqpseam.Errors{Pkg: "matrix", Closed: ErrClosed, TooLarge: ErrTooLarge,
	DeadLetter: func(dl *amqpwork.DeadLetterError) error {
		return fmt.Errorf("%w: product %s after %d deliveries: %s", ErrDeadLettered, dl.TaskID, dl.Deliveries, dl.Reason)
	}}

// AMQPWorker computes the products an [AMQPExecutor] publishes: a
// competing consumer on the task queue with manual acknowledgements, so
// that the task of a worker that dies goes to another one.
type AMQPWorker struct {
	cfg   AMQPConfig
	w     *amqpwork.Worker
	tasks atomic.Int64
}

// NewAMQPWorker validates cfg; [AMQPWorker.Run] connects.
func NewAMQPWorker(cfg AMQPConfig) (*AMQPWorker, error) {
	cfg.Limits = cfg.Limits.withDefaults()
	cfg.Cutoff = cmp.Or(cfg.Cutoff, DefaultCutoff)
	if cfg.Cutoff < 1 {
		return nil, fmt.Errorf("matrix: AMQPConfig.Cutoff %d must be at least 1", cfg.Cutoff)
	}
	if err := cfg.Limits.validate("AMQPConfig."); err != nil {
		return nil, err
	}
	aw := &AMQPWorker{cfg: cfg}
	w, err := amqpwork.NewWorker(cfg.engine(), aw.handle)
	if err != nil {
		return nil, fmt.Errorf("matrix: %w", err)
	}
	aw.w = w
	return aw, nil
}

// Name is the worker's name on the broker.
func (w *AMQPWorker) Name() string { return w.w.Name() }

// Tasks returns how many products the worker has computed.
func (w *AMQPWorker) Tasks() int64 { return w.tasks.Load() }

// Run consumes and computes tasks until ctx ends or Close is called, and
// reconnects with back-off when the broker goes away. Tasks it had not
// acknowledged go back to the queue.
func (w *AMQPWorker) Run(ctx context.Context) error { return amqpErrors.Wrap(w.w.Run(ctx)) }

// Close stops Run and waits for it; Run after Close returns an error
// matching [ErrClosed].
func (w *AMQPWorker) Close() error { return w.w.Close() }

// handle decodes one task, multiplies, and encodes the result. A task the
// worker refuses (malformed, beyond its Limits) is an error: after
// MaxDeliveries it is dead-lettered with that error as its reason.
func (w *AMQPWorker) handle(ctx context.Context, t amqpwork.Task, _ amqpwork.Fetcher) ([]byte, error) {
	m, err := NewDecoder(bytes.NewReader(t.Body), w.cfg.Limits).Decode()
	if err != nil {
		return nil, err
	}
	task, ok := m.(*TaskMsg)
	if !ok {
		return nil, fmt.Errorf("%w: a task queue carries task frames, not %s", ErrMalformed, m.Type())
	}
	if w.cfg.OnTask != nil {
		r, k := task.A.Dims()
		_, c := task.B.Dims()
		w.cfg.OnTask(TaskInfo{ID: task.ID, Depth: task.Depth, Rows: r, Inner: k, Cols: c, Worker: w.Name()})
	}
	prod := strassen(task.A, task.B, w.cfg.Cutoff)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r, c := prod.Dims()
	var buf bytes.Buffer
	buf.Grow(frameHeader + 8 + int(matrixLen(r, c)))
	if err := NewEncoder(&buf).Encode(&ResultMsg{ID: task.ID, C: prod}); err != nil {
		return nil, err
	}
	w.tasks.Add(1)
	return buf.Bytes(), nil
}
