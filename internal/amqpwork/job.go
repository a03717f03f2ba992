package amqpwork

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// job is the state of one Do call (or one round of an open [Job]), kept
// across reconnections.
type job struct {
	c       *Client
	name    string
	n       names
	prefix  string // of the correlation IDs: the round of an open Job, or ""
	open    *Job   // the open Job this is a round of: acknowledge what it took, keep the queues
	lastTag uint64 // the highest delivery tag taken on the session's channel
	tasks   []Task
	index   map[string]int // correlation ID -> position
	settled []bool
	results []Result
	dead    []error
	left    int        // tasks neither answered nor dead
	queued  []bool     // the broker confirmed the task message
	sent    []bool     // the task was published at least once
	asm     *assembler // split results
	order   []int      // the order to publish the tasks in; nil: task order
	arrived []int      // the tasks answered, in the order their results came
}

// Do runs tasks as the job named job and returns their results in task
// order. It publishes every task (persistent, confirmed) to the task queue,
// waits for each task's result on the job's result queue, answers the
// workers' blob requests meanwhile, and removes the job's queues when every
// task is settled.
//
// Each task is counted once, however often its result arrives. A task
// that was dead-lettered yields a zero [Result] and a [*DeadLetterError];
// Do waits for the other tasks and returns the dead-letter errors joined.
//
// When the connection is lost, Do reconnects with back-off and goes on:
// tasks already confirmed stay queued, results stay on the durable result
// queue. When ctx ends or the client is closed, Do returns and leaves the
// job's queues in place: a later Do with the same job name (from this or
// another process) collects the results that arrived meanwhile and
// publishes again only the tasks without one. A job name must therefore
// always stand for the same tasks: results waiting under it are taken as
// the answers to the tasks of the same IDs. A task may then run twice,
// which is why tasks must be idempotent (see the package documentation).
func (c *Client) Do(ctx context.Context, jobName string, tasks []Task) ([]Result, error) {
	j, err := c.newJob(jobName, "", tasks)
	if err != nil {
		return nil, err
	}
	ctx, done, err := c.calls.Enter(ctx, ErrClosed)
	if err != nil {
		return nil, err
	}
	defer done()
	if err := j.run(ctx); err != nil {
		return nil, err
	}
	_ = c.cleanup(ctx, j.n) // logged; DeleteQueues removes what is left
	return j.results, errors.Join(j.dead...)
}

// run runs sessions until every task is settled, reconnecting between
// them; the error is one that reconnecting cannot cure, or ctx's.
func (j *job) run(ctx context.Context) error {
	c, jobName, tasks := j.c, j.name, j.tasks
	for attempt := 0; j.left > 0; attempt++ {
		conn, err := c.connection(ctx)
		if err != nil {
			return err
		}
		start := time.Now()
		err = j.session(ctx, conn, attempt == 0)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return fmt.Errorf("amqpwork: job %q: %d of %d tasks unsettled: %w", jobName, j.left, len(tasks), ctx.Err())
		}
		if permanent(err) {
			return err
		}
		if time.Since(start) > c.cfg.MaxBackoff {
			attempt = 0
		}
		c.log.Warn("amqpwork job lost its connection; resuming", "job", jobName, "err", err)
		if sleep(ctx, c.cfg.backoffDelay(attempt)) != nil {
			return fmt.Errorf("amqpwork: job %q: %w (last error: %v)", jobName, ctx.Err(), err)
		}
	}
	return nil
}

// permanent tells errors that a reconnection cannot cure: the broker
// refused what was asked, not the network. Only the broker's own refusals
// count: amqp091 reports a connection that broke (EOF, reset) as a frame
// error of its own (Server false), which reconnecting does cure.
func permanent(err error) bool {
	var ae *amqp.Error
	if errors.As(err, &ae) && ae.Server {
		switch ae.Code {
		case amqp.PreconditionFailed, amqp.AccessRefused, amqp.NotAllowed, amqp.FrameError,
			amqp.SyntaxError, amqp.CommandInvalid, amqp.NotImplemented:
			return true
		}
	}
	return errors.Is(err, ErrTooLarge) || errors.Is(err, ErrClosed) || errors.Is(err, amqp.ErrCredentials)
}

