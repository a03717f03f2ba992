package matrix

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"
)

// Dispatching the products of a level.
//
// Each product goes to its own peer of the lease. A task that fails (the
// connection breaks, the worker answers with an error frame) is sent to the
// next peer not known to have failed, or computed here when none is left.
// A task that misses its deadline (taskDeadline) is not abandoned: a
// backup goes to the next peer (or is computed here) and the two race, as
// MapReduce's backup tasks do; the first answer wins and the other is
// cancelled. A stopped worker therefore costs one deadline, and a deadline
// that was too short for a merely slow worker costs duplicate work, never
// a wrong or missing product. A peer that failed, or was late and lost the
// race to its backup, is dropped from the lease at the coordinator.

// dispatchState is what the seven products of one multiply share.
type dispatchState struct {
	c     *Client
	ps    []Product
	lease Lease
	depth int
	start time.Time

	mu      sync.Mutex
	rep     *Report
	failed  map[string]bool // peers that failed a task: never tried again
	late    map[string]bool // peers with a task past its deadline, still running
	dropped map[string]bool
	sent    time.Duration
	done    int
}

// attempt is the outcome of one try of a product: on a peer, or here when
// peer is "".
type attempt struct {
	peer  string
	res   *mat.Dense
	wrote time.Time
	err   error
}

// dispatch sends the products to the lease's peers in parallel and
// collects them.
func (c *Client) dispatch(ctx context.Context, ps []Product, lease Lease, depth int, rep *Report) ([]*mat.Dense, error) {
	d := &dispatchState{c: c, ps: ps, lease: lease, depth: depth, start: time.Now(), rep: rep,
		failed: map[string]bool{}, late: map[string]bool{}, dropped: map[string]bool{}}
	var (
		m    = make([]*mat.Dense, len(ps))
		errs = make([]error, len(ps))
		wg   sync.WaitGroup
	)
	for i := range m {
		wg.Go(func() { m[i], errs[i] = d.product(ctx, i) })
	}
	wg.Wait()
	rep.Send = d.sent
	rep.Compute = time.Since(d.start) - d.sent
	return m, errors.Join(errs...)
}

// product computes product i: on its own peer, then on backups as tries
// fail or run late, and finally here. It returns once every try it started
// has ended.
func (d *dispatchState) product(ctx context.Context, i int) (*mat.Dense, error) {
	x, y := d.ps[i].A, d.ps[i].B
	peers := d.lease.Peers
	ctx, cancel := context.WithCancel(ctx)
	results := make(chan attempt, len(peers)+1) // every peer at most once, and here once
	var (
		running  int
		tried    = map[string]bool{}
		local    bool
		current  string           // the peer of the latest try
		deadline <-chan time.Time // of the latest try; nil when it runs here
		suspects []string         // peers of this product past their deadline
	)
	defer func() { // cancel the losers and wait for them
		cancel()
		for ; running > 0; running-- {
			<-results
		}
	}()
	launch := func() {
		running++
		current = d.next(i, tried)
		if current == "" {
			local = true
			deadline = nil
			go func() {
				r, err := strassenCtx(ctx, dense(x), dense(y), d.c.cfg.Cutoff)
				results <- attempt{res: r, wrote: time.Now(), err: err}
			}()
			return
		}
		tried[current] = true
		xr, k := x.Dims()
		_, yc := y.Dims()
		t := time.NewTimer(d.c.taskDeadline(current, xr, k, yc))
		deadline = t.C
		p := current
		go func() {
			defer t.Stop()
			res, wrote, err := d.c.runTask(ctx, p, d.depth, x, y)
			results <- attempt{peer: p, res: res, wrote: wrote, err: err}
		}()
	}
	launch()
	for {
		select {
		case a := <-results:
			running--
			d.noteSent(a.wrote)
			if a.err == nil {
				d.won(ctx, a, suspects)
				return a.res, nil
			}
			if err := ctx.Err(); err != nil {
				// The multiply's context ended: a.err is only the try it
				// aborted ("use of closed network connection").
				return nil, err
			}
			d.failedTask(ctx, i, a)
			if running == 0 || a.peer == current {
				// Nothing else computes this product, or only tries already
				// late: start the next one (with a deadline of its own).
				launch()
			}
		case <-deadline:
			d.lateTask(i, current)
			suspects = append(suspects, current)
			if !local {
				launch()
			} else {
				deadline = nil
			}
		}
	}
}

