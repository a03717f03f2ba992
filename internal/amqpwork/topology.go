package amqpwork

import (
	"context"
	"errors"
	"fmt"
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"
)

// Header names carried by the engine's messages. A header is the place for
// what the broker and the other side need to read without decoding the
// body: the job a task belongs to (the dead-letter exchange routes on it),
// where a worker fetches blobs, and why a task failed.
const (
	hJob           = "netlab-job"            // task, dead letter: the job's name
	hMaxDeliveries = "netlab-max-deliveries" // task: the client's MaxDeliveries
	hBlobs         = "netlab-blobs"          // task: the job's blob request queue
	hBody          = "netlab-body"           // task, blob request: the body stays with the client (its length)
	hError         = "netlab-error"          // dead letter, blob reply: what went wrong
	hDeliveries    = "netlab-deliveries"     // dead letter from a worker: deliveries seen
	hPrior         = "netlab-prior"          // deferred task: deliveries before it was put back
	hWorker        = "netlab-worker"         // result: which worker computed it
	hRedelivered   = "netlab-redelivered"    // result: the task had been delivered before
	hPart          = "netlab-part"           // split body: this part's index
	hParts         = "netlab-parts"          // split body: how many parts
	hSize          = "netlab-size"           // split body: the whole body's length

	// xDeliveryCount is set by a quorum queue on a redelivered message:
	// how many times it was returned (nack, or a consumer that went away).
	xDeliveryCount = "x-delivery-count"
	xFirstReason   = "x-first-death-reason"
)

// names are the broker objects behind one task queue and one job.
type names struct {
	tasks   string // quorum queue of tasks, shared by every job
	dlx     string // headers exchange that routes dead tasks to their job
	results string // the job's durable result queue
	dead    string // the job's durable dead-letter queue
	blobs   string // the job's blob request queue
}

func namesFor(queue, job string) names {
	return names{
		tasks:   queue,
		dlx:     queue + ".dlx",
		results: queue + ".results." + job,
		dead:    queue + ".dead." + job,
		blobs:   queue + ".blobs." + job,
	}
}

// validJob checks a job name: it becomes part of queue names.
func validJob(queue, job string) error {
	n := namesFor(queue, job)
	switch {
	case job == "":
		return errors.New("amqpwork: job name is empty")
	case len(n.results) > maxNameLen:
		return fmt.Errorf("amqpwork: job name %q makes queue name %d bytes, the limit is %d",
			job, len(n.results), maxNameLen)
	case strings.HasPrefix(job, "amq."):
		return fmt.Errorf("amqpwork: job name %q: the amq. prefix is reserved", job)
	}
	return nil
}

// declareTasks declares the task queue and its dead-letter exchange. The
// task queue is a quorum queue: replicated where the broker is a cluster,
// durable, and counting deliveries itself (x-delivery-limit), so that a
// task whose workers keep dying is dead-lettered by the broker.
func declareTasks(ch *amqp.Channel, cfg Config) error {
	n := namesFor(cfg.Queue, "")
	if err := ch.ExchangeDeclare(n.dlx, amqp.ExchangeHeaders, true, false, false, false, nil); err != nil {
		return fmt.Errorf("amqpwork: declaring dead-letter exchange %q: %w", n.dlx, err)
	}
	_, err := ch.QueueDeclare(n.tasks, true, false, false, false, amqp.Table{
		amqp.QueueTypeArg:        amqp.QueueTypeQuorum,
		"x-delivery-limit":       int32(cfg.MaxDeliveries - 1),
		"x-dead-letter-exchange": n.dlx,
	})
	var ae *amqp.Error
	if errors.As(err, &ae) && ae.Code == amqp.PreconditionFailed {
		return fmt.Errorf("amqpwork: task queue %q exists with other arguments "+
			"(every client and worker of a queue needs the same MaxDeliveries, here %d): %w",
			n.tasks, cfg.MaxDeliveries, err)
	}
	if err != nil {
		return fmt.Errorf("amqpwork: declaring task queue %q: %w", n.tasks, err)
	}
	return nil
}

// declareJob declares the job's result, dead-letter and blob queues and
// binds the dead-letter queue to the job's dead tasks. The declarations
// are pipelined (no-wait) and checked by one synchronous call at the end:
// a failure closes the channel, which that call reports. One round trip
// instead of five is most of a small job's set-up time.
func declareJob(ch *amqp.Channel, n names, job string) error {
	for _, q := range []string{n.results, n.dead, n.blobs} {
		if _, err := ch.QueueDeclare(q, true, false, false, true, nil); err != nil {
			return fmt.Errorf("amqpwork: declaring queue %q: %w", q, err)
		}
	}
	err := ch.QueueBind(n.dead, "", n.dlx, true, amqp.Table{"x-match": "all", hJob: job})
	if err == nil {
		_, err = ch.QueueDeclarePassive(n.blobs, true, false, false, false, nil)
	}
	if err != nil {
		return fmt.Errorf("amqpwork: declaring the queues of job %q: %w", job, err)
	}
	return nil
}

// deleteJob removes the job's queues. With noWait the deletions are
// pipelined and their errors not reported: closing the channel afterwards
// waits for them.
func deleteJob(ch *amqp.Channel, n names, noWait bool) error {
	var errs []error
	for _, q := range []string{n.results, n.dead, n.blobs} {
		if _, err := ch.QueueDelete(q, false, false, noWait); err != nil {
			errs = append(errs, fmt.Errorf("amqpwork: deleting queue %q: %w", q, err))
		}
	}
	return errors.Join(errs...)
}

// DeleteQueues removes from the broker what [Client] and [Worker] declared
// for cfg.Queue: the given jobs' result, dead-letter and blob queues, then
// the task queue (with any tasks still in it) and its dead-letter exchange.
// [Client.Do] removes a job's queues itself when the job completes; this is
// for tests, tools, and jobs abandoned for good. Deleting what does not
// exist is not an error.
func DeleteQueues(ctx context.Context, cfg Config, jobs ...string) error {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	conn, err := cfg.dial(ctx, "netlab amqpwork cleanup")
	if err != nil {
		return err
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return fmt.Errorf("amqpwork: opening channel: %w", err)
	}
	var errs []error
	for _, job := range jobs {
		errs = append(errs, deleteJob(ch, namesFor(cfg.Queue, job), false))
	}
	n := namesFor(cfg.Queue, "")
	if _, err := ch.QueueDelete(n.tasks, false, false, false); err != nil {
		errs = append(errs, fmt.Errorf("amqpwork: deleting queue %q: %w", n.tasks, err))
	}
	if err := ch.ExchangeDelete(n.dlx, false, false); err != nil {
		errs = append(errs, fmt.Errorf("amqpwork: deleting exchange %q: %w", n.dlx, err))
	}
	return errors.Join(errs...)
}
