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

// ErrClosed is returned by a [Sender] or [Receiver] used after Close:
// [Sender.Publish] after [Sender.Close], [Receiver.Run] after
// [Receiver.Close].
var ErrClosed = errors.New("amqpdemo: closed")

// ErrUnroutable is returned (wrapped, with the routing key) by
// [Sender.Publish] for a message that the broker confirmed but could route to
// no queue: no binding of the exchange matched its key. The broker returned
// it (basic.return) and dropped it; nobody received it.
var ErrUnroutable = errors.New("amqpdemo: no queue is bound for the routing key")

// Sender publishes to the topic exchange with publisher confirms and the
// mandatory flag: Publish returns nil only once the broker has routed the
// message to at least one queue and taken responsibility for it. It
// reconnects by itself when the broker goes away and comes back. A Sender is
// safe for concurrent use; concurrent Publish calls are pipelined on one
// channel, which is how a publisher reaches thousands of confirmed messages a
// second without giving up on confirms.
type Sender struct {
	cfg      Config
	log      *slog.Logger
	idPrefix string
	seq      atomic.Uint64

	mu     sync.Mutex // guards link, exch and closed; held while reconnecting
	link   *link
	exch   ExchangeInfo
	closed bool

	published, confirmed, unroutable, retries, reconnects atomic.Uint64

	keysMu        sync.Mutex
	unroutableKey map[string]int
}

// SenderStats counts what a [Sender] did.
type SenderStats struct {
	Published  uint64 // basic.publish frames sent, retries included
	Confirmed  uint64 // messages routed to a queue and confirmed (Publish returned nil)
	Unroutable uint64 // messages confirmed but returned: no queue matched their key
	Retries    uint64 // publishes repeated after a nack or a lost connection
	Reconnects uint64 // connections re-established after a failure
}

// link is one connection with its publishing channel and the goroutine that
// collects the broker's basic.return messages for it.
type link struct {
	conn    *amqp.Connection
	ch      *amqp.Channel
	returns chan amqp.Return
	barrier chan chan struct{}
	done    chan struct{} // closed when watch has returned

	mu       sync.Mutex
	returned map[string]amqp.Return // by message ID, until Publish takes it
}

// watch records returned messages until the channel closes. It also answers
// barrier requests, one at a time, in the order of events: a barrier
// answered after a confirm was received proves that any basic.return sent
// before that confirm (the broker sends it first, and the client library
// delivers it, unbuffered, first) has been recorded.
func (l *link) watch() {
	defer close(l.done)
	for {
		select {
		case r, ok := <-l.returns:
			if !ok {
				return
			}
			l.mu.Lock()
			l.returned[r.MessageId] = r
			l.mu.Unlock()
		case reply := <-l.barrier:
			close(reply)
		}
	}
}