func (c *Client) newJob(name, prefix string, tasks []Task) (*job, error) {
	if err := validJob(c.cfg.Queue, name); err != nil {
		return nil, err
	}
	j := &job{
		c: c, name: name, n: namesFor(c.cfg.Queue, name), tasks: tasks, prefix: prefix,
		index: make(map[string]int, len(tasks)), settled: make([]bool, len(tasks)),
		results: make([]Result, len(tasks)), queued: make([]bool, len(tasks)), sent: make([]bool, len(tasks)),
		left: len(tasks), asm: newAssembler(),
	}
	for i, t := range tasks {
		switch {
		case t.ID == "" || len(prefix+t.ID) > maxNameLen:
			return nil, fmt.Errorf("amqpwork: task %d: ID must be 1 to %d bytes, it is %d",
				i, maxNameLen-len(prefix), len(t.ID))
		case len(t.Body) > c.cfg.MaxMessageSize:
			return nil, tooLarge(fmt.Sprintf("task %q", t.ID), len(t.Body), c.cfg.MaxMessageSize)
		}
		if _, dup := j.index[prefix+t.ID]; dup {
			return nil, fmt.Errorf("amqpwork: task ID %q appears twice in job %q", t.ID, name)
		}
		j.index[prefix+t.ID] = i
	}
	return j, nil
}

// cleanup removes the job's queues once every task is settled; a failure
// only leaves them for [DeleteQueues].
func (c *Client) cleanup(ctx context.Context, n names) error {
	conn, err := c.connection(ctx)
	if err != nil {
		return err
	}
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	err = deleteJob(ch, n, true)
	if cerr := ch.Close(); err == nil && cerr != nil && !errors.Is(cerr, amqp.ErrClosed) {
		err = cerr
	}
	if err != nil {
		c.log.Warn("amqpwork: leaving job queues behind", "queue", n.results, "err", err)
	}
	return err
}

// session runs the job on one connection until every task is settled
// (nil), ctx ends, or the connection fails.
func (j *job) session(ctx context.Context, conn *amqp.Connection, first bool) (err error) {
	j.lastTag = 0
	cs, err := j.channelsOn(conn, first)
	if err != nil {
		return err
	}
	defer func() {
		if j.open == nil || err != nil {
			cs.close()
			if j.open != nil {
				j.open.chans = nil
			}
		}
	}()
	ch, closed, results, dead, blobReqs := cs.ch, cs.closed, cs.results, cs.dead, cs.blobReqs
	// The tasks are published, and their confirms awaited, beside the
	// loop below: a worker may ask for a task's body, or answer it, before
	// the broker has confirmed every task of the job.
	pubDone := make(chan error, 1)
	pctx, stopPub := context.WithCancel(ctx)
	var publishing sync.WaitGroup
	todo := j.unqueued()
	publishing.Go(func() { pubDone <- j.publish(pctx, cs, todo) })
	defer publishing.Wait()
	defer stopPub()
	for j.left > 0 {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-pubDone:
			if err != nil {
				return err
			}
			pubDone = nil
		case e := <-closed:
			return fmt.Errorf("amqpwork: channel closed: %v", e)
		case d, ok := <-results:
			if !ok {
				return errors.New("amqpwork: result consumer cancelled")
			}
			j.result(d)
		case d, ok := <-dead:
			if !ok {
				return errors.New("amqpwork: dead-letter consumer cancelled")
			}
			j.deadLetter(d)
		case d, ok := <-blobReqs:
			if !ok {
				return errors.New("amqpwork: blob consumer cancelled")
			}
			j.serve(ctx, ch, d)
		}
	}
	if pubDone != nil {
		// Every task is settled: what is left is counting the confirms
		// (ClientStats.Published); an error no longer matters.
		<-pubDone
	}
	if j.open != nil && j.lastTag > 0 {
		// The job's queues stay for its next round: what this round took
		// must go, or it would come back to every later round.
		return ch.Ack(j.lastTag, true)
	}
	return nil
}

// channelsOn returns the channels of the session on conn: an open Job's
// from its last round while they are open on conn, or new ones on the
// job's queues, declared first where conn has not declared them.
func (j *job) channelsOn(conn *amqp.Connection, first bool) (*channels, error) {
	if j.open != nil && j.open.chans.usable(conn) {
		return j.open.chans, nil
	}
	if j.open != nil {
		j.open.chans.close()
		j.open.chans = nil
	}
	// An open Job's rounds carry a nonce that no earlier Open's results
	// match: there is nothing to take.
	cs, err := j.openChannels(conn, first && j.open == nil)
	if err != nil {
		return nil, err
	}
	if j.open != nil {
		j.open.chans = cs
	}
	return cs, nil
}

