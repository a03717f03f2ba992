package amqpwork

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/netlab-go/netlab/internal/amqpconn"
	"github.com/netlab-go/netlab/internal/defaults"
	amqp "github.com/rabbitmq/amqp091-go"
)

// DefaultURL is the broker a [Config] points at when neither Config.URL nor
// the AMQP_URL environment variable is set: a RabbitMQ on this machine with
// its out-of-the-box guest account.
const DefaultURL = "amqp://guest:guest@127.0.0.1:5672/"

// DefaultMaxMessageSize is RabbitMQ's default max_message_size (128 MiB),
// the largest body a broker configured as shipped accepts.
const DefaultMaxMessageSize = 128 << 20

// DefaultInlineBody is [Config.InlineBody]'s default: bodies up to 4 KiB
// ride in their task message, where one message costs less than a
// message and a fetch; larger ones are fetched from the client.
const DefaultInlineBody = 4 << 10

// maxNameLen is AMQP 0-9-1's limit on a queue or exchange name (shortstr).
const maxNameLen = 255

// Config says where the broker is, which queue carries the tasks and how
// hard the engine tries. The zero value of an optional field means its
// default, as in net/http; only Queue is required.
type Config struct {
	// URL of the broker. Empty means the AMQP_URL environment variable, or
	// [DefaultURL] when that is empty too.
	URL string
	// Queue names the durable task queue that clients publish to and
	// workers consume from, for example "netlab.matrix.tasks". The job's
	// result, dead-letter and blob queues are named after it.
	Queue string
	// Prefetch is how many unacknowledged tasks the broker pushes to one
	// worker at a time (basic.qos). 0 means 1: a slow worker never sits on
	// tasks an idle one could run.
	Prefetch int
	// Concurrency is how many tasks one [Worker] runs at once. 0 means 1.
	// It is capped by Prefetch: a worker never holds more tasks than the
	// broker gave it.
	Concurrency int
	// MaxDeliveries is how often one task is delivered before it is
	// dead-lettered: a handler that keeps failing on it or workers that
	// keep dying on it. 0 means 5. It is a property of the task queue
	// (x-delivery-limit), so every client and worker of Queue must agree.
	MaxDeliveries int
	// MaxMessageSize is the largest message body sent through the broker.
	// 0 means [DefaultMaxMessageSize]. Larger results and blobs are split
	// into parts; a larger task is refused with [ErrTooLarge].
	MaxMessageSize int
	// MinBackoff and MaxBackoff bound the wait between attempts to
	// reconnect after the broker went away: it doubles from MinBackoff up
	// to MaxBackoff, with up to 50% random jitter so that many workers do
	// not reconnect in step. 0 means 100 ms and 5 s.
	MinBackoff, MaxBackoff time.Duration
	// DialTimeout bounds connecting and the AMQP handshake. 0 means 5 s.
	DialTimeout time.Duration
	// InlineBody is the largest task body that travels inside its task
	// message. A larger body stays with the [Client], and the worker
	// fetches it (as it fetches a blob: transient, on direct reply-to)
	// before its handler runs; the persistent, confirmed task message
	// then carries only the task's name and the body's length, so that
	// the bytes skip the task queue's disk. 0 means [DefaultInlineBody];
	// a negative value sends every body inline.
	InlineBody int
	// FetchTimeout bounds a worker's wait for one blob or task body from
	// its client: when nobody answers (the job's client is away), the
	// worker puts the task back at the end of the queue instead of
	// holding it, without counting a delivery (see WorkerStats.Deferred).
	// 0 means 1 minute.
	FetchTimeout time.Duration
	// BlobCacheBytes bounds the bytes of blobs a [Worker] keeps after
	// fetching them; the least recently used go first. 0 means 256 MiB.
	BlobCacheBytes int
	// Logger receives connection events; nil means silent.
	Logger *slog.Logger
}

