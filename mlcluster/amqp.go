package mlcluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netlab-go/netlab/internal/amqpseam"
	"github.com/netlab-go/netlab/internal/amqpwork"
)

// DefaultAMQPQueue is the durable task queue an [AMQPExecutor] publishes
// map tasks to and [AMQPWorker]s consume from, unless [AMQPConfig.Queue]
// names another.
const DefaultAMQPQueue = "netlab.mlcluster.tasks"

// DefaultFetchTimeout is [AMQPConfig.FetchTimeout]'s default.
const DefaultFetchTimeout = time.Minute

// ErrDeadLettered is matched (with errors.Is) by the error an
// [AMQPExecutor] returns for a map task that reached the dead-letter
// queue: its workers failed on it, or died holding it, on every one of
// [AMQPConfig.MaxDeliveries] deliveries. The error names the shard, the
// step and the last reason.
var ErrDeadLettered = errors.New("mlcluster: task dead-lettered")

// AMQPConfig configures mlcluster on RabbitMQ: an [AMQPExecutor] publishes
// each step's map tasks on a durable queue, [AMQPWorker]s compete for
// them. The zero value of a field means its default; every executor and
// worker of one queue must agree on Queue and MaxDeliveries.
type AMQPConfig struct {
	// URL of the broker; "" = $AMQP_URL, else amqp://guest:guest@127.0.0.1:5672/.
	URL string
	// Queue is the durable task queue; "" = [DefaultAMQPQueue].
	Queue string
	// Prefetch is how many tasks the broker pushes to one worker before
	// it acknowledges them (and how many the worker maps at once); 0 = 1.
	Prefetch int
	// MaxDeliveries is how often one task is delivered before it is
	// dead-lettered; 0 = 5.
	MaxDeliveries int
	// Algorithms a worker can map (nil = DefaultRegistry()).
	Algorithms *Registry
	// MaxShardBytes bounds the shard data a worker keeps decoded between
	// steps (8 bytes per value; default 8 GiB, as [WorkerConfig]). A shard
	// that does not fit is fetched again when a step needs it.
	MaxShardBytes int64
	// Logger receives connection events; nil is silent.
	Logger *slog.Logger
	// FetchTimeout bounds a worker's wait for a shard from the executor
	// (0 = [DefaultFetchTimeout]): a request that nobody answers (its
	// coordinator is away) puts the task back at the end of the queue
	// instead of holding the worker for ever, without counting one of its
	// MaxDeliveries; a step whose queues are gone fails the task.
	FetchTimeout time.Duration
	// Job names the executor's work on the broker so that a restarted
	// coordinator resumes the step it was waiting for; "" = a fresh
	// random name per executor, which nothing resumes. See
	// [AMQPExecutor] for what the same job means. Workers ignore it.
	Job string
}

func (c AMQPConfig) engine() amqpwork.Config {
	if c.Queue == "" {
		c.Queue = DefaultAMQPQueue
	}
	// The worker keeps shards decoded (shardCache); the engine's cache
	// of raw blobs would hold each a second time.
	return amqpwork.Config{URL: c.URL, Queue: c.Queue, Prefetch: c.Prefetch, Concurrency: c.Prefetch,
		MaxDeliveries: c.MaxDeliveries, BlobCacheBytes: 1, FetchTimeout: c.FetchTimeout, Logger: c.Logger}
}

// AMQPStats counts what an [AMQPExecutor] did.
type AMQPStats struct {
	Tasks       int64 // map tasks answered (one per shard per step)
	Redelivered int64 // of those, answered after an earlier delivery was lost (a worker died)
	Published   int64 // shards published as blobs (once each while the executor lives)
	BytesSent   int64 // task bodies published: algorithm, step, shard reference
	BytesBack   int64 // result bodies received: the partials
}

