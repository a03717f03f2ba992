package amqpdemo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/netlab-go/netlab/internal/amqpconn"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/netlab-go/netlab/internal/defaults"
)

// DefaultURL is the broker a [Config] points at when AMQP_URL is not set: a
// RabbitMQ on this machine with its out-of-the-box guest account.
const DefaultURL = "amqp://guest:guest@localhost:5672/"

// Config says where the broker is and how senders and receivers use it.
type Config struct {
	// URL of the broker, amqp://user:password@host:port/vhost.
	URL string
	// Exchange is the topic exchange's name. An exchange of that name that
	// already exists is used as it is, whatever its properties (see
	// [ExchangeInfo]); an absent one is declared as a topic exchange.
	Exchange string
	// ExchangeDurable declares an absent exchange durable, so that it and
	// the bindings of durable queues survive a broker restart. The zero
	// value declares it non-durable, as RabbitMQ's tutorial 5 clients do, so
	// that those clients can still declare it after this one.
	ExchangeDurable bool
	// Durable asks for restart survival: messages are persistent (delivery
	// mode 2), an absent exchange is declared durable, and, with Queue set,
	// the receiver's queue is durable. On an existing exchange that is not
	// durable this cannot hold, and [ExchangeInfo.Warnings] says so.
	Durable bool
	// Queue names the receiver's queue. Empty means a server-named,
	// exclusive queue that disappears with the receiver's connection.
	Queue string
	// Prefetch is how many unacknowledged messages the broker may push to the
	// receiver at once (basic.qos).
	Prefetch int
	// MaxPerKey is how many messages the receiver keeps per routing key;
	// counts stay exact beyond it.
	MaxPerKey int
	// DedupWindow is how many recent message IDs the receiver remembers to
	// drop redeliveries of messages it already counted.
	DedupWindow int
	// DialTimeout bounds connecting and the AMQP handshake, so an unreachable
	// broker is an error rather than a hang.
	DialTimeout time.Duration
	// ReconnectMin and ReconnectMax bound the back-off between attempts to
	// reconnect after the broker went away.
	ReconnectMin, ReconnectMax time.Duration
	// Logger receives connection events; nil means silent.
	Logger *slog.Logger
}

// DefaultConfig returns the course's set-up: the exchange "topics" on the
// broker named by the AMQP_URL environment variable, or [DefaultURL].
func DefaultConfig() Config {
	return Config{
		URL:          amqpconn.URL("", DefaultURL),
		Exchange:     "topics",
		Prefetch:     256,
		MaxPerKey:    1000,
		DedupWindow:  1 << 16,
		DialTimeout:  5 * time.Second,
		ReconnectMin: 100 * time.Millisecond,
		ReconnectMax: 2 * time.Second,
	}
}

// withDefaults fills in the zero fields that have a default: the zero value
// of an optional field means its value in DefaultConfig, as in net/http.
// (ExchangeDurable, Durable and Queue are meaningful at zero, and so are
// MaxPerKey and DedupWindow: 0 keeps no messages, remembers no IDs.)
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	d.MaxPerKey, d.DedupWindow = 0, 0
	d.ReconnectMax = max(d.ReconnectMax, c.ReconnectMin)
	return defaults.Fill(c, d)
}

// Validate returns an error naming the first field that is not usable. A
// zero field means its value in [DefaultConfig] (URL: AMQP_URL or
// [DefaultURL]; Exchange: "topics"), so Config{} is valid.
func (c Config) Validate() error {
	c = c.withDefaults()
	switch {
	case c.URL == "":
		return errors.New("amqpdemo: Config.URL is empty")
	case c.Exchange == "":
		return errors.New("amqpdemo: Config.Exchange is empty; the default exchange cannot route by topic")
	case len(c.Exchange) > MaxRoutingKeyLen:
		return fmt.Errorf("amqpdemo: Config.Exchange is %d bytes, the limit is %d", len(c.Exchange), MaxRoutingKeyLen)
	case len(c.Queue) > MaxRoutingKeyLen:
		return fmt.Errorf("amqpdemo: Config.Queue is %d bytes, the limit is %d", len(c.Queue), MaxRoutingKeyLen)
	case c.Prefetch < 1 || c.Prefetch > 65535:
		return fmt.Errorf("amqpdemo: Config.Prefetch %d is outside [1, 65535]", c.Prefetch)
	case c.MaxPerKey < 0:
		return fmt.Errorf("amqpdemo: Config.MaxPerKey %d is negative", c.MaxPerKey)
	case c.DedupWindow < 0:
		return fmt.Errorf("amqpdemo: Config.DedupWindow %d is negative", c.DedupWindow)
	case c.DialTimeout <= 0:
		return fmt.Errorf("amqpdemo: Config.DialTimeout %v must be positive", c.DialTimeout)
	case c.ReconnectMin <= 0 || c.ReconnectMax < c.ReconnectMin:
		return fmt.Errorf("amqpdemo: Config.ReconnectMin %v and ReconnectMax %v must satisfy 0 < min <= max", c.ReconnectMin, c.ReconnectMax)
	}
	if _, err := amqp.ParseURI(c.URL); err != nil {
		return fmt.Errorf("amqpdemo: Config.URL: %w", err)
	}
	return nil
}

func (c Config) logger() *slog.Logger { return amqpconn.Logger(c.Logger) }

// redactedURL is the URL without its password, for errors and logs.
func (c Config) redactedURL() string { return amqpconn.RedactURL(c.URL) }

// dial connects and completes the AMQP handshake within DialTimeout or
// before ctx ends, whichever comes first.
func (c Config) dial(ctx context.Context) (*amqp.Connection, error) {
	return amqpconn.Dialer{
		URL:        c.URL,
		Timeout:    c.DialTimeout,
		Properties: amqp.Table{"product": "netlab amqpdemo"},
		Pkg:        "amqpdemo",
		SayTimeout: true,
	}.Dial(ctx)
}

// backoff waits before reconnect attempt n (0-based), doubling from
// ReconnectMin up to ReconnectMax; it returns ctx.Err() if ctx ends first.
func (c Config) backoff(ctx context.Context, n int) error {
	return amqpconn.Sleep(ctx, amqpconn.Backoff(n, c.ReconnectMin, c.ReconnectMax))
}