// withDefaults fills in the zero fields that have a default.
func (c Config) withDefaults() Config {
	c.URL = amqpconn.URL(c.URL, DefaultURL)
	minBackoff := cmp.Or(c.MinBackoff, 100*time.Millisecond)
	return defaults.Fill(c, Config{
		Prefetch:       1,
		Concurrency:    1,
		MaxDeliveries:  5,
		MaxMessageSize: DefaultMaxMessageSize,
		MinBackoff:     minBackoff,
		MaxBackoff:     max(5*time.Second, minBackoff),
		DialTimeout:    5 * time.Second,
		InlineBody:     DefaultInlineBody,
		FetchTimeout:   time.Minute,
		BlobCacheBytes: 256 << 20,
	})
}

// Validate returns an error naming the first field that is not usable,
// after the defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	// The longest derived name is Queue + ".results." + job; leave room
	// for a job name.
	switch {
	case c.Queue == "":
		return errors.New("amqpwork: Config.Queue is empty; name the task queue, e.g. netlab.matrix.tasks")
	case len(c.Queue) > maxNameLen/2:
		return fmt.Errorf("amqpwork: Config.Queue is %d bytes, the limit is %d", len(c.Queue), maxNameLen/2)
	case c.Prefetch < 1 || c.Prefetch > 65535:
		return fmt.Errorf("amqpwork: Config.Prefetch %d is outside [1, 65535]", c.Prefetch)
	case c.Concurrency < 1:
		return fmt.Errorf("amqpwork: Config.Concurrency %d is negative", c.Concurrency)
	case c.MaxDeliveries < 1 || c.MaxDeliveries > 1000:
		return fmt.Errorf("amqpwork: Config.MaxDeliveries %d is outside [1, 1000]", c.MaxDeliveries)
	case c.MaxMessageSize < minPartSize:
		return fmt.Errorf("amqpwork: Config.MaxMessageSize %d is below %d", c.MaxMessageSize, minPartSize)
	case c.MinBackoff < 0 || c.MaxBackoff < c.MinBackoff:
		return fmt.Errorf("amqpwork: Config.MinBackoff %v and MaxBackoff %v must satisfy 0 < min <= max",
			c.MinBackoff, c.MaxBackoff)
	case c.DialTimeout < 0:
		return fmt.Errorf("amqpwork: Config.DialTimeout %v is negative", c.DialTimeout)
	case c.FetchTimeout < 0:
		return fmt.Errorf("amqpwork: Config.FetchTimeout %v is negative", c.FetchTimeout)
	case c.BlobCacheBytes < 0:
		return fmt.Errorf("amqpwork: Config.BlobCacheBytes %d is negative", c.BlobCacheBytes)
	}
	if _, err := amqp.ParseURI(c.URL); err != nil {
		return fmt.Errorf("amqpwork: Config.URL: %w", err)
	}
	return nil
}

func (c Config) logger() *slog.Logger { return amqpconn.Logger(c.Logger) }

// redactedURL is the URL without its password, for errors and logs.
func (c Config) redactedURL() string { return amqpconn.RedactURL(c.URL) }

// dial connects and completes the AMQP handshake within DialTimeout or
// before ctx ends, whichever comes first. name tells the broker's
// connection list who this is (rabbitmqctl list_connections client_properties).
func (c Config) dial(ctx context.Context, name string) (*amqp.Connection, error) {
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(name)
	return amqpconn.Dialer{URL: c.URL, Timeout: c.DialTimeout, Properties: props, Pkg: "amqpwork"}.Dial(ctx)
}

// backoffDelay is the wait before reconnect attempt n (0-based): doubling
// from MinBackoff up to MaxBackoff, then shortened by a random part of up
// to half, so that workers cut off together do not return together.
func (c Config) backoffDelay(n int) time.Duration {
	return amqpconn.Jitter(amqpconn.Backoff(n, c.MinBackoff, c.MaxBackoff))
}

// sleep waits d or until ctx ends, and returns ctx.Err() in that case.
func sleep(ctx context.Context, d time.Duration) error { return amqpconn.Sleep(ctx, d) }