// AMQPExecutor is an [Executor] on RabbitMQ work queues. Each shard is
// published once, content-addressed, as a blob that workers fetch from
// the executor (over the broker, RabbitMQ's RPC pattern) and cache; each
// step is one task per shard carrying the algorithm's name, the broadcast
// step and the shard's ID and address, and the partials come back on the
// job's reply queue (declared once for all its steps) and are merged in
// shard order. It is safe for concurrent use.
//
// The executor keeps every shard it published until Close, and knows a
// shard by the memory it views: the data of a [Dataset] run on it must
// not change while it lives.
//
// With [AMQPConfig.Job] set, a coordinator that restarts resumes the step
// it was waiting for instead of mapping it again. Each step is then a job
// of its own on the broker, named from [AMQPConfig.Job] and the step's
// number among the executor's calls (NAME-1, NAME-2, ...), and each task ID is the shard's number and the SHA-256
// (128 bits) of its task body: the algorithm, the step's kind and
// broadcast numbers (the centroids of k-means), the shard's number and
// the SHA-256 of its data. "The same job" is therefore the same step over
// the same shards, nothing less: a new process running the same
// computation (same data, shards and seed) with the same name finds the
// step's tasks still queued and takes the partials already waiting on
// its durable reply queue (counted once per task ID), and a partial
// computed from other centroids or other data carries another ID and is
// never taken. Tasks still queued are published again, as the engine
// cannot tell them from lost ones: a worker may map one twice, and the
// second partial is counted as a duplicate. Tasks of other inputs left
// under the same name ask the new executor for shards it does not have,
// fail and are dead-lettered, and the dead letters are ignored.
//
// A worker that takes a task of a named job whose coordinator is gone
// waits up to [AMQPConfig.FetchTimeout] for it to come back and serve the
// task's shard (unless the worker holds it already), then gives the task
// back: a coordinator away longer than MaxDeliveries such waits finds the
// task dead-lettered when it resumes, and reports it.
//
// Only the step in progress resumes: a finished step's queues are
// deleted when its last partial arrives, and the steps before it
// (cheap next to a lost step's queue of work, and deterministic) are
// mapped again by the restarted coordinator to rebuild its state. A step
// of a named job declares and deletes its own queues, which costs more
// per step than the unnamed executor's one set per [RunOn] (see
// BenchmarkRounds in internal/amqpwork). [AMQPExecutor.Close] does not
// delete the queues of a step in progress, so that a restart can resume
// it; a job never finished leaves them for an operator
// (rabbitmqctl delete_queue).
type AMQPExecutor struct {
	client *amqpwork.Client
	jobs   *amqpseam.Jobs
	named  *amqpseam.Named // nil: unnamed, one open job per RunOn

	mu   sync.Mutex
	keys map[shardRef]string      // blob keys of the shards published
	open map[*Shard]*amqpwork.Job // the job of each RunOn in progress, by its first shard

	tasks, redelivered, published, sent, back atomic.Int64
}

// shardRef names a shard by the memory it views, so that the shards of
// every job over one dataset are published once.
type shardRef struct {
	data               *float64
	id, start, n, cols int
}

// DialAMQP connects to the broker and declares the task queue.
func DialAMQP(ctx context.Context, cfg AMQPConfig) (*AMQPExecutor, error) {
	e := &AMQPExecutor{jobs: amqpseam.NewJobs("mlcluster"), keys: map[shardRef]string{},
		open: map[*Shard]*amqpwork.Job{}}
	if cfg.Job != "" {
		if err := amqpseam.CheckJob("mlcluster: AMQPConfig.Job", cfg.Job); err != nil {
			return nil, err
		}
		e.named = amqpseam.NewNamed(cfg.Job)
	}
	c, err := amqpwork.Dial(ctx, cfg.engine())
	if err != nil {
		return nil, fmt.Errorf("mlcluster: %w", err)
	}
	e.client = c
	return e, nil
}

// allJobs returns every engine job the executor ran, for DeleteQueues.
func (e *AMQPExecutor) allJobs() []string {
	if e.named == nil {
		return e.jobs.All()
	}
	return e.named.All()
}

// Close closes the connection and forgets the published shards; calls in
// progress end with an error. A later call returns an error matching
// [ErrClosed]. An unnamed executor deletes the queues of its jobs; a
// named one ([AMQPConfig.Job]) leaves those of a step in progress, tasks
// and partials in them, for a restart to resume.
func (e *AMQPExecutor) Close() error {
	e.mu.Lock()
	open := e.open
	e.open = map[*Shard]*amqpwork.Job{}
	e.mu.Unlock()
	var errs []error
	for _, j := range open {
		errs = append(errs, j.Close())
	}
	return errors.Join(append(errs, e.client.Close())...)
}

