// Package amqpconn is the connection plumbing that amqpdemo and
// internal/amqpwork share: where the broker is ([URL]), how it is named in
// messages ([RedactURL]), how to connect without hanging ([Dialer]), and how
// long to wait before trying again ([Backoff], [Jitter], [Sleep]). Each
// package keeps its own Config and the words of its own errors; this one
// holds the mechanics once.
package amqpconn

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// URL returns u, or the AMQP_URL environment variable when u is empty, or
// fallback when that is empty too.
func URL(u, fallback string) string {
	return cmp.Or(u, os.Getenv("AMQP_URL"), fallback)
}

// RedactURL returns u with its password, if any, replaced by "xxxxx", for
// errors and logs that a person reads.
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}

// Logger returns l, or a logger that discards everything when l is nil:
// libraries are quiet unless given a logger.
func Logger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}

// Dialer connects to a broker within a time limit, so that an unreachable
// broker is an error rather than a hang, and explains a failure in words
// that say what to check.
type Dialer struct {
	// URL of the broker, amqp://user:password@host:port/vhost.
	URL string
	// Timeout bounds connecting and the AMQP handshake.
	Timeout time.Duration
	// Properties are the client properties the broker shows for the
	// connection (rabbitmqctl list_connections client_properties).
	Properties amqp.Table
	// Pkg starts every error message, as in "amqpdemo: cannot connect ...".
	Pkg string
	// SayTimeout reports a dial that ran out of time as "no answer from
	// broker URL within Timeout" instead of "cannot connect to broker URL".
	SayTimeout bool
}

// Dial connects and completes the AMQP handshake within d.Timeout or before
// ctx ends, whichever comes first.
func (d Dialer) Dial(ctx context.Context) (*amqp.Connection, error) {
	deadline := time.Now().Add(d.Timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	cfg := amqp.Config{
		Heartbeat:  5 * time.Second,
		Locale:     "en_US",
		Properties: d.Properties,
		Dial: func(network, addr string) (net.Conn, error) {
			nd := net.Dialer{Deadline: deadline}
			conn, err := nd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			// amqp091 clears the deadline once the handshake completes.
			return conn, conn.SetDeadline(deadline)
		},
	}
	conn, err := amqp.DialConfig(d.URL, cfg)
	if err != nil {
		return nil, d.explain(err, !time.Now().Before(deadline))
	}
	return conn, nil
}

// explain turns the client library's errors into one that says what to
// check. timedOut says the dial deadline had passed when it failed: the
// library reports a handshake that ran out of time as a protocol exception.
func (d Dialer) explain(err error, timedOut bool) error {
	var ae *amqp.Error
	if errors.As(err, &ae) && ae.Code == amqp.AccessRefused {
		return fmt.Errorf("%s: broker %s refused the credentials: %w", d.Pkg, RedactURL(d.URL), err)
	}
	var ne net.Error
	if d.SayTimeout && (timedOut || (errors.As(err, &ne) && ne.Timeout())) {
		return fmt.Errorf("%s: no answer from broker %s within %v: %w", d.Pkg, RedactURL(d.URL), d.Timeout, err)
	}
	if errors.Is(err, amqp.ErrCredentials) {
		return fmt.Errorf("%s: broker %s refused the credentials: %w", d.Pkg, RedactURL(d.URL), err)
	}
	return fmt.Errorf("%s: cannot connect to broker %s: %w", d.Pkg, RedactURL(d.URL), err)
}

// Backoff is the wait before reconnect attempt n (0-based): lo doubled n
// times, but never more than hi.
func Backoff(n int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 0; i < n && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}

// Jitter shortens d by a random part of up to half, so that clients cut
// off together do not return together.
func Jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d - time.Duration(rand.Int64N(int64(d/2)+1))
}

// Sleep waits d or until ctx ends, and returns ctx.Err() in that case.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
