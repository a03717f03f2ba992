// Package rungroup runs a set of components' Run methods under one context
// and collects what every one of them returned: the harness behind the
// in-process clusters (coordinator plus workers) of several packages.
//
// Unlike errgroup, a failing component does not stop the others, and Close
// reports every error, not only the first: in a demo cluster the person wants
// to see each component that went wrong.
package rungroup

import (
	"context"
	"errors"
	"sync"
)

// Group runs functions until it is closed.
type Group struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	errs   []error
}

// New returns a Group whose functions run until parent ends or Close is
// called.
func New(parent context.Context) *Group {
	ctx, cancel := context.WithCancel(parent)
	return &Group{ctx: ctx, cancel: cancel}
}

// Go runs f(ctx) on a goroutine of its own and keeps its error, if any.
func (g *Group) Go(f func(context.Context) error) {
	g.wg.Go(func() {
		if err := f(g.ctx); err != nil {
			g.mu.Lock()
			g.errs = append(g.errs, err)
			g.mu.Unlock()
		}
	})
}

// Close cancels the context, waits for every function to return, and
// returns their errors joined. It may be called more than once.
func (g *Group) Close() error {
	g.cancel()
	g.wg.Wait()
	g.mu.Lock()
	defer g.mu.Unlock()
	return errors.Join(g.errs...)
}