// takeReturn reports whether the message with id was returned as
// unroutable. Call it after the message's confirm arrived.
func (l *link) takeReturn(id string) (amqp.Return, bool) {
	reply := make(chan struct{})
	select {
	case l.barrier <- reply:
		<-reply
	case <-l.done: // channel closed: every return it delivered is recorded
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	r, ok := l.returned[id]
	delete(l.returned, id)
	return r, ok
}

// forget drops a return that no Publish will take.
func (l *link) forget(id string) {
	l.mu.Lock()
	delete(l.returned, id)
	l.mu.Unlock()
}

// close closes the connection and waits for watch to end.
func (l *link) close() error {
	err := l.conn.Close()
	<-l.done
	return err
}

// NewSender validates cfg, connects to the broker, makes sure the exchange
// exists (see [ExchangeInfo]) and opens a publishing channel in confirm
// mode. An unreachable broker or bad credentials give an error within
// cfg.DialTimeout.
func NewSender(ctx context.Context, cfg Config) (*Sender, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	s := &Sender{cfg: cfg, log: cfg.logger(), idPrefix: hex.EncodeToString(b[:]), unroutableKey: map[string]int{}}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	logExchange(s.log, s.exch)
	return s, nil
}

// logExchange says once how the exchange was found.
func logExchange(log *slog.Logger, info ExchangeInfo) {
	log.Info(info.String())
	if len(info.Warnings) > 0 {
		log.Warn("exchange does not give what the config asks", "warnings", describeWarnings(info.Warnings))
	}
}

// connect opens the connection and the confirm-mode channel; s.mu is held or
// s is not yet shared.
func (s *Sender) connect(ctx context.Context) error {
	conn, err := s.cfg.dial(ctx)
	if err != nil {
		return err
	}
	info, err := s.cfg.ensureExchange(conn)
	var ch *amqp.Channel
	if err == nil {
		ch, err = conn.Channel()
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
	l := &link{conn: conn, ch: ch, barrier: make(chan chan struct{}), done: make(chan struct{}),
		returned: map[string]amqp.Return{}}
	// Unbuffered, so that a return is in watch's hands before the client
	// library goes on to the confirm that follows it.
	l.returns = ch.NotifyReturn(make(chan amqp.Return))
	go l.watch()
	s.link, s.exch = l, info
	return nil
}

// current returns a usable link, reconnecting with back-off while the
// broker is away, until ctx ends.
func (s *Sender) current(ctx context.Context) (*link, error) {
	for n := 0; ; n++ {
		l, err := s.currentOrReconnect(ctx)
		if err == nil || errors.Is(err, ErrClosed) {
			return l, err
		}
		s.log.Warn("sender cannot reconnect yet", "err", err)
		if s.cfg.backoff(ctx, n) != nil {
			return nil, fmt.Errorf("amqpdemo: broker unavailable: %w (last error: %v)", ctx.Err(), err)
		}
	}
}

// currentOrReconnect returns the open link, or makes one attempt to replace
// a closed one. The lock is not held across the back-off, so Close never
// waits for a reconnect loop.
func (s *Sender) currentOrReconnect(ctx context.Context) (*link, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	if s.link != nil && !s.link.ch.IsClosed() {
		return s.link, nil
	}
	if s.link != nil {
		_ = s.link.close()
		s.link = nil
	}
	if err := s.connect(ctx); err != nil {
		return nil, err
	}
	s.reconnects.Add(1)
	s.log.Info("sender reconnected", "broker", s.cfg.redactedURL())
	return s.link, nil
}

// Publish sends body with routingKey to the exchange, mandatory, and waits
// for the broker's confirm. It returns nil only when the broker routed the
// message to at least one queue and confirmed it. A message that no binding
// matches is returned by the broker (basic.return) before its confirm: then
// Publish returns an error wrapping [ErrUnroutable], and the message is
// counted in [SenderStats.Unroutable] and [Sender.UnroutableKeys]; a confirm
// alone never counts as delivered.
//
// An empty routing key is refused with [ErrInvalidRoutingKey]: in a topic
// exchange it matches only a "#" binding, which is rarely what was meant.
//
// If the connection is lost or the broker nacks, Publish reconnects and
// publishes again, until ctx ends. Delivery is therefore at least once: a
// message whose confirm was lost in a restart may arrive twice, with the
// same message ID ([Receiver] drops such duplicates). With [Config.Durable] the
// message is persistent, and a confirm means it is on disk in every durable
// queue it was routed to.
func (s *Sender) Publish(ctx context.Context, routingKey string, body []byte) error {
	if routingKey == "" {
		return fmt.Errorf("%w: the key is empty (a topic exchange routes an empty key only to \"#\" bindings); give one such as weather.uk", ErrInvalidRoutingKey)
	}
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
		l, err := s.current(ctx)
		if err != nil {
			return err
		}
		s.published.Add(1)
		dc, err := l.ch.PublishWithDeferredConfirmWithContext(ctx, s.cfg.Exchange, routingKey, true, false, pub)
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("amqpdemo: publish %q: %w", routingKey, ctx.Err())
			}
			continue
		}
		acked, err := dc.WaitContext(ctx)
		if err != nil {
			l.forget(pub.MessageId)
			return fmt.Errorf("amqpdemo: publish %q: no confirm before %w", routingKey, err)
		}
		if !acked {
			l.forget(pub.MessageId)
			s.log.Warn("publish not confirmed; retrying", "key", routingKey, "id", pub.MessageId)
			continue
		}
		if r, returned := l.takeReturn(pub.MessageId); returned {
			s.unroutable.Add(1)
			s.keysMu.Lock()
			s.unroutableKey[routingKey]++
			s.keysMu.Unlock()
			return fmt.Errorf("%w: exchange %q returned the message with key %q (%d %s)",
				ErrUnroutable, s.cfg.Exchange, routingKey, r.ReplyCode, r.ReplyText)
		}
		s.confirmed.Add(1)
		return nil
	}
}

// Stats returns the sender's counters.
func (s *Sender) Stats() SenderStats {
	return SenderStats{
		Published:  s.published.Load(),
		Confirmed:  s.confirmed.Load(),
		Unroutable: s.unroutable.Load(),
		Retries:    s.retries.Load(),
		Reconnects: s.reconnects.Load(),
	}
}

// UnroutableKeys returns, per routing key, how many messages the broker
// returned because no queue was bound for them, most first.
func (s *Sender) UnroutableKeys() []TopicCount {
	s.keysMu.Lock()
	defer s.keysMu.Unlock()
	return sortedCounts(s.unroutableKey)
}

// Exchange describes the exchange as the latest connection found it.
func (s *Sender) Exchange() ExchangeInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exch
}

// Close closes the connection and waits for the goroutine that watches it.
// Publish calls in progress return an error; every Publish after Close
// returns [ErrClosed]. Close is idempotent (only the first call can return
// an error).
func (s *Sender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.link == nil {
		return nil
	}
	if err := s.link.close(); err != nil && !errors.Is(err, amqp.ErrClosed) {
		return fmt.Errorf("amqpdemo: closing sender: %w", err)
	}
	return nil
}
