// Package amqpwork runs tasks on RabbitMQ work queues: a reliable task
// queue for netlab's distributed computations (matrix, mlcluster) when they
// run on an existing broker rather than on the course's TCP grid.
//
// A [Client] (the coordinator) publishes a job's tasks to a durable task
// queue; any number of [Worker] processes consume them as competing
// consumers, run a [Handler] on each and publish the result to the job's
// result queue, where [Client.Do] collects them in task order. It follows
// RabbitMQ's tutorials 2 (work queues) and 6 (RPC) and its reliability
// guide; the full course text is being written.
package amqpwork
