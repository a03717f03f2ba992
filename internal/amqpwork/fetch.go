package amqpwork

import (
	"context"
	"errors"
	"fmt"
	"sync"

	amqp "github.com/rabbitmq/amqp091-go"
)

// directReplyTo is RabbitMQ's pseudo-queue for RPC replies: a client
// consumes from it (no-ack) and names it in reply_to, and the broker hands
// replies straight to that channel, with no queue to declare or delete.
const directReplyTo = "amq.rabbitmq.reply-to"

// rpcClient sends blob requests on one channel of a worker's connection
// and routes the replies, by correlation ID, to the waiting fetches.
type rpcClient struct {
	ch   *amqp.Channel
	done chan struct{} // closed when dispatch has returned

	mu      sync.Mutex
	waiting map[string]*call
	broken  bool
}

// call is one outstanding request.
type call struct {
	asm   *assembler
	reply chan callResult // buffered, receives once
}

type callResult struct {
	body []byte
	err  error
}

func newRPCClient(conn *amqp.Connection) (*rpcClient, error) {
	ch, err := conn.Channel()
	if err != nil {
		return nil, err
	}
	replies, err := ch.Consume(directReplyTo, "", true, false, false, false, nil)
	if err != nil {
		_ = ch.Close()
		return nil, err
	}
	returns := ch.NotifyReturn(make(chan amqp.Return, 1))
	r := &rpcClient{ch: ch, done: make(chan struct{}), waiting: map[string]*call{}}
	go r.dispatch(replies, returns)
	return r, nil
}

// dispatch delivers replies, and returned requests (no queue by that name:
// the job's client is gone), to their calls until the channel closes.
func (r *rpcClient) dispatch(replies <-chan amqp.Delivery, returns <-chan amqp.Return) {
	defer close(r.done)
	for replies != nil || returns != nil {
		select {
		case d, ok := <-replies:
			if !ok {
				replies = nil
				continue
			}
			r.deliver(d)
		case ret, ok := <-returns:
			if !ok {
				returns = nil
				continue
			}
			r.finish(ret.CorrelationId, callResult{err: fmt.Errorf(
				"amqpwork: no client serves blobs on %q (the job ended or never started)", ret.RoutingKey)})
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.broken = true
	for id, c := range r.waiting {
		c.reply <- callResult{err: errors.New("amqpwork: connection lost while fetching a blob")}
		delete(r.waiting, id)
	}
}

func (r *rpcClient) deliver(d amqp.Delivery) {
	r.mu.Lock()
	c := r.waiting[d.CorrelationId]
	r.mu.Unlock()
	if c == nil {
		return // a late duplicate
	}
	if msg := stringHeader(d.Headers, hError); msg != "" {
		r.finish(d.CorrelationId, callResult{err: errors.New("amqpwork: client: " + msg)})
		return
	}
	body, done, err := c.asm.add(d.CorrelationId, d.Headers, d.Body)
	if err != nil || done {
		r.finish(d.CorrelationId, callResult{body: body, err: err})
	}
}

func (r *rpcClient) finish(id string, res callResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c := r.waiting[id]; c != nil {
		c.reply <- res
		delete(r.waiting, id)
	}
}

// request asks the client behind queue for the blob key, or, with body
// set, for the body of the task whose correlation ID is key.
func (r *rpcClient) request(ctx context.Context, queue, key string, body bool) ([]byte, error) {
	if queue == "" {
		return nil, errors.New("amqpwork: the task names no blob queue")
	}
	id := randomID() + randomID()
	c := &call{asm: newAssembler(), reply: make(chan callResult, 1)}
	r.mu.Lock()
	if r.broken {
		r.mu.Unlock()
		return nil, errors.New("amqpwork: connection lost")
	}
	r.waiting[id] = c
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		delete(r.waiting, id)
		r.mu.Unlock()
	}()
	msg := amqp.Publishing{CorrelationId: id, ReplyTo: directReplyTo, Body: []byte(key)}
	if body {
		msg.Headers = amqp.Table{hBody: true}
	}
	err := r.ch.PublishWithContext(ctx, "", queue, true, false, msg)
	if err != nil {
		return nil, err
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case res := <-c.reply:
		return res.body, res.err
	}
}

// close closes the channel and waits for dispatch to end.
func (r *rpcClient) close() {
	_ = r.ch.Close()
	<-r.done
}

// fetch is the [Fetcher] of a task whose job serves blobs on queue.
func (s *session) fetch(ctx context.Context, queue, key string) ([]byte, error) {
	if b, ok := s.w.cache.get(key); ok {
		s.w.count(func(s *WorkerStats) { s.CacheHits++ })
		return b, nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.w.cfg.FetchTimeout)
	defer cancel()
	b, err := s.w.cache.fill(ctx, key, func() ([]byte, error) {
		s.w.count(func(s *WorkerStats) { s.Fetches++ })
		return s.rpc.request(ctx, queue, key, false)
	})
	if err != nil {
		return nil, fmt.Errorf("amqpwork: fetching blob %q: %w", key, away(ctx, err))
	}
	return b, nil
}

// errClientAway marks a fetch that no client answered within
// [Config.FetchTimeout] although the job's blob queue stands (a request
// to a deleted queue comes back at once, unroutable): the job's client is
// away, for instance restarting. The task is not at fault, so the worker
// puts it back at the end of the queue without counting a delivery.
var errClientAway = errors.New("no client of the job answered within Config.FetchTimeout")

// away marks err with [errClientAway] when it is the end of the fetch's
// own deadline (fctx) rather than of the worker's context.
func away(fctx context.Context, err error) error {
	if errors.Is(err, context.DeadlineExceeded) && errors.Is(context.Cause(fctx), context.DeadlineExceeded) {
		return fmt.Errorf("%w (%w)", err, errClientAway)
	}
	return err
}
