// Package calls admits a component's calls until it is closed: the part of
// netlab's lifecycle rule ("Close cancels what is in progress, waits for
// it, and refuses what comes after") that the matrix and mlcluster clients
// and workers share ([Group]), and the Run-once-then-Close gate of the
// servers ([Once], [ClosedError]).
package calls

import (
	"context"
	"sync"
)

// Group admits calls until Close, which cancels the calls in progress and
// waits for them. Make one with [New].
type Group struct {
	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
}

// New returns an open group.
func New() *Group {
	ctx, cancel := context.WithCancel(context.Background())
	return &Group{ctx: ctx, cancel: cancel}
}

// Enter admits one call, or returns closed once the group is closed; done
// must be called when the call ends. The returned context also ends when
// Close is called.
func (g *Group) Enter(ctx context.Context, closed error) (_ context.Context, done func(), _ error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return nil, nil, closed
	}
	g.wg.Add(1)
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(g.ctx, cancel)
	return ctx, func() { stop(); cancel(); g.wg.Done() }, nil
}

// Close cancels the calls in progress and waits for them; it may be called
// any number of times.
func (g *Group) Close() {
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	g.cancel()
	g.wg.Wait()
}