// drain takes the results and dead letters already queued for the job,
// without acknowledging them: the queues are deleted when the job is done,
// and kept, messages and all, if it is not.
func (j *job) drain(ch *amqp.Channel) error {
	for _, q := range []string{j.n.results, j.n.dead} {
		for {
			d, ok, err := ch.Get(q, false)
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			if q == j.n.results {
				j.result(d)
			} else {
				j.deadLetter(d)
			}
		}
	}
	return nil
}

// unqueued returns the tasks neither settled nor confirmed by the broker:
// those a session publishes.
func (j *job) unqueued() []int {
	var todo []int
	for k := range j.tasks {
		i := k
		if j.order != nil {
			i = j.order[k]
		}
		if !j.settled[i] && !j.queued[i] {
			todo = append(todo, i)
		}
	}
	return todo
}

// publish sends the tasks todo and waits for their confirms; nacked tasks
// are sent again. It runs beside the session's loop and touches only
// j.queued and j.sent, which that loop does not read.
func (j *job) publish(ctx context.Context, cs *channels, todo []int) error {
	if len(todo) == 0 {
		return nil
	}
	pub, pubClosed := cs.pub, cs.pubClosed
	type pending struct {
		i  int
		dc *amqp.DeferredConfirmation
	}
	wait := make([]pending, 0, len(todo))
	for round := 0; ; round++ {
		wait = wait[:0]
		for _, i := range todo {
			t := j.tasks[i]
			dc, err := pub.PublishWithDeferredConfirmWithContext(ctx, "", j.n.tasks, false, false, j.message(j.prefix+t.ID, t.Body))
			if err != nil {
				return err
			}
			if j.sent[i] {
				j.c.republished.Add(1)
			}
			j.sent[i] = true
			wait = append(wait, pending{i, dc})
		}
		var nacked []int
		for _, p := range wait {
			ack, err := p.dc.WaitContext(ctx)
			if err != nil {
				return err
			}
			if !ack {
				nacked = append(nacked, p.i)
				continue
			}
			j.queued[p.i] = true
			j.c.published.Add(1)
		}
		if len(nacked) == 0 {
			return nil
		}
		if pub.IsClosed() {
			// The broker closes a channel that publishes what it refuses,
			// such as a message over its max_message_size: say why.
			if e := <-pubClosed; e != nil {
				return fmt.Errorf("amqpwork: job %q: the broker closed the publishing channel: %w", j.name, e)
			}
			return errors.New("amqpwork: publishing channel closed before the confirms")
		}
		j.c.log.Warn("amqpwork: broker nacked tasks; publishing them again", "job", j.name, "nacked", len(nacked))
		if err := sleep(ctx, j.c.cfg.backoffDelay(round)); err != nil {
			return err
		}
		todo = nacked
	}
}

// message is the AMQP message of task t: persistent, correlated by task
// ID, with the reply queue and what the worker needs to know in headers.
// A body over [Config.InlineBody] stays here: the message carries its
// length, and the worker fetches it under the correlation ID.
func (j *job) message(id string, body []byte) amqp.Publishing {
	headers := amqp.Table{
		hJob:           j.name,
		hMaxDeliveries: int32(j.c.cfg.MaxDeliveries),
		hBlobs:         j.n.blobs,
	}
	if j.c.cfg.InlineBody >= 0 && len(body) > j.c.cfg.InlineBody {
		headers[hBody] = int64(len(body))
		body = nil
	}
	return amqp.Publishing{
		DeliveryMode:  amqp.Persistent,
		ContentType:   "application/octet-stream",
		CorrelationId: id,
		MessageId:     j.name + "/" + id,
		ReplyTo:       j.n.results,
		Timestamp:     time.Now(),
		Headers:       headers,
		Body:          body,
	}
}