// job returns the open job of the RunOn whose shards these are, opening
// it on the first step: one set of queues serves every step of a job,
// each step a round of it.
func (e *AMQPExecutor) job(ctx context.Context, shards []*Shard) (*amqpwork.Job, error) {
	e.mu.Lock()
	j, ok := e.open[shards[0]]
	e.mu.Unlock()
	if ok {
		return j, nil
	}
	j, err := e.client.Open(ctx, e.jobs.Next())
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.open[shards[0]] = j
	e.mu.Unlock()
	return j, nil
}

// endJob closes the job of these shards: RunOn calls it when the job is
// over (see jobEnder).
func (e *AMQPExecutor) endJob(shards []*Shard) {
	if len(shards) == 0 {
		return
	}
	e.mu.Lock()
	j := e.open[shards[0]]
	delete(e.open, shards[0])
	e.mu.Unlock()
	if j != nil {
		_ = j.Close() // a broker away now leaves the queues to DeleteQueues
	}
}

// Stats returns the executor's counters.
func (e *AMQPExecutor) Stats() AMQPStats {
	return AMQPStats{Tasks: e.tasks.Load(), Redelivered: e.redelivered.Load(), Published: e.published.Load(),
		BytesSent: e.sent.Load(), BytesBack: e.back.Load()}
}

// Map implements [Executor]: one task per shard, the partials in shard
// order. The steps of one job are rounds of one set of queues, opened at
// the first step and deleted when [RunOn] ends the job; Map called
// outside RunOn leaves them until Close.
func (e *AMQPExecutor) Map(ctx context.Context, algo Algorithm, step Step, shards []*Shard) ([]Partial, error) {
	for i, s := range shards {
		if s == nil || s.ID != i || s.Rows == 0 || s.Cols == 0 || len(s.Data) != s.Rows*s.Cols {
			return nil, fmt.Errorf("mlcluster: Map: shard %d is not shard %d of a Split", i, i)
		}
	}
	keys := e.publishAll(shards)
	tasks := make([]amqpwork.Task, len(shards))
	for i := range shards {
		t := queueTask{Algo: algo.Name(), Step: step, Shard: i, Key: keys[i]}
		tasks[i] = amqpwork.Task{ID: "shard-" + strconv.Itoa(i), Body: t.encode()}
		if e.named != nil {
			tasks[i].ID = amqpseam.TaskID(tasks[i].ID, tasks[i].Body)
		}
		e.sent.Add(int64(len(tasks[i].Body)))
	}
	if e.named != nil {
		return e.mapNamed(ctx, step, tasks)
	}
	job, err := e.job(ctx, shards)
	if err == nil {
		var res []amqpwork.Result
		res, err = job.Do(ctx, tasks)
		if err == nil {
			return e.partials(res)
		}
	}
	return nil, amqpErrors(step.Kind).Wrap(err)
}

// mapNamed runs one step of a named job as a job of its own on the
// broker, which a restarted coordinator resumes.
func (e *AMQPExecutor) mapNamed(ctx context.Context, step Step, tasks []amqpwork.Task) ([]Partial, error) {
	res, err := e.client.Do(ctx, e.named.Next(), tasks)
	if err != nil {
		return nil, amqpErrors(step.Kind).Wrap(err)
	}
	return e.partials(res)
}

// partials decodes the answers of one step, in shard order.
func (e *AMQPExecutor) partials(res []amqpwork.Result) ([]Partial, error) {
	parts := make([]Partial, len(res))
	for i, r := range res {
		e.back.Add(int64(len(r.Body)))
		e.tasks.Add(1)
		if r.Redelivered {
			e.redelivered.Add(1)
		}
		reply, err := decodeReply(r.Body)
		if err == nil && reply.Err == "" && (len(reply.Shards) != 1 || reply.Shards[0] != i) {
			err = fmt.Errorf("%w: worker %s answered shard %d with %v", ErrProtocol, r.Worker, i, reply.Shards)
		}
		if err != nil {
			return nil, fmt.Errorf("mlcluster: result of shard %d from %s: %w", i, r.Worker, err)
		}
		parts[i] = reply.Parts[0]
	}
	return parts, nil
}

