package amqpdemo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Receiver binds a queue to the topic exchange with one or more binding keys
// and consumes from it with manual acknowledgements and a prefetch limit. It
// keeps the messages per routing key in a [Tally], and it reconnects, declares
// and binds again when the broker restarts.
//
// With the default [Config] the queue is server-named and exclusive: it exists
// while the receiver's connection does, so messages published while the
// broker is down are not kept for it. With [Config.Durable] and [Config.Queue]
// set, the queue is durable and named, and nothing confirmed to a sender is
// lost across a restart.
type Receiver struct {
	cfg  Config
	keys []string
	log  *slog.Logger

	mu    sync.Mutex // guards tally, conn, deliveries, queue, closed
	tally *Tally
	conn  *amqp.Connection
	deliv <-chan amqp.Delivery
	queue string
	exch  ExchangeInfo

	closed     bool
	runs       sync.WaitGroup  // Run calls in progress; Close waits for them
	life       context.Context // ends at Close: stops a Run's reconnect back-off and dials
	endLife    context.CancelFunc
	reconnects atomic.Uint64
	onMessage  func(Message)
}

// NewReceiver validates cfg and the binding keys (none means "#", every
// message), connects, makes sure the exchange exists (an existing one is used
// as it is; see [ExchangeInfo]), declares the queue, binds the queue
// with each key and starts consuming. Messages published after [NewReceiver]
// returns are routed to the queue; Run takes them in.
//
// onMessage, if not nil, is called from Run for every new message, after it
// was stored and before it is acknowledged.
func NewReceiver(ctx context.Context, cfg Config, keys []string, onMessage func(Message)) (*Receiver, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		keys = []string{"#"}
	}
	for _, k := range keys {
		if err := ValidateRoutingKey(k); err != nil {
			return nil, fmt.Errorf("binding key: %w", err)
		}
	}
	r := &Receiver{
		cfg:       cfg,
		keys:      append([]string(nil), keys...),
		log:       cfg.logger(),
		tally:     NewTally(cfg.MaxPerKey, cfg.DedupWindow),
		onMessage: onMessage,
	}
	r.life, r.endLife = context.WithCancel(context.Background())
	if err := r.connect(ctx); err != nil {
		return nil, err
	}
	logExchange(r.log, r.Exchange())
	return r, nil
}

// connect dials and sets up queue, bindings and consumer.
func (r *Receiver) connect(ctx context.Context) error {
	conn, err := r.cfg.dial(ctx)
	if err != nil {
		return err
	}
	info, err := r.cfg.ensureExchange(conn)
	var queue string
	var deliv <-chan amqp.Delivery
	if err == nil {
		queue, deliv, err = r.setup(conn)
	}
	if err != nil {
		_ = conn.Close()
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		_ = conn.Close()
		return ErrClosed
	}
	r.conn, r.deliv, r.queue, r.exch = conn, deliv, queue, info
	return nil
}

func (r *Receiver) setup(conn *amqp.Connection) (string, <-chan amqp.Delivery, error) {
	ch, err := conn.Channel()
	if err != nil {
		return "", nil, fmt.Errorf("amqpdemo: opening channel: %w", err)
	}
	if err := ch.Qos(r.cfg.Prefetch, 0, false); err != nil {
		return "", nil, fmt.Errorf("amqpdemo: setting prefetch %d: %w", r.cfg.Prefetch, err)
	}
	named := r.cfg.Queue != ""
	q, err := ch.QueueDeclare(r.cfg.Queue, named && r.cfg.Durable, false, !named, false, nil)
	if err != nil {
		return "", nil, fmt.Errorf("amqpdemo: declaring queue %q: %w", r.cfg.Queue, err)
	}
	for _, k := range r.keys {
		if err := ch.QueueBind(q.Name, k, r.cfg.Exchange, false, nil); err != nil {
			return "", nil, fmt.Errorf("amqpdemo: binding queue %q to %q with %q: %w", q.Name, r.cfg.Exchange, k, err)
		}
	}
	deliv, err := ch.Consume(q.Name, "", false, false, false, false, nil)
	if err != nil {
		return "", nil, fmt.Errorf("amqpdemo: consuming from %q: %w", q.Name, err)
	}
	return q.Name, deliv, nil
}

