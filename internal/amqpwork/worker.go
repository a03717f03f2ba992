package amqpwork

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netlab-go/netlab/internal/calls"
	amqp "github.com/rabbitmq/amqp091-go"
)

// Handler computes the result of one task. It may be called more than once
// for the same task (at-least-once delivery), on any worker, so it must be
// idempotent: the same task gives the same result. fetch gets blobs the
// client published with [Client.Publish]. An error (or a panic) makes the
// task be delivered again, up to [Config.MaxDeliveries] times; after the
// last the task is dead-lettered with the error's text. ctx ends when the worker
// stops or loses its connection: the task then goes to another worker.
type Handler func(ctx context.Context, t Task, fetch Fetcher) ([]byte, error)

// Fetcher returns the blob published under key by the client whose task is
// being handled. It asks the client over the broker (RabbitMQ's RPC
// pattern, on direct reply-to) once, and then serves it from the worker's
// cache, which [Config.BlobCacheBytes] bounds.
type Fetcher func(ctx context.Context, key string) ([]byte, error)

// WorkerStats counts what a [Worker] did.
type WorkerStats struct {
	Handled      uint64 // results published and tasks acknowledged
	Failed       uint64 // handler errors (the task was returned or dead-lettered)
	DeadLettered uint64 // tasks this worker sent to the dead-letter exchange
	Fetches      uint64 // blobs fetched from a client
	Bodies       uint64 // task bodies fetched from a client (see Config.InlineBody)
	CacheHits    uint64 // blobs served from the cache
	Reconnects   uint64 // connections re-established after a failure
	Deferred     uint64 // tasks put back because no client served their body or blob (see Config.FetchTimeout)
}

// Worker consumes tasks from the task queue, a competing consumer beside
// every other worker of the queue, and runs a [Handler] on each.
type Worker struct {
	cfg   Config
	log   *slog.Logger
	h     Handler
	name  string
	calls *calls.Group
	cache *blobCache

	running   atomic.Bool
	consuming atomic.Bool

	statsMu sync.Mutex
	stats   WorkerStats

	// afterResult, for tests, runs after a result is confirmed and
	// before the task is acknowledged; returning true drops the
	// acknowledgement and the connection, as a crash at that point would.
	afterResult func(taskID string) bool
}

// NewWorker validates cfg and returns a worker that runs h; [Worker.Run]
// connects.
func NewWorker(cfg Config, h Handler) (*Worker, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if h == nil {
		return nil, errors.New("amqpwork: NewWorker: nil Handler")
	}
	return &Worker{
		cfg: cfg, log: cfg.logger(), h: h, name: "worker-" + randomID(), calls: calls.New(),
		cache: newBlobCache(cfg.BlobCacheBytes),
	}, nil
}

// Name is the worker's name, random and unique, as [Result.Worker] shows it.
func (w *Worker) Name() string { return w.name }

// Consuming reports whether Run is connected and consuming tasks: what a
// test or a local cluster waits for before it counts on the worker.
func (w *Worker) Consuming() bool { return w.consuming.Load() }

// Stats returns the worker's counters.
func (w *Worker) Stats() WorkerStats {
	w.statsMu.Lock()
	defer w.statsMu.Unlock()
	return w.stats
}

func (w *Worker) count(f func(*WorkerStats)) {
	w.statsMu.Lock()
	f(&w.stats)
	w.statsMu.Unlock()
}

// Run consumes and handles tasks until ctx ends or Close is called, then
// returns nil once every handler has returned; tasks it had not finished go
// back to the queue. A lost connection is retried with back-off; an error
// that retrying cannot cure (the task queue exists with other arguments,
// bad credentials) ends Run with that error. A Worker runs once at a time:
// a second concurrent Run returns an error.
func (w *Worker) Run(ctx context.Context) error {
	ctx, done, err := w.calls.Enter(ctx, ErrClosed)
	if err != nil {
		return err
	}
	defer done()
	if !w.running.CompareAndSwap(false, true) {
		return errors.New("amqpwork: Worker.Run is already running")
	}
	defer w.running.Store(false)
	for attempt := 0; ; attempt++ {
		start := time.Now()
		err := w.session(ctx, attempt > 0)
		if ctx.Err() != nil {
			return nil
		}
		if permanent(err) {
			return err
		}
		if time.Since(start) > w.cfg.MaxBackoff {
			attempt = 0
		}
		w.log.Warn("amqpwork worker lost its connection; reconnecting", "worker", w.name, "err", err)
		if sleep(ctx, w.cfg.backoffDelay(attempt)) != nil {
			return nil
		}
	}
}