// next picks the peer for a new try of product i: its own peer first, then
// the others in turn, skipping peers that failed, are late, or were tried
// for this product; "" when none is left.
func (d *dispatchState) next(i int, tried map[string]bool) string {
	d.mu.Lock()
	defer d.mu.Unlock()
	peers := d.lease.Peers
	for j := range peers {
		if q := peers[(i+j)%len(peers)]; !d.failed[q] && !d.late[q] && !tried[q] {
			if len(tried) > 0 {
				d.rep.Redispatched++
			}
			return q
		}
	}
	if len(tried) > 0 {
		d.rep.Redispatched++
	}
	d.rep.LocalRetries++
	return ""
}

func (d *dispatchState) noteSent(wrote time.Time) {
	d.mu.Lock()
	d.sent = max(d.sent, wrote.Sub(d.start))
	d.mu.Unlock()
}

// failedTask records a try that failed and drops its peer.
func (d *dispatchState) failedTask(ctx context.Context, i int, a attempt) {
	d.mu.Lock()
	d.failed[a.peer] = true
	delete(d.late, a.peer)
	d.mu.Unlock()
	d.c.log.Warn("worker failed; re-dispatching", "product", i+1, "peer", a.peer, "err", a.err)
	d.drop(ctx, a.peer)
}

// lateTask records that a try passed its deadline; it keeps running.
func (d *dispatchState) lateTask(i int, peer string) {
	d.mu.Lock()
	d.rep.TimedOut++
	if peer != "" {
		d.late[peer] = true
	}
	d.mu.Unlock()
	d.c.log.Warn("worker past its deadline; sending a backup", "product", i+1, "peer", peer)
}

// won records the winning try and drops the late peers it beat.
func (d *dispatchState) won(ctx context.Context, a attempt, suspects []string) {
	d.mu.Lock()
	delete(d.late, a.peer) // late, but it answered
	d.done++
	n := d.done
	d.mu.Unlock()
	if f := d.c.cfg.OnProduct; f != nil {
		f(n)
	}
	for _, p := range suspects {
		if p != a.peer {
			d.drop(ctx, p)
		}
	}
}

// drop takes a peer out of the lease at the coordinator, once.
func (d *dispatchState) drop(ctx context.Context, peer string) {
	d.mu.Lock()
	first := !d.dropped[peer]
	if first {
		d.dropped[peer] = true
		d.rep.Dropped = append(d.rep.Dropped, peer)
	}
	d.mu.Unlock()
	if first {
		d.c.dropPeer(ctx, d.lease.ID, peer)
	}
}

// dropPeer tells the coordinator that peer failed a task of the lease, so
// that it leaves the lease and is not granted again until it registers
// again. A failure is only logged: the lease still ends on release or
// expiry.
func (c *Client) dropPeer(ctx context.Context, lease uint64, peer string) {
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.DialTimeout)
	defer cancel()
	if _, err := c.control(dctx, &DropMsg{LeaseID: lease, Peer: peer}); err != nil {
		c.log.Warn("dropping a failed peer", "lease", lease, "peer", peer, "err", err)
	}
}

// runTask sends one product to one worker and reads the result; ctx ends
// it (closing the connection). wrote is when the operands were fully
// written. An answer updates the worker's measured speed.
func (c *Client) runTask(ctx context.Context, peer string, depth int, x, y mat.Matrix) (*mat.Dense, time.Time, error) {
	xr, k := x.Dims()
	_, yc := y.Dims()
	start := time.Now()
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", peer)
	if err != nil {
		return nil, time.Now(), err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	id := c.task.Add(1)
	if err := NewEncoder(conn).task(id, depth+1, source(x), source(y)); err != nil {
		return nil, time.Now(), fmt.Errorf("matrix: sending task to %s: %w", peer, err)
	}
	wrote := time.Now()
	m, err := NewDecoder(conn, c.cfg.Limits).Decode()
	if err != nil {
		return nil, wrote, fmt.Errorf("matrix: reading result from %s: %w", peer, err)
	}
	switch m := m.(type) {
	case *ResultMsg:
		if r, cc := m.C.Dims(); m.ID != id || r != xr || cc != yc {
			return nil, wrote, fmt.Errorf("%w: %s answered task %d with a %d×%d result for task %d, want %d×%d",
				ErrMalformed, peer, id, r, cc, m.ID, xr, yc)
		}
		c.speeds.record(peer, flops(xr, k, yc), time.Since(start))
		return m.C, wrote, nil
	case *ErrorMsg:
		return nil, wrote, fmt.Errorf("%w: worker %s: %s", ErrRemote, peer, m.Text)
	}
	return nil, wrote, fmt.Errorf("%w: worker %s answered with a %s frame", ErrMalformed, peer, m.Type())
}