// Run takes in messages until ctx ends or Close is called, then closes the
// connection and returns nil. When the broker goes away it reconnects with
// back-off and binds again. Called after Close it returns [ErrClosed].
func (r *Receiver) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return ErrClosed
	}
	r.runs.Add(1)
	r.mu.Unlock()
	defer r.runs.Done()
	defer r.shut()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(r.life, cancel)
	defer stop()
	for {
		r.mu.Lock()
		deliv, closed := r.deliv, r.closed
		r.mu.Unlock()
		if closed {
			return nil // Close stopped this Run
		}
		if err := r.consume(ctx, deliv); err != nil {
			return nil // ctx ended
		}
		if r.isClosed() {
			return nil // Close closed the connection
		}
		if err := r.reconnect(ctx); err != nil {
			return nil // ctx ended, or Close was called
		}
	}
}

// consume handles deliveries until the delivery channel closes (nil result)
// or ctx ends (ctx.Err()).
func (r *Receiver) consume(ctx context.Context, deliv <-chan amqp.Delivery) error {
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case d, ok := <-deliv:
			if !ok {
				return nil
			}
			r.take(d)
		}
	}
}

// take stores one delivery and acknowledges it. The ack comes after the
// message is stored, so a crash in between means a redelivery, not a loss.
func (r *Receiver) take(d amqp.Delivery) {
	m := Message{
		RoutingKey:  d.RoutingKey,
		Body:        d.Body,
		ID:          d.MessageId,
		Timestamp:   d.Timestamp,
		Redelivered: d.Redelivered,
	}
	r.mu.Lock()
	fresh := r.tally.Add(m)
	r.mu.Unlock()
	if fresh && r.onMessage != nil {
		r.onMessage(m)
	}
	if err := d.Ack(false); err != nil {
		r.log.Warn("ack failed; the broker will redeliver", "err", err)
	}
}

func (r *Receiver) reconnect(ctx context.Context) error {
	r.mu.Lock()
	if r.conn != nil {
		_ = r.conn.Close()
	}
	r.mu.Unlock()
	r.log.Warn("receiver lost the broker; reconnecting", "broker", r.cfg.redactedURL())
	for n := 0; ; n++ {
		err := r.connect(ctx)
		if err == nil {
			r.reconnects.Add(1)
			r.log.Info("receiver reconnected", "queue", r.Queue())
			return nil
		}
		if errors.Is(err, ErrClosed) {
			return err
		}
		if r.cfg.backoff(ctx, n) != nil {
			return ctx.Err()
		}
	}
}

// Close closes the connection and waits for a Run in progress to return.
// Messages the receiver took in stay readable. Close is idempotent (only
// the first call can return an error), and Run after it returns
// [ErrClosed].
func (r *Receiver) Close() error {
	err := r.shut()
	r.runs.Wait()
	return err
}

func (r *Receiver) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// shut ends a running Run's context and closes the connection, once.
func (r *Receiver) shut() error {
	r.endLife()
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	if r.conn != nil {
		if err := r.conn.Close(); err != nil && !errors.Is(err, amqp.ErrClosed) {
			return fmt.Errorf("amqpdemo: closing receiver: %w", err)
		}
	}
	return nil
}

// Queue returns the name of the queue the receiver consumes from (for a
// server-named queue, the name the broker chose on the latest connection).
func (r *Receiver) Queue() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.queue
}

// Exchange describes the exchange as the latest connection found it.
func (r *Receiver) Exchange() ExchangeInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.exch
}

// Reconnects is how many times the receiver re-established its connection.
func (r *Receiver) Reconnects() uint64 { return r.reconnects.Load() }

// Total is the number of distinct messages received.
func (r *Receiver) Total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tally.Total()
}

// Duplicates is the number of redelivered messages dropped as already seen.
func (r *Receiver) Duplicates() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tally.Duplicates()
}

// Topics returns each routing key received with its exact count, most
// frequent first.
func (r *Receiver) Topics() []TopicCount {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tally.Topics()
}

// Messages returns the kept messages for one routing key, oldest first.
func (r *Receiver) Messages(routingKey string) []Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tally.Messages(routingKey)
}