// Close stops Run and waits for it. It is idempotent; Run after Close
// returns [ErrClosed].
func (w *Worker) Close() error {
	w.calls.Close()
	return nil
}

// session is one connection's worth of work.
type session struct {
	w    *Worker
	conn *amqp.Connection
	pub  *amqp.Channel // confirm mode: results and dead letters
	rpc  *rpcClient
}

func (w *Worker) session(ctx context.Context, reconnect bool) error {
	conn, err := w.cfg.dial(ctx, "netlab amqpwork "+w.cfg.Queue+" "+w.name)
	if err != nil {
		return err
	}
	defer conn.Close()
	if reconnect {
		w.count(func(s *WorkerStats) { s.Reconnects++ })
	}
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	if err := declareTasks(ch, w.cfg); err != nil {
		return err
	}
	if err := ch.Qos(w.cfg.Prefetch, 0, false); err != nil {
		return err
	}
	pub, err := conn.Channel()
	if err != nil {
		return err
	}
	if err := pub.Confirm(false); err != nil {
		return err
	}
	rpc, err := newRPCClient(conn)
	if err != nil {
		return err
	}
	defer rpc.close()
	tasks, err := ch.Consume(w.cfg.Queue, w.name, false, false, false, false, nil)
	if err != nil {
		return err
	}
	w.consuming.Store(true)
	defer w.consuming.Store(false)
	s := &session{w: w, conn: conn, pub: pub, rpc: rpc}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	connClosed := conn.NotifyClose(make(chan *amqp.Error, 1))
	slots := make(chan struct{}, min(w.cfg.Concurrency, w.cfg.Prefetch))
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case e := <-connClosed:
			return fmt.Errorf("amqpwork: connection closed: %v", e)
		case d, ok := <-tasks:
			if !ok {
				return errors.New("amqpwork: task consumer ended")
			}
			select {
			case slots <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			case e := <-connClosed:
				return fmt.Errorf("amqpwork: connection closed: %v", e)
			}
			wg.Go(func() {
				var once sync.Once
				release := func() { once.Do(func() { <-slots }) }
				defer release()
				s.handle(sctx, d, release)
			})
		}
	}
}

