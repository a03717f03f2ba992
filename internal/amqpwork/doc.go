// Package amqpwork runs tasks on RabbitMQ work queues: the engine behind
// matrix's and mlcluster's second way to run, for users who outgrow the
// course's TCP grid (workers on many machines, workers that come and go, a
// queue that outlives its coordinator) and would rather trust a proven
// broker than a home-made scheduler.
//
// A [Client] (the coordinator) publishes a job's tasks; any number of
// [Worker] processes run a [Handler] on them; [Client.Do] returns the
// results in task order:
//
//	c, err := amqpwork.Dial(ctx, amqpwork.Config{Queue: "netlab.matrix.tasks"})
//	results, err := c.Do(ctx, "multiply-42", tasks)
//
//	w, err := amqpwork.NewWorker(amqpwork.Config{Queue: "netlab.matrix.tasks"}, handler)
//	err = w.Run(ctx)
//
// # Work queues and competing consumers
//
// A work queue (RabbitMQ tutorial 2) holds tasks until a worker takes
// them. Every worker consumes from the same queue, so the broker hands
// each task to one of them: the workers compete, and adding a worker adds
// capacity with no change anywhere else. A worker that joins late simply
// starts receiving tasks; one that leaves simply stops.
//
// How many tasks the broker pushes to a worker before it has acknowledged
// any is the prefetch count (basic.qos, [Config.Prefetch]). With a
// prefetch of 1, the default, a worker holds one task at a time and an
// idle worker never waits while a busy one sits on tasks; a larger
// prefetch hides the round trip per task when tasks are small and many.
// [Config.Concurrency] sets how many of the held tasks a worker runs at
// once.
//
// # The flow of one job
//
//	Client.Do(job)                     broker                      Worker.Run
//	------------                 ---------------------             ----------
//	publish task  (persistent,   Queue (quorum, durable,   deliver
//	confirm) ------------------> x-delivery-limit) ----------------> Handler
//	                                                                   |
//	                                        body / fetch(key) ---------+
//	serve body, blob <---------- Queue.blobs.job  <--- RPC request     |
//	(parts)     ---------------> amq.rabbitmq.reply-to --------------> |
//	                                                                   v
//	collect by  <--------------- Queue.results.job <-- result (persistent,
//	correlation id                                      confirm), then ack task
//
//	handler failed on the last delivery:  worker --> Queue.dlx --+
//	workers died MaxDeliveries times:     broker --> Queue.dlx --+--> Queue.dead.job
//	                                                                 --> DeadLetterError
//
// Each task is a message on the durable task queue [Config.Queue], with the
// task ID as its correlation ID and the job's result queue as its reply_to:
// the remote procedure call pattern of RabbitMQ tutorial 6, with a durable,
// named reply queue instead of a temporary one, so that results wait for a
// coordinator that is not there yet. The job's queues are named after the
// task queue and the job (Queue.results.job, Queue.dead.job,
// Queue.blobs.job); Do deletes them when every task is settled, and
// [DeleteQueues] removes whatever a test or an abandoned job left.
//
// # At-least-once delivery and idempotent tasks
//
// RabbitMQ's reliability guide gives two halves of one promise. Publisher
// confirms: the broker acknowledges each published message once it has
// taken responsibility for it (for a persistent message on a durable
// queue, once it is on disk), and Do does not count a task as sent before
// that confirm; a negative confirm, or a connection lost before the
// confirm, makes Do publish the task again. Consumer acknowledgements: a
// worker acknowledges a task only after the broker has confirmed the
// task's result; until then the broker keeps the task, and if the worker's
// connection ends (the process was killed, the network failed) it delivers
// the task to another worker.
//
// Neither half can tell "lost" from "slow", so both err on the side of
// sending again: a task may run twice (a worker computed it, published the
// result, and died before its acknowledgement arrived) and a result may
// arrive twice. That is at-least-once delivery. Exactly-once results are
// built on top: Do keys results by task ID and counts the first one,
// ignoring the rest ([ClientStats.Duplicates] counts them). This is only
// correct if running a task twice gives the same result twice: handlers
// must be idempotent, a pure function of the task and the blobs it
// fetches. Strassen block products and k-means assignment steps are.
//
// A coordinator that restarts is the same story at a larger scale: Do with
// the same job name finds the job's durable result queue with the results
// that arrived meanwhile, takes them first, and publishes only the tasks
// that have none. Tasks that were still queued are then queued twice and
// may run twice; the result counts once.
//
// # Dead-lettering
//
// A task that can never succeed must not circulate forever. The task queue
// is a quorum queue, which counts the deliveries of every message itself
// (the x-delivery-count header) and, with the x-delivery-limit argument,
// dead-letters a message returned more often than the limit: it moves it
// to the dead-letter exchange Queue.dlx with the reason delivery_limit in
// its x-death header. That covers the case no worker can report, a task
// that kills every worker that takes it. A quorum queue was chosen over a
// classic queue counting x-death or redeliveries because only the broker
// sees every delivery, including those to workers that died.
//
// The broker's dead-lettering cannot carry the handler's error: a negative
// acknowledgement has no room for one. So a worker whose handler fails
// returns the task to the queue (basic.nack with requeue) while deliveries
// remain, and on the last one publishes the task to Queue.dlx itself, with
// the error text in a header, and then acknowledges it. Queue.dlx is a
// headers exchange that routes on the task's job header, so each job's
// dead letters reach its own dead-letter queue, where Do reads them and
// reports a [*DeadLetterError] naming the task and the reason instead of
// waiting forever.
//
// Every client and worker of one task queue must use the same
// [Config.MaxDeliveries]: it is an argument of the queue, and declaring the
// queue with another value is refused by the broker (Dial and Run then
// return an error that says so).
//
// # Task bodies, blobs, message size and parts
//
// Only what must survive belongs on a disk. The task message is
// persistent and confirmed, so that a task outlives its coordinator and
// its workers; its body need not be, because the body is a pure function
// of what the coordinator holds. A body larger than [Config.InlineBody]
// (4 KiB by default) therefore stays with the [Client]: the task message
// carries the body's length instead, and the worker, before it runs the
// handler, fetches the body from the client under the task's correlation
// ID, over the broker but transient (an RPC on RabbitMQ's direct
// reply-to: no queue, no disk). The large bytes skip the quorum queue's
// log, which writes and syncs every byte before it delivers the message.
// What this costs is availability: while no client of the job is
// running, a worker cannot run such a task. It waits [Config.FetchTimeout]
// and then puts the task back at the end of the queue, persistent and
// confirmed, without counting a delivery (the job's client being away is
// not the task's fault; WorkerStats.Deferred counts these); a client that
// comes back to the job (the same job name, the same tasks) serves the
// bodies again. A job whose queues were deleted cannot be served at all:
// the request comes back unroutable at once, which fails the task and
// dead-letters it after MaxDeliveries. Blobs are fetched the same way. So
// the tasks of a job whose client crashed and never comes back keep
// waiting until its queues are removed ([DeleteQueues]), and then fail.
//
// Input that many tasks share, such as a k-means shard, belongs in a blob:
// [Client.Publish] it once, and each worker's [Fetcher] asks the client
// for it the same way the first time and caches it, so it crosses the
// broker once per worker rather than once per task.
//
// RabbitMQ refuses messages larger than its max_message_size (128 MiB as
// shipped, [DefaultMaxMessageSize]). A task larger than
// [Config.MaxMessageSize] is refused by Do with [ErrTooLarge], naming both
// sizes. Results larger than MaxMessageSize, and bodies and blobs larger
// than 1 MiB, are split into parts that carry their index, their count
// and the whole length in headers; the receiver checks every part against
// the others before it puts them together. (The broker passes a message
// on only once it holds all of it: a body served in parts reaches the
// worker while the broker still takes in the rest. BenchmarkBlobFetch
// fetched a 32 MiB blob in 0.71 and 0.75 of the time it took as one
// message, in two runs under a load average of 16.)
//
// # Jobs of several rounds
//
// Do declares the job's queues when it starts and deletes them when it
// ends. For a computation of many short rounds, such as the iterations of
// k-means, [Client.Open] declares them once and [Job.Do] runs one round
// after another on them; [Job.Close] deletes them. A round acknowledges
// what it received before the next one starts, and its tasks' correlation
// IDs carry the round number, so that a late duplicate from one round is
// never counted in the next. An open job also keeps its channels and
// consumers from round to round, and publishes each round's tasks in the
// order their results came in the round before: the broker gives the
// first task to the worker that has waited longest, most often the one
// that answered that task last time, so that workers tend to keep their
// tasks, and the blobs those need, from round to round.
//
// # Stopping workers, and long tasks
//
// A worker that stops (its context ends, or it is closed) returns the
// tasks it holds to the queue unfinished, and the quorum queue counts that
// as a delivery, as it counts a worker that died. With the default
// prefetch of 1 that is the one task it was running; with a larger
// prefetch it is every task it held. [Config.MaxDeliveries] must leave
// room for the restarts a task may live through. RabbitMQ also gives up
// on a consumer that holds a task longer than its consumer_timeout (30
// minutes as shipped) by closing its channel: the worker reconnects and
// the task is delivered again, so longer tasks need a larger timeout on
// the broker.
//
// # Connection loss
//
// Both sides treat a lost connection as routine. A worker's Run reconnects
// with exponential back-off and jitter ([Config.MinBackoff],
// [Config.MaxBackoff]); the tasks it held are delivered again. Do
// reconnects the same way, publishes the tasks whose confirms it had not
// received, and goes on collecting: the results wait on the durable result
// queue meanwhile. Errors that reconnecting cannot cure (the queue exists
// with other arguments, bad credentials) end Run and Do at once.
//
// # Cost
//
// Reliability is paid for in disk writes and round trips. In one run on
// a shared 2-core machine under a load average of 12 to 13 (go test
// -bench . -benchtime 5x ./internal/amqpwork), against a bare amqp091
// round trip of the same bytes (transient queue, no confirms, automatic
// acknowledgements) measured in the same loop:
//
//   - BenchmarkThroughput/body=1KiB ran 1072 tasks/s, taking 10.5 times
//     the bare round trip's time: per-task confirms, acknowledgements and
//     the quorum queue's log dominate (an earlier run on a lighter load
//     gave 9 to 16 times);
//   - BenchmarkThroughput/body=256KiB moved 138 MB/s of task and result
//     bodies, 2.05 times the bare time, and
//     BenchmarkThroughput/body=8192KiB 144 MB/s, 1.65 times: writing the
//     results to disk and the fetch of each body dominate;
//   - the same benchmark's fetch/inline, the default client's time over
//     that of a client sending every body inside its task message, was
//     0.97 at 256 KiB and 0.84 at 8 MiB; at 1 KiB, where both send the
//     body inline, it was 1.23, which is the noise of that run;
//   - BenchmarkRounds ran 118 rounds/s of four tasks as rounds of an open
//     [Job] and 23 as plain Do calls (job/do 0.19).
//
// Large inputs that many tasks share are cheaper as blobs, which travel
// once per worker, transient, on direct reply-to.
//
// # References
//
//   - RabbitMQ tutorial 2, Work Queues: https://www.rabbitmq.com/tutorials/tutorial-two-go
//   - RabbitMQ tutorial 6, RPC: https://www.rabbitmq.com/tutorials/tutorial-six-go
//   - Reliability guide: https://www.rabbitmq.com/docs/reliability
//   - Consumer acknowledgements and publisher confirms:
//     https://www.rabbitmq.com/docs/confirms
//   - Quorum queues (delivery limit, poison messages):
//     https://www.rabbitmq.com/docs/quorum-queues
//   - Dead letter exchanges: https://www.rabbitmq.com/docs/dlx
//   - Direct reply-to: https://www.rabbitmq.com/docs/direct-reply-to
//   - AMQP 0-9-1 specification: https://www.rabbitmq.com/resources/specs/amqp0-9-1.pdf
package amqpwork
