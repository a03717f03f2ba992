package amqpwork

import (
	"errors"
	"fmt"
)

// ErrClosed is returned by a [Client] or [Worker] used after Close.
var ErrClosed = errors.New("amqpwork: closed")

// ErrTooLarge is returned, wrapped with both sizes, for a task whose body
// is larger than [Config.MaxMessageSize]. Tasks are not split: their parts
// would go to different workers. Send large inputs once with
// [Client.Publish] and let the handler fetch them.
var ErrTooLarge = errors.New("amqpwork: message larger than the maximum message size")

// tooLarge wraps ErrTooLarge with both sizes.
func tooLarge(what string, size, limit int) error {
	return fmt.Errorf("%w: %s is %d bytes, Config.MaxMessageSize is %d", ErrTooLarge, what, size, limit)
}

// DeadLetterError reports a task that reached the dead-letter queue: its
// handler failed, or its workers died, on every one of
// [Config.MaxDeliveries] deliveries. [Client.Do] returns one per such task
// (joined with [errors.Join]); find them with [errors.As].
type DeadLetterError struct {
	Job    string
	TaskID string
	// Reason is the handler's error text from the last delivery, or,
	// when no handler returned (the workers died or lost their
	// connection), the broker's dead-letter reason.
	Reason string
	// Deliveries is how many times the task was delivered.
	Deliveries int
}

// Error names the task and why it was given up.
func (e *DeadLetterError) Error() string {
	return fmt.Sprintf("amqpwork: job %q task %q dead-lettered after %d deliveries: %s",
		e.Job, e.TaskID, e.Deliveries, e.Reason)
}
