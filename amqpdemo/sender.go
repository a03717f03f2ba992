package amqpdemo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	amqp "github.com/rabbitmq/amqp091-go"
)

// ErrClosed is returned by a Sender or Receiver used after Close.
var ErrClosed = errors.New("amqpdemo: closed")

// Sender publishes to the topic exchange with publisher confirms: Publish
// returns only once the broker has taken responsibility for the message. It
// reconnects by itself when the broker goes away and comes back. A Sender is
// safe for concurrent use; concurrent Publish calls are pipelined on one
// channel, which is how a publisher reaches thousands of confirmed messages a
// second without giving up on confirms.
type Sender struct {
	cfg      Config
	log      *slog.Logger
	idPrefix string
	seq      atomic.Uint64

	mu     sync.Mutex // guards conn, ch and closed; held while reconnecting
	conn   *amqp.Connection
	ch     *amqp.Channel
	closed bool

	published, confirmed, retries, reconnects atomic.Uint64
}

// SenderStats counts what a Sender did.
type SenderStats struct {
	Published  uint64 // basic.publish frames sent, retries included
	Confirmed  uint64 // messages the broker confirmed (Publish returned nil)
	Retries    uint64 // publishes repeated after a nack or a lost connection
	Reconnects uint64 // connections re-established after a failure
}

// NewSender validates cfg, connects to the broker, declares the exchange and
// opens a publishing channel in confirm mode. An unreachable broker or bad
// credentials give an error within cfg.DialTimeout.
func NewSender(ctx context.Context, cfg Config) (*Sender, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	s := &Sender{cfg: cfg, log: cfg.logger(), idPrefix: hex.EncodeToString(b[:])}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// connect opens the connection and the confirm-mode channel; s.mu is held or
// s is not yet shared.
func (s *Sender) connect(ctx context.Context) error {
	conn, err := s.cfg.dial(ctx)
	if err != nil {
		return err
	}
	ch, err := conn.Channel()
	if err == nil {
		err = s.cfg.declareExchange(ch)
	}
	if err == nil {
		if cerr := ch.Confirm(false); cerr != nil {
			err = fmt.Errorf("amqpdemo: enabling publisher confirms: %w", cerr)
		}
	}
	if err != nil {
		_ = conn.Close()
		return err
	}
	s.conn, s.ch = conn, ch
	return nil
}

// channel returns a usable publishing channel, reconnecting with back-off
// while the broker is away, until ctx ends.
func (s *Sender) channel(ctx context.Context) (*amqp.Channel, error) {
	for n := 0; ; n++ {
		ch, err := s.currentOrReconnect(ctx)
		if err == nil || errors.Is(err, ErrClosed) {
			return ch, err
		}
		s.log.Warn("sender cannot reconnect yet", "err", err)
		if s.cfg.backoff(ctx, n) != nil {
			return nil, fmt.Errorf("amqpdemo: broker unavailable: %w (last error: %v)", ctx.Err(), err)
		}
	}
}

// currentOrReconnect returns the open channel, or makes one attempt to
// replace a closed one. The lock is not held across the back-off, so Close
// never waits for a reconnect loop.
func (s *Sender) currentOrReconnect(ctx context.Context) (*amqp.Channel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if s.ch != nil && !s.ch.IsClosed() {
		return s.ch, nil
	}
	if s.conn != nil {
		_ = s.conn.Close()
		s.conn, s.ch = nil, nil
	}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	s.reconnects.Add(1)
	s.log.Info("sender reconnected", "broker", s.cfg.redactedURL())
	return s.ch, nil
}

// Publish sends body with routingKey to the exchange and waits for the
// broker's confirm. It returns nil only when the broker confirmed; if the
// connection is lost or the broker nacks, it reconnects and publishes again,
// until ctx ends. Delivery is therefore at least once: a message whose
// confirm was lost in a restart may arrive twice, with the same message ID
// (Receiver drops such duplicates).
//
// With Config.Durable the message is persistent, and a confirm means it is on
// disk in every durable queue it was routed to. A message that matches no
// binding is confirmed too, and dropped: topic exchanges do not keep it.
func (s *Sender) Publish(ctx context.Context, routingKey string, body []byte) error {
	if err := ValidateRoutingKey(routingKey); err != nil {
		return err
	}
	pub := amqp.Publishing{
		MessageId:   s.idPrefix + "-" + strconv.FormatUint(s.seq.Add(1), 10),
		Timestamp:   time.Now(),
		ContentType: "application/octet-stream",
		Body:        body,
	}
	if utf8.Valid(body) {
		pub.ContentType = "text/plain; charset=utf-8"
	}
	if s.cfg.Durable {
		pub.DeliveryMode = amqp.Persistent
	}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			s.retries.Add(1)
			if err := s.cfg.backoff(ctx, attempt-1); err != nil {
				return fmt.Errorf("amqpdemo: publish %q not confirmed: %w", routingKey, err)
			}
		}
		ch, err := s.channel(ctx)
		if err != nil {
			return err
		}
		s.published.Add(1)
		dc, err := ch.PublishWithDeferredConfirmWithContext(ctx, s.cfg.Exchange, routingKey, false, false, pub)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("amqpdemo: publish %q: %w", routingKey, ctx.Err())
			}
			continue
		}
		acked, err := dc.WaitContext(ctx)
		if err != nil {
			return fmt.Errorf("amqpdemo: publish %q: no confirm before %w", routingKey, err)
		}
		if acked {
			s.confirmed.Add(1)
			return nil
		}
		s.log.Warn("publish not confirmed; retrying", "key", routingKey, "id", pub.MessageId)
	}
}

// Stats returns the sender's counters.
func (s *Sender) Stats() SenderStats {
	return SenderStats{
		Published:  s.published.Load(),
		Confirmed:  s.confirmed.Load(),
		Retries:    s.retries.Load(),
		Reconnects: s.reconnects.Load(),
	}
}

// Close closes the connection. Publish calls in progress return an error.
func (s *Sender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.conn == nil {
		return nil
	}
	if err := s.conn.Close(); err != nil && !errors.Is(err, amqp.ErrClosed) {
		return fmt.Errorf("amqpdemo: closing sender: %w", err)
	}
	return nil
}
