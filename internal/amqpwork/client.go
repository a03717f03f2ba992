package amqpwork

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/netlab-go/netlab/internal/calls"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Task is one unit of work: a body for a worker's [Handler], and an ID that
// is unique within its job. The ID is the task's correlation ID on the
// wire: it matches a result to its task and recognises a result that
// arrives twice.
type Task struct {
	ID   string
	Body []byte
}

// Result is what a worker's [Handler] returned for one task.
type Result struct {
	TaskID string
	Body   []byte
	// Worker names the worker that computed it (its [Worker.Name]).
	Worker string
	// Redelivered says the task had been delivered before: a worker died
	// or lost its connection on it, or a handler failed on it.
	Redelivered bool
}

// ClientStats counts what a [Client] did, over all its jobs.
type ClientStats struct {
	Published   uint64 // task messages confirmed by the broker, republished ones included
	Republished uint64 // tasks published again: nacked, or their confirm lost with a connection
	Results     uint64 // results counted (once per task)
	Duplicates  uint64 // results that arrived again for a task already counted, and ignored
	DeadLetters uint64 // tasks reported as dead-lettered
	BlobsServed uint64 // blob requests answered
	// BodiesServed counts task bodies sent to workers that fetched them
	// (bodies over [Config.InlineBody]).
	BodiesServed uint64
	Reconnects   uint64 // connections re-established after a failure
}

// Client is the coordinator's side: it publishes a job's tasks, collects
// their results, and serves the blobs that workers fetch. It is safe for
// concurrent use; concurrent Do calls must use different job names.
type Client struct {
	cfg   Config
	log   *slog.Logger
	name  string
	calls *calls.Group

	mu       sync.Mutex // guards conn and declared; held for one dial attempt
	conn     *amqp.Connection
	declared *amqp.Connection // the connection on which the task queue was last declared

	blobMu sync.RWMutex
	blobs  map[string][]byte

	servePart int // the largest message serving a body or blob sends; BenchmarkBlobFetch varies it

	published, republished, results, duplicates, dead, served, bodies, reconnects atomic.Uint64

	closeOnce sync.Once
	closeErr  error
}

// Dial validates cfg, connects to the broker and declares the task queue.
// An unreachable broker is an error within cfg.DialTimeout.
func Dial(ctx context.Context, cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg: cfg, log: cfg.logger(), name: "client-" + randomID(), calls: calls.New(),
		blobs: map[string][]byte{}, servePart: defaultServePart,
	}
	conn, err := cfg.dial(ctx, "netlab amqpwork "+cfg.Queue+" "+c.name)
	if err != nil {
		return nil, err
	}
	ch, err := conn.Channel()
	if err == nil {
		err = declareTasks(ch, cfg)
	}
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	_ = ch.Close()
	c.conn, c.declared = conn, conn
	return c, nil
}

// declareTasksOn declares the task queue on ch, a channel of conn, unless
// it was declared on conn before: a new connection may mean a restarted
// broker, which has lost a queue only if it was not durable, but a
// declaration is cheap insurance once per connection, not once per job.
func (c *Client) declareTasksOn(conn *amqp.Connection, ch *amqp.Channel) error {
	c.mu.Lock()
	done := c.declared == conn
	c.mu.Unlock()
	if done {
		return nil
	}
	if err := declareTasks(ch, c.cfg); err != nil {
		return err
	}
	c.mu.Lock()
	c.declared = conn
	c.mu.Unlock()
	return nil
}

// randomID is 12 hex digits of randomness, for names that must not clash.
func randomID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// BlobKey returns the content address of data (its SHA-256, in hex): the
// key to [Client.Publish] it under, so that equal data is sent once.
func BlobKey(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Publish makes data available under key to the workers of every job this
// client runs: a [Handler] gets it with its [Fetcher], which asks the
// client once and then caches it, so that data shared by many tasks
// crosses the broker once per worker rather than once per task. Use
// [BlobKey] as key: the workers' caches trust that a key names one content.
// The client keeps data until Close; the caller must not change it.
func (c *Client) Publish(key string, data []byte) {
	c.blobMu.Lock()
	c.blobs[key] = data
	c.blobMu.Unlock()
}

func (c *Client) blob(key string) ([]byte, bool) {
	c.blobMu.RLock()
	defer c.blobMu.RUnlock()
	b, ok := c.blobs[key]
	return b, ok
}

// Stats returns the client's counters.
func (c *Client) Stats() ClientStats {
	return ClientStats{
		Published: c.published.Load(), Republished: c.republished.Load(),
		Results: c.results.Load(), Duplicates: c.duplicates.Load(), DeadLetters: c.dead.Load(),
		BlobsServed: c.served.Load(), BodiesServed: c.bodies.Load(), Reconnects: c.reconnects.Load(),
	}
}

// connection returns an open connection, reconnecting with back-off while
// the broker is away, until ctx ends.
func (c *Client) connection(ctx context.Context) (*amqp.Connection, error) {
	for n := 0; ; n++ {
		conn, err := c.connectOnce(ctx)
		if err == nil || errors.Is(err, ErrClosed) {
			return conn, err
		}
		c.log.Warn("amqpwork client cannot reconnect yet", "err", err)
		if sleep(ctx, c.cfg.backoffDelay(n)) != nil {
			return nil, fmt.Errorf("amqpwork: broker unavailable: %w (last error: %v)", ctx.Err(), err)
		}
	}
}

func (c *Client) connectOnce(ctx context.Context) (*amqp.Connection, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn == nil {
		return nil, ErrClosed
	}
	if !c.conn.IsClosed() {
		return c.conn, nil
	}
	conn, err := c.cfg.dial(ctx, "netlab amqpwork "+c.cfg.Queue+" "+c.name)
	if err != nil {
		return nil, err
	}
	c.conn = conn
	c.reconnects.Add(1)
	c.log.Info("amqpwork client reconnected", "broker", c.cfg.redactedURL())
	return conn, nil
}

// Close ends the jobs in progress (their Do calls return an error; their
// tasks stay queued for a later Do with the same job), closes the
// connection and waits. It is idempotent; Do after Close returns
// [ErrClosed].
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.calls.Close()
		c.mu.Lock()
		defer c.mu.Unlock()
		if err := c.conn.Close(); err != nil && !errors.Is(err, amqp.ErrClosed) {
			c.closeErr = fmt.Errorf("amqpwork: closing client: %w", err)
		}
		c.conn = nil
	})
	return c.closeErr
}