// handle runs the handler on one delivery and settles it: a result
// published and confirmed, then the task acknowledged; or, on an error,
// the task returned to the queue, or dead-lettered on its last delivery.
// It calls release once the handler has returned and the result is
// published: the wait for the broker's confirm (a disk write) then
// overlaps the next task's handler, which is what makes small tasks fast
// without running handlers concurrently.
func (s *session) handle(ctx context.Context, d amqp.Delivery, release func()) {
	w := s.w
	if d.CorrelationId == "" || d.ReplyTo == "" {
		// Not a task a Client published: nobody could receive its result.
		w.log.Warn("amqpwork: task without correlation ID or reply queue rejected", "message", d.MessageId)
		_ = d.Nack(false, false)
		return
	}
	deliveries := 1
	if n, ok, err := intHeader(d.Headers, xDeliveryCount); ok && err == nil && n >= 0 && n < 1<<20 {
		deliveries = int(n) + 1
	}
	if n, ok, err := intHeader(d.Headers, hPrior); ok && err == nil && n >= 0 && n < 1<<20 {
		deliveries += int(n)
	}
	maxDeliveries := w.cfg.MaxDeliveries
	if n, ok, err := intHeader(d.Headers, hMaxDeliveries); ok && err == nil && n > 0 && n <= 1000 {
		maxDeliveries = int(n)
	}
	fetch := func(ctx context.Context, key string) ([]byte, error) {
		return s.fetch(ctx, stringHeader(d.Headers, hBlobs), key)
	}
	task, herr := s.task(ctx, d)
	var body []byte
	if herr == nil {
		body, herr = w.call(ctx, task, fetch)
	}
	if ctx.Err() != nil {
		return // the connection or the worker is going away: the broker returns the task
	}
	if herr != nil && errors.Is(herr, errClientAway) {
		// The job's client is away: not the task's fault, and not one of
		// its deliveries. Put it back at the end of the queue, so that it
		// waits there for the client to come back instead of running out
		// of deliveries.
		if err := s.putBack(ctx, d, deliveries-1); err != nil {
			w.log.Warn("amqpwork: cannot put back task", "task", d.CorrelationId, "err", err)
			s.giveBack(ctx, d)
			return
		}
		w.count(func(s *WorkerStats) { s.Deferred++ })
		_ = d.Ack(false)
		return
	}
	if herr != nil {
		w.count(func(s *WorkerStats) { s.Failed++ })
		if deliveries < maxDeliveries {
			_ = d.Nack(false, true)
			return
		}
		if err := s.deadLetter(ctx, d, herr, deliveries); err != nil {
			w.log.Warn("amqpwork: cannot dead-letter task", "task", d.CorrelationId, "err", err)
			s.giveBack(ctx, d)
			return
		}
		w.count(func(s *WorkerStats) { s.DeadLettered++ })
		_ = d.Ack(false)
		return
	}
	if err := s.reply(ctx, d, body, deliveries > 1 || d.Redelivered, release); err != nil {
		w.log.Warn("amqpwork: cannot publish result", "task", d.CorrelationId, "err", err)
		s.giveBack(ctx, d)
		return
	}
	if w.afterResult != nil && w.afterResult(d.CorrelationId) {
		_ = s.conn.Close()
		return
	}
	w.count(func(s *WorkerStats) { s.Handled++ })
	_ = d.Ack(false)
}

// task returns the task of delivery d, fetching its body from the client
// when the body stayed there (see [Config.InlineBody]). A body that
// cannot be fetched fails the task like a handler error: it is delivered
// again, and dead-lettered with the reason after MaxDeliveries.
func (s *session) task(ctx context.Context, d amqp.Delivery) (Task, error) {
	t := Task{ID: d.CorrelationId, Body: d.Body}
	n, ok, err := intHeader(d.Headers, hBody)
	switch {
	case !ok:
		return t, nil
	case err != nil:
		return t, fmt.Errorf("amqpwork: task %q: %w", t.ID, err)
	case n < 0 || n > int64(s.w.cfg.MaxMessageSize):
		return t, fmt.Errorf("amqpwork: task %q: body of %d bytes is outside [0, %d] (Config.MaxMessageSize)",
			t.ID, n, s.w.cfg.MaxMessageSize)
	}
	fctx, cancel := context.WithTimeout(ctx, s.w.cfg.FetchTimeout)
	defer cancel()
	body, err := s.rpc.request(fctx, stringHeader(d.Headers, hBlobs), t.ID, true)
	if err == nil && int64(len(body)) != n {
		err = fmt.Errorf("got %d bytes, the task message says %d", len(body), n)
	}
	if err != nil {
		return t, fmt.Errorf("amqpwork: fetching the body of task %q: %w", t.ID, away(fctx, err))
	}
	s.w.count(func(s *WorkerStats) { s.Bodies++ })
	t.Body = body
	return t, nil
}

// call runs the handler, turning a panic into an error, as net/http does
// for a panicking request: one bad task must not take down the worker and
// every task it holds, and the panic's text then reaches the dead-letter
// report like any other failure.
func (w *Worker) call(ctx context.Context, t Task, fetch Fetcher) (body []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return w.h(ctx, t, fetch)
}