// publishAll makes every shard available to workers once and returns
// their keys. The shards not published yet (at a job's first step) are
// encoded and hashed side by side: the first tasks wait for the last.
func (e *AMQPExecutor) publishAll(shards []*Shard) []string {
	keys := make([]string, len(shards))
	var wg sync.WaitGroup
	for i, s := range shards {
		wg.Go(func() { keys[i] = e.publish(s) })
	}
	wg.Wait()
	return keys
}

// publish makes s available to workers once, and returns its key.
func (e *AMQPExecutor) publish(s *Shard) string {
	ref := shardRef{data: &s.Data[0], id: s.ID, start: s.Start, n: len(s.Data), cols: s.Cols}
	e.mu.Lock()
	key, ok := e.keys[ref]
	e.mu.Unlock()
	if ok {
		return key
	}
	blob := appendShardChunk(nil, 0, s, 0, s.Rows)
	key = amqpwork.BlobKey(blob)
	e.mu.Lock()
	defer e.mu.Unlock()
	if had, ok := e.keys[ref]; ok { // a concurrent Map published it meanwhile
		return had
	}
	e.client.Publish(key, blob)
	e.keys[ref] = key
	e.published.Add(1)
	return key
}

// amqpErrors names the shard and step of a dead letter and matches the
// engine's errors to this package's.
func amqpErrors(step string) amqpseam.Errors {
	return amqpseam.Errors{Pkg: "mlcluster", Closed: ErrClosed,
		DeadLetter: func(dl *amqpwork.DeadLetterError) error {
			return fmt.Errorf("%w: %s of step %s after %d deliveries: %s",
				ErrDeadLettered, dl.TaskID, step, dl.Deliveries, dl.Reason)
		}}
}

// queueTask is the body of one map task on the queue (little-endian, in
// the package's field encoding):
//
//	algo  str     the algorithm's name
//	kind  str     the step's kind
//	data  f64s    the step's broadcast numbers
//	shard u32     the shard's ID: its place in the merge
//	key   str     the shard's blob key (SHA-256 of the blob, in hex)
//
// The blob is the shard as one shard chunk (job 0, every row).
type queueTask struct {
	Algo  string
	Step  Step
	Shard int
	Key   string
}

func (t queueTask) encode() []byte {
	var e enc
	e.str(t.Algo)
	e.str(t.Step.Kind)
	e.f64s(t.Step.Data)
	e.u32(uint32(t.Shard))
	e.str(t.Key)
	return e
}

func decodeQueueTask(b []byte) (queueTask, error) {
	d := &dec{b: b}
	var t queueTask
	t.Algo, t.Step.Kind = d.str("task algorithm"), d.str("task step kind")
	t.Step.Data = d.f64s("task step data")
	t.Shard = int(d.u32("task shard"))
	t.Key = d.str("task blob key")
	return t, d.done("task")
}

// AMQPWorker maps the tasks an [AMQPExecutor] publishes: a competing
// consumer on the task queue with manual acknowledgements, so that the
// task of a worker that dies goes to another one. It fetches each shard
// once and keeps it decoded for the next steps.
type AMQPWorker struct {
	cfg    AMQPConfig
	w      *amqpwork.Worker
	shards *shardCache
	steps  atomic.Int64
}

// NewAMQPWorker validates cfg; [AMQPWorker.Run] connects.
func NewAMQPWorker(cfg AMQPConfig) (*AMQPWorker, error) {
	if cfg.Algorithms == nil {
		cfg.Algorithms = DefaultRegistry()
	}
	if cfg.MaxShardBytes < 0 {
		return nil, fmt.Errorf("mlcluster: AMQPConfig.MaxShardBytes %d is negative", cfg.MaxShardBytes)
	}
	if cfg.MaxShardBytes == 0 {
		cfg.MaxShardBytes = DefaultWorkerConfig().MaxShardBytes
	}
	if cfg.FetchTimeout < 0 {
		return nil, fmt.Errorf("mlcluster: AMQPConfig.FetchTimeout %v is negative", cfg.FetchTimeout)
	}
	if cfg.FetchTimeout == 0 {
		cfg.FetchTimeout = DefaultFetchTimeout
	}
	aw := &AMQPWorker{cfg: cfg, shards: newShardCache(cfg.MaxShardBytes)}
	w, err := amqpwork.NewWorker(cfg.engine(), aw.handle)
	if err != nil {
		return nil, fmt.Errorf("mlcluster: %w", err)
	}
	aw.w = w
	return aw, nil
}

