package amqpdemo

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
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
	u := os.Getenv("AMQP_URL")
	u = cmp.Or(u, DefaultURL)
	return Config{
		URL:          u,
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
	c.URL = cmp.Or(c.URL, d.URL)
	c.Exchange = cmp.Or(c.Exchange, d.Exchange)
	c.Prefetch = cmp.Or(c.Prefetch, d.Prefetch)
	c.DialTimeout = cmp.Or(c.DialTimeout, d.DialTimeout)
	c.ReconnectMin = cmp.Or(c.ReconnectMin, d.ReconnectMin)
	c.ReconnectMax = cmp.Or(c.ReconnectMax, max(d.ReconnectMax, c.ReconnectMin))
	return c
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

func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// redactedURL is the URL without its password, for errors and logs.
func (c Config) redactedURL() string {
	u, err := url.Parse(c.URL)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// dial connects and completes the AMQP handshake within DialTimeout or
// before ctx ends, whichever comes first.
func (c Config) dial(ctx context.Context) (*amqp.Connection, error) {
	deadline := time.Now().Add(c.DialTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	cfg := amqp.Config{
		Heartbeat: 5 * time.Second,
		Locale:    "en_US",
		Properties: amqp.Table{
			"product": "netlab amqpdemo",
		},
		Dial: func(network, addr string) (net.Conn, error) {
			d := net.Dialer{Deadline: deadline}
			conn, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// amqp091 clears the deadline once the handshake completes.
			return conn, conn.SetDeadline(deadline)
		},
	}
	conn, err := amqp.DialConfig(c.URL, cfg)
	if err != nil {
		return nil, c.explainDial(err, !time.Now().Before(deadline))
	}
	return conn, nil
}

// explainDial turns the client library's errors into one that says what to
// check. timedOut says the dial deadline had passed when it failed: the
// library reports a handshake that ran out of time as a protocol exception.
func (c Config) explainDial(err error, timedOut bool) error {
	var ae *amqp.Error
	if errors.As(err, &ae) && ae.Code == amqp.AccessRefused {
		return fmt.Errorf("amqpdemo: broker %s refused the credentials: %w", c.redactedURL(), err)
	}
	var ne net.Error
	if timedOut || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("amqpdemo: no answer from broker %s within %v: %w", c.redactedURL(), c.DialTimeout, err)
	}
	if errors.Is(err, amqp.ErrCredentials) {
		return fmt.Errorf("amqpdemo: broker %s refused the credentials: %w", c.redactedURL(), err)
	}
	return fmt.Errorf("amqpdemo: cannot connect to broker %s: %w", c.redactedURL(), err)
}

// backoff waits before reconnect attempt n (0-based), doubling from
// ReconnectMin up to ReconnectMax; it returns ctx.Err() if ctx ends first.
func (c Config) backoff(ctx context.Context, n int) error {
	d := c.ReconnectMin
	for i := 0; i < n && d < c.ReconnectMax; i++ {
		d *= 2
	}
	d = min(d, c.ReconnectMax)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