// result counts a result message, once per task.
func (j *job) result(d amqp.Delivery) {
	j.lastTag = max(j.lastTag, d.DeliveryTag)
	i, ok := j.index[d.CorrelationId]
	if !ok {
		// A late result of an earlier round of an open Job, or a stray.
		j.c.log.Debug("amqpwork: result for an unknown task ignored", "job", j.name, "task", d.CorrelationId)
		_ = d.Ack(false)
		return
	}
	if j.settled[i] {
		j.asm.forget(d.CorrelationId)
		j.c.duplicates.Add(1)
		_ = d.Ack(false)
		return
	}
	body, done, err := j.asm.add(d.CorrelationId, d.Headers, d.Body)
	if err != nil {
		j.c.log.Warn("amqpwork: malformed result ignored", "job", j.name, "err", err)
		return
	}
	if !done {
		return
	}
	redelivered, _ := d.Headers[hRedelivered].(bool)
	j.results[i] = Result{TaskID: j.tasks[i].ID, Body: body, Worker: stringHeader(d.Headers, hWorker),
		Redelivered: redelivered}
	j.arrived = append(j.arrived, i)
	j.settle(i)
	j.c.results.Add(1)
}

// deadLetter reports a dead-lettered task, once per task.
func (j *job) deadLetter(d amqp.Delivery) {
	j.lastTag = max(j.lastTag, d.DeliveryTag)
	i, ok := j.index[d.CorrelationId]
	if !ok || j.settled[i] {
		_ = d.Ack(false)
		return
	}
	e := deadLetterError(j.name, d)
	e.TaskID = j.tasks[i].ID
	j.dead = append(j.dead, e)
	j.settle(i)
	j.c.dead.Add(1)
}

func (j *job) settle(i int) {
	j.settled[i] = true
	j.left--
}

// deadLetterError explains a dead letter from its headers: the error text
// a worker wrote into it, or else the broker's reason (delivery_limit: the
// task was returned by workers that died or disconnected).
func deadLetterError(job string, d amqp.Delivery) *DeadLetterError {
	e := &DeadLetterError{Job: job, TaskID: d.CorrelationId, Reason: stringHeader(d.Headers, hError)}
	n, ok, err := intHeader(d.Headers, hDeliveries)
	if ok && err == nil && n > 0 && n <= 1<<20 {
		e.Deliveries = int(n)
	} else if m, ok, err := intHeader(d.Headers, hMaxDeliveries); ok && err == nil && m > 0 && m <= 1<<20 {
		e.Deliveries = int(m)
	}
	if e.Reason == "" {
		reason := stringHeader(d.Headers, xFirstReason)
		if reason == "" {
			reason = "unknown"
		}
		e.Reason = "the broker dead-lettered it (" + reason + "): no worker acknowledged it in " +
			strconv.Itoa(e.Deliveries) + " deliveries; workers died or lost their connection on it"
	}
	return e
}

// defaultServePart is the largest message serve sends (Client.servePart).
// The broker passes a message on only once it has the whole of it: in
// parts, the worker receives the first megabyte of a body while the
// broker still takes in the rest, instead of after it
// (BenchmarkBlobFetch).
const defaultServePart = 1 << 20

// serve answers one request of a worker: for a task's body (a request
// with the body header, keyed by correlation ID) or for a blob the client
// published. The answer is the bytes, in parts if they are larger than
// MaxMessageSize, or an error header for an unknown key. The request is
// acknowledged after the reply is sent.
func (j *job) serve(ctx context.Context, ch *amqp.Channel, d amqp.Delivery) {
	c, key := j.c, string(d.Body)
	_, isBody := d.Headers[hBody]
	var data []byte
	var ok bool
	if isBody {
		var i int
		if i, ok = j.index[key]; ok {
			data = j.tasks[i].Body
		}
	} else {
		data, ok = c.blob(key)
	}
	if d.ReplyTo != "" {
		if !ok {
			msg := fmt.Sprintf("no blob published under key %q", key)
			if isBody {
				msg = fmt.Sprintf("no task %q waits for its body in job %q", key, j.name)
			}
			_ = ch.PublishWithContext(ctx, "", d.ReplyTo, false, false, amqp.Publishing{
				CorrelationId: d.CorrelationId,
				Headers:       amqp.Table{hError: msg},
			})
		} else {
			parts, headers := split(data, min(c.cfg.MaxMessageSize, c.servePart))
			for i := range parts {
				if err := ch.PublishWithContext(ctx, "", d.ReplyTo, false, false, amqp.Publishing{
					CorrelationId: d.CorrelationId, Headers: headers[i], Body: parts[i],
				}); err != nil {
					return
				}
			}
			if isBody {
				c.bodies.Add(1)
			} else {
				c.served.Add(1)
			}
		}
	}
	_ = d.Ack(false)
}