// Name is the worker's name on the broker.
func (w *AMQPWorker) Name() string { return w.w.Name() }

// Steps returns how many map tasks the worker has answered.
func (w *AMQPWorker) Steps() int64 { return w.steps.Load() }

// Run consumes and maps tasks until ctx ends or Close is called, and
// reconnects with back-off when the broker goes away. Tasks it had not
// acknowledged go back to the queue.
func (w *AMQPWorker) Run(ctx context.Context) error { return amqpErrors("").Wrap(w.w.Run(ctx)) }

// Close stops Run and waits for it; Run after Close returns an error
// matching [ErrClosed].
func (w *AMQPWorker) Close() error { return w.w.Close() }

// handle maps one task. An error (an unknown algorithm, a failing Map, a
// malformed task) sends the task back; after MaxDeliveries it is
// dead-lettered with the error as its reason.
func (w *AMQPWorker) handle(ctx context.Context, t amqpwork.Task, fetch amqpwork.Fetcher) ([]byte, error) {
	task, err := decodeQueueTask(t.Body)
	if err != nil {
		return nil, err
	}
	algo, err := w.cfg.Algorithms.Lookup(task.Algo)
	if err != nil {
		return nil, err
	}
	shard, err := w.shards.get(ctx, task.Key, fetch) // the engine bounds the fetch by FetchTimeout
	if err != nil {
		return nil, err
	}
	if shard.ID != task.Shard {
		return nil, fmt.Errorf("%w: task for shard %d names the blob of shard %d", ErrProtocol, task.Shard, shard.ID)
	}
	p, err := algo.Map(task.Step, shard)
	if err != nil {
		return nil, fmt.Errorf("shard %d: %w", task.Shard, err)
	}
	w.steps.Add(1)
	return replyMsg{Shards: []int{task.Shard}, Parts: []Partial{p}}.encode(), nil
}

// shardCache keeps decoded shards by blob key within a budget of bytes;
// when a new shard does not fit, others are forgotten (fetched again when
// needed).
type shardCache struct {
	budget int64
	mu     sync.Mutex
	used   int64
	byKey  map[string]*Shard
}

func newShardCache(budget int64) *shardCache {
	return &shardCache{budget: budget, byKey: map[string]*Shard{}}
}

func (c *shardCache) get(ctx context.Context, key string, fetch amqpwork.Fetcher) (*Shard, error) {
	c.mu.Lock()
	s, ok := c.byKey[key]
	c.mu.Unlock()
	if ok {
		return s, nil
	}
	blob, err := fetch(ctx, key)
	if err != nil {
		return nil, err
	}
	if amqpwork.BlobKey(blob) != key {
		return nil, fmt.Errorf("%w: blob %.12s… does not hash to its key", ErrProtocol, key)
	}
	ch, err := decodeShardChunk(blob)
	if err != nil {
		return nil, err
	}
	if ch.Offset != 0 || ch.N != ch.Rows {
		return nil, fmt.Errorf("%w: blob %.12s… holds rows [%d, %d) of %d", ErrProtocol, key, ch.Offset, ch.Offset+ch.N, ch.Rows)
	}
	s = &Shard{ID: ch.Shard, Start: ch.Start, Rows: ch.Rows, Cols: ch.Cols, Data: make([]float64, ch.N*ch.Cols)}
	ch.values(s.Data)
	size := int64(8 * len(s.Data))
	c.mu.Lock()
	defer c.mu.Unlock()
	if had, ok := c.byKey[key]; ok { // fetched meanwhile by another task
		return had, nil
	}
	for k, old := range c.byKey {
		if c.used+size <= c.budget {
			break
		}
		c.used -= int64(8 * len(old.Data))
		delete(c.byKey, k)
	}
	if c.used+size <= c.budget {
		c.byKey[key] = s
		c.used += size
	}
	return s, nil
}
