package mlcluster

import (
	"context"
	"errors"
	"net"
	"sync"
)

// ErrClosed is returned (or matched, with errors.Is) by every call on a
// component after its Close: [Client.Submit], [Client.SubmitDataset],
// [Worker.Run] after [Worker.Close], and [Coordinator.Run] after
// [Coordinator.Close].
var ErrClosed = errors.New("mlcluster: closed")

// closedError is what Run returns once its component is closed: it
// matches both [ErrClosed] and net.ErrClosed.
type closedError struct{ who string }

func (e closedError) Error() string { return "mlcluster: " + e.who + " is closed" }

func (e closedError) Is(target error) bool { return target == ErrClosed || target == net.ErrClosed }

// calls admits a component's calls until close, which cancels the calls in
// progress and waits for them.
type calls struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	ctx    context.Context // cancelled by close
	cancel context.CancelFunc
}

func newCalls() *calls {
	ctx, cancel := context.WithCancel(context.Background())
	return &calls{ctx: ctx, cancel: cancel}
}

// enter admits one call, or returns err; done must be called when the call
// ends. The returned context also ends when close is called.
func (c *calls) enter(ctx context.Context, err error) (context.Context, func(), error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, nil, err
	}
	c.wg.Add(1)
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.ctx, cancel)
	return ctx, func() { stop(); cancel(); c.wg.Done() }, nil
}

// close cancels the calls in progress and waits for them; it may be called
// any number of times.
func (c *calls) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
}