// giveBack returns a task whose outcome could not be published (the broker
// nacked it) to the queue, so that it is not held until the connection
// ends. When ctx has ended the connection is going anyway, and with it the
// broker returns the task itself.
func (s *session) giveBack(ctx context.Context, d amqp.Delivery) {
	if ctx.Err() == nil {
		_ = d.Nack(false, true)
	}
}

// reply publishes a result to the task's reply queue, split if it is
// larger than MaxMessageSize, and waits for the broker's confirms.
func (s *session) reply(ctx context.Context, d amqp.Delivery, body []byte, redelivered bool, published func()) error {
	parts, headers := split(body, s.w.cfg.MaxMessageSize)
	var wait []*amqp.DeferredConfirmation
	for i := range parts {
		h := headers[i]
		if h == nil {
			h = amqp.Table{}
		}
		h[hWorker] = s.w.name
		h[hRedelivered] = redelivered
		dc, err := s.pub.PublishWithDeferredConfirmWithContext(ctx, "", d.ReplyTo, false, false, amqp.Publishing{
			DeliveryMode:  amqp.Persistent,
			ContentType:   "application/octet-stream",
			CorrelationId: d.CorrelationId,
			Headers:       h,
			Body:          parts[i],
		})
		if err != nil {
			return err
		}
		wait = append(wait, dc)
	}
	published()
	return waitConfirms(ctx, wait)
}

// waitConfirms waits for every confirm; a nack is an error.
func waitConfirms(ctx context.Context, wait []*amqp.DeferredConfirmation) error {
	for _, dc := range wait {
		ack, err := dc.WaitContext(ctx)
		if err != nil {
			return err
		}
		if !ack {
			return errors.New("amqpwork: broker nacked the message (or the channel closed)")
		}
	}
	return nil
}

// putBack publishes task delivery d again at the end of the task queue,
// persistent and confirmed, with the deliveries it has had so far in a
// header (a new message starts the queue's x-delivery-count at zero), so
// that a task that also fails keeps its place towards MaxDeliveries.
func (s *session) putBack(ctx context.Context, d amqp.Delivery, prior int) error {
	h := maps.Clone(d.Headers)
	if h == nil {
		h = amqp.Table{}
	}
	delete(h, xDeliveryCount)
	h[hPrior] = int64(prior)
	return s.resend(ctx, "", s.w.cfg.Queue, d, h)
}

// maxErrorText bounds the handler error text carried in a header.
const maxErrorText = 4096

// deadLetter sends the task to the dead-letter exchange with the handler's
// error and the delivery count in headers, and waits for the confirm. The
// broker's own dead-lettering (x-delivery-limit) cannot carry the error:
// a nack has no room for one.
func (s *session) deadLetter(ctx context.Context, d amqp.Delivery, herr error, deliveries int) error {
	h := maps.Clone(d.Headers)
	if h == nil {
		h = amqp.Table{}
	}
	text := herr.Error()
	if len(text) > maxErrorText {
		text = text[:maxErrorText] + "..."
	}
	h[hError] = text
	h[hDeliveries] = int64(deliveries)
	h[hWorker] = s.w.name
	return s.resend(ctx, namesFor(s.w.cfg.Queue, "").dlx, "", d, h)
}

// resend publishes task delivery d again, its properties and body as they
// are with headers h, persistent, and waits for the broker's confirm.
func (s *session) resend(ctx context.Context, exchange, key string, d amqp.Delivery, h amqp.Table) error {
	dc, err := s.pub.PublishWithDeferredConfirmWithContext(ctx, exchange, key, false, false, amqp.Publishing{
		DeliveryMode:  amqp.Persistent,
		ContentType:   d.ContentType,
		CorrelationId: d.CorrelationId,
		ReplyTo:       d.ReplyTo,
		MessageId:     d.MessageId,
		Priority:      d.Priority,
		Headers:       h,
		Body:          d.Body,
	})
	if err != nil {
		return err
	}
	return waitConfirms(ctx, []*amqp.DeferredConfirmation{dc})
}
