package matrix

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/netlab-go/netlab/internal/calls"
	"gonum.org/v1/gonum/mat"
)

// Products is the number of peers a [Strassen] level uses: one per product.
const Products = 7

// ClientConfig configures a [Client].
type ClientConfig struct {
	Coordinator    string         // coordinator address (host:port)
	Holder         string         // name shown in the coordinator's table
	MinDistribute  int            // products whose smallest dimension is below this are computed locally
	Cutoff         int            // Strassen cutoff for local computation
	AcquireTimeout time.Duration  // wait at most this long for seven peers, then compute locally
	LeaseTTL       time.Duration  // lease length to ask for; 0 = the coordinator's default
	DialTimeout    time.Duration  // connecting to the coordinator or a worker
	TaskTimeout    time.Duration  // floor of every task's deadline (see taskDeadline); 0 = DefaultTaskTimeout
	Depth          int            // how deep this client already is (0 for a top-level client)
	Limits         Limits         // bounds on frames read
	Logger         *slog.Logger   // nil = silent
	OnStatus       func(Status)   // status updates while waiting for peers
	OnProduct      func(done int) // called, possibly concurrently, as each of the seven products is back; nil = none

	// Peers is how many peers to lease, 1 to [Products]; 0 means Products.
	// With fewer than seven, product i goes to peer i mod Peers, so that
	// each peer computes several products at once (a grid of two machines).
	Peers int
}

// DefaultTaskTimeout is the floor of a task's deadline: what a small task
// may take, dial and network included, before its worker counts as failed.
const DefaultTaskTimeout = 2 * time.Second

// DefaultClientConfig waits up to 10 s for peers, distributes products of
// at least 64 rows and columns, and gives each task [DefaultTaskTimeout] plus
// the time its size needs at its worker's measured speed.
func DefaultClientConfig(coordinator string) ClientConfig {
	return ClientConfig{
		Coordinator:    coordinator,
		Holder:         "client",
		MinDistribute:  64,
		Cutoff:         DefaultCutoff,
		AcquireTimeout: 10 * time.Second,
		DialTimeout:    2 * time.Second,
		TaskTimeout:    DefaultTaskTimeout,
		Limits:         DefaultLimits(),
	}
}

func (c ClientConfig) validate() error {
	switch {
	case c.Coordinator == "":
		return errors.New("matrix: ClientConfig.Coordinator is empty")
	case c.MinDistribute < 2:
		return fmt.Errorf("matrix: ClientConfig.MinDistribute %d must be at least 2", c.MinDistribute)
	case c.Cutoff < 1:
		return fmt.Errorf("matrix: ClientConfig.Cutoff %d must be at least 1", c.Cutoff)
	case c.AcquireTimeout <= 0:
		return fmt.Errorf("matrix: ClientConfig.AcquireTimeout %v must be positive", c.AcquireTimeout)
	case c.LeaseTTL < 0:
		return fmt.Errorf("matrix: ClientConfig.LeaseTTL %v must not be negative", c.LeaseTTL)
	case c.DialTimeout <= 0:
		return fmt.Errorf("matrix: ClientConfig.DialTimeout %v must be positive", c.DialTimeout)
	case c.TaskTimeout < 0:
		return fmt.Errorf("matrix: ClientConfig.TaskTimeout %v must not be negative", c.TaskTimeout)
	case c.Peers < 0 || c.Peers > Products:
		return fmt.Errorf("matrix: ClientConfig.Peers %d outside [0, %d]", c.Peers, Products)
	case c.Depth < 0 || c.Depth > 254:
		return fmt.Errorf("matrix: ClientConfig.Depth %d outside [0, 254]", c.Depth)
	}
	return c.Limits.validate("ClientConfig.")
}

// Client multiplies matrices on leased workers. It is safe for concurrent use.
type Client struct {
	cfg    ClientConfig
	log    *slog.Logger
	task   atomic.Uint64
	speeds speeds
	calls  *calls.Group
}

// NewClient validates cfg. It does not connect until used. Coordinator is
// required; any other zero field means its value in [DefaultClientConfig].
func NewClient(cfg ClientConfig) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.TaskTimeout == 0 {
		cfg.TaskTimeout = DefaultTaskTimeout
	}
	return &Client{cfg: cfg, log: logger(cfg.Logger), speeds: speeds{peer: map[string]float64{}}, calls: calls.New()}, nil
}

// Close cancels the calls in progress and waits for them to return. A
// Client holds no connection between calls, so a client that is not in use
// needs no Close; after it, every call returns [ErrClosed]. Close is
// idempotent and returns nil.
func (c *Client) Close() error {
	c.calls.Close()
	return nil
}

// Report says how one Multiply went.
type Report struct {
	Local        bool          // computed entirely locally
	Reason       string        // why, when Local
	Lease        Lease         // the lease used, when not Local
	Split        time.Duration // padding and cutting into quadrants
	Acquire      time.Duration // waiting for the lease
	Send         time.Duration // until every operand was on the wire
	Compute      time.Duration // from then until every product was back
	Combine      time.Duration // forming C11..C22 and stripping the padding
	Redispatched int           // tries started after a worker failed or missed its deadline (on another peer or here)
	TimedOut     int           // tries that missed their deadline (each raced by a backup)
	Dropped      []string      // peers dropped from the lease: they failed, or were late and lost to their backup
	LocalRetries int           // products computed here because no peer was left to try
}

// Total is the wall time of the phases.
func (r Report) Total() time.Duration {
	return r.Split + r.Acquire + r.Send + r.Compute + r.Combine
}

// Multiply returns a·b, computed as one [Strassen] level whose seven products
// run on seven leased workers. See MultiplyReport. a and b may be any
// mat.Matrix, as for [Strassen].
func (c *Client) Multiply(ctx context.Context, a, b mat.Matrix) (*mat.Dense, error) {
	m, _, err := c.MultiplyReport(ctx, a, b)
	return m, err
}

// MultiplyReport returns a·b and a [Report]. It pads the operands to even
// dimensions, forms the seven [Strassen] operands, acquires seven peers and
// sends M1..M7 in parallel, then combines C11..C22 and strips the padding.
// When the wait for peers passes AcquireTimeout (or the coordinator cannot be
// reached) it computes locally; a product whose worker fails is re-sent to
// another leased peer, or computed locally when none is left.
//
// a and b may be any mat.Matrix: a *mat.Dense or a view of one is sent
// without a copy, any other matrix (a mat.Transpose, ...) is copied into a
// *mat.Dense first.
func (c *Client) MultiplyReport(ctx context.Context, a, b mat.Matrix) (*mat.Dense, Report, error) {
	ctx, done, err := c.calls.Enter(ctx, ErrClosed)
	if err != nil {
		return nil, Report{}, err
	}
	defer done()
	da, db, err := operands(a, b)
	if err != nil {
		return nil, Report{}, err
	}
	return c.multiply(ctx, da, db, c.cfg.Depth)
}

// multiply is MultiplyReport for a client already depth levels down.
func (c *Client) multiply(ctx context.Context, a, b *mat.Dense, depth int) (*mat.Dense, Report, error) {
	var rep Report
	if err := checkShapes(a, b); err != nil {
		return nil, rep, err
	}
	r, k := a.Dims()
	_, cc := b.Dims()
	if (min(r, k, cc)+1)/2 < c.cfg.MinDistribute {
		return c.local(a, b, &rep, fmt.Sprintf("products smaller than MinDistribute %d", c.cfg.MinDistribute))
	}
	if err := c.cfg.Limits.checkBlocks(r, k, cc); err != nil {
		// A worker with the same Limits would refuse every product.
		return c.local(a, b, &rep, fmt.Sprintf("blocks too large for the workers: %v", err))
	}
	t0 := time.Now()
	s := newSplit(a, b)
	rep.Split = time.Since(t0)

	m, err := runLevel(ctx, leaseExec{c: c, depth: depth, rep: &rep}, s)
	if err != nil {
		if errors.Is(err, errNoLease) {
			return c.local(a, b, &rep, rep.Reason)
		}
		return nil, rep, err
	}
	t0 = time.Now()
	out := s.combine(m)
	rep.Combine = time.Since(t0)
	return out, rep, nil
}

// Products implements [Executor] on the TCP grid: it leases one peer per
// product (at most ClientConfig.Peers; a peer may then compute several
// products at once), sends the products to them as
// [Client.Multiply] sends its seven, and releases the lease. When the peers
// are not granted within AcquireTimeout it computes the products here, as
// Multiply does. Each product is computed with the workers' cutoff, or with
// ClientConfig.Cutoff where it runs here.
func (c *Client) Products(ctx context.Context, ps []Product) ([]*mat.Dense, error) {
	ctx, done, err := c.calls.Enter(ctx, ErrClosed)
	if err != nil {
		return nil, err
	}
	defer done()
	if err := checkProducts(ps); err != nil {
		return nil, err
	}
	var rep Report
	m, err := leaseExec{c: c, depth: c.cfg.Depth, rep: &rep}.Products(ctx, ps)
	if errors.Is(err, errNoLease) {
		m = make([]*mat.Dense, len(ps))
		for i, p := range ps {
			m[i] = strassen(dense(p.A), dense(p.B), c.cfg.Cutoff)
		}
		return m, nil
	}
	return m, err
}

// errNoLease is what a leaseExec returns when no lease was granted (its
// Report says why): the caller computes locally.
var errNoLease = errors.New("matrix: no lease granted")

// leaseExec is the TCP grid as an [Executor]: one lease per batch of
// products, one peer per product, the phases recorded in rep.
type leaseExec struct {
	c     *Client
	depth int
	rep   *Report
}

func (x leaseExec) Products(ctx context.Context, ps []Product) ([]*mat.Dense, error) {
	c, rep := x.c, x.rep
	t0 := time.Now()
	actx, cancel := context.WithTimeout(ctx, c.cfg.AcquireTimeout)
	peers := min(len(ps), cmp.Or(c.cfg.Peers, Products))
	lease, err := c.Acquire(actx, peers)
	cancel()
	rep.Acquire = time.Since(t0)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		rep.Reason = strings.TrimPrefix(err.Error(), "matrix: ")
		if errors.Is(err, context.DeadlineExceeded) {
			rep.Reason = fmt.Sprintf("%d peers not granted within %v (context deadline exceeded)",
				peers, c.cfg.AcquireTimeout)
		}
		c.log.Info("computing locally", "reason", rep.Reason)
		return nil, errNoLease
	}
	rep.Lease = lease
	stopRenew := c.keepAlive(ctx, lease)
	defer func() {
		stopRenew()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.cfg.DialTimeout)
		defer cancel()
		if err := c.Release(rctx, lease.ID); err != nil {
			c.log.Warn("release failed; the lease will expire", "lease", lease.ID, "err", err)
		}
	}()
	return c.dispatch(ctx, ps, lease, x.depth, rep)
}

func (c *Client) local(a, b *mat.Dense, rep *Report, reason string) (*mat.Dense, Report, error) {
	t0 := time.Now()
	rep.Local, rep.Reason = true, reason
	out := strassen(a, b, c.cfg.Cutoff)
	rep.Compute = time.Since(t0)
	return out, *rep, nil
}

// keepAlive renews the lease at a third of its TTL until stopped.
func (c *Client) keepAlive(ctx context.Context, l Lease) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = every(ctx, max(l.TTL/3, 10*time.Millisecond), func() error {
			if _, err := c.Renew(ctx, l.ID, l.TTL); err != nil && ctx.Err() == nil {
				c.log.Warn("lease renewal failed", "lease", l.ID, "err", err)
			}
			return nil
		})
	}()
	return func() { cancel(); <-done }
}

// Acquire asks the coordinator for n peers and waits, in FIFO order, until
// they are granted or ctx ends. Status updates go to [ClientConfig.OnStatus].
func (c *Client) Acquire(ctx context.Context, n int) (Lease, error) {
	ctx, done, err := c.calls.Enter(ctx, ErrClosed)
	if err != nil {
		return Lease{}, err
	}
	defer done()
	conn, err := c.dial(ctx)
	if err != nil {
		return Lease{}, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if err := NewEncoder(conn).Encode(&AcquireMsg{N: n, TTL: c.cfg.LeaseTTL, Holder: c.cfg.Holder}); err != nil {
		return Lease{}, c.ctxErr(ctx, fmt.Errorf("matrix: acquire: %w", err))
	}
	dec := NewDecoder(conn, c.cfg.Limits)
	for {
		m, err := dec.Decode()
		if err != nil {
			return Lease{}, c.ctxErr(ctx, fmt.Errorf("matrix: acquire: %w", err))
		}
		switch m := m.(type) {
		case *StatusMsg:
			if c.cfg.OnStatus != nil {
				c.cfg.OnStatus(m.Status)
			}
		case *GrantMsg:
			return m.Lease, nil
		case *ErrorMsg:
			return Lease{}, fmt.Errorf("%w: coordinator: %s", ErrRemote, m.Text)
		default:
			return Lease{}, fmt.Errorf("%w: coordinator answered acquire with a %s frame", ErrMalformed, m.Type())
		}
	}
}

// Release gives the lease's peers back to the coordinator.
func (c *Client) Release(ctx context.Context, leaseID uint64) error {
	_, err := c.control(ctx, &ReleaseMsg{LeaseID: leaseID})
	return err
}

// Renew extends the lease by ttl (0: its own TTL) from now.
func (c *Client) Renew(ctx context.Context, leaseID uint64, ttl time.Duration) (Lease, error) {
	m, err := c.control(ctx, &RenewMsg{LeaseID: leaseID, TTL: ttl})
	if err != nil {
		return Lease{}, err
	}
	g, ok := m.(*GrantMsg)
	if !ok {
		return Lease{}, fmt.Errorf("%w: coordinator answered renew with a %s frame", ErrMalformed, m.Type())
	}
	return g.Lease, nil
}

// control sends one request and reads one answer.
func (c *Client) control(ctx context.Context, req Message) (Message, error) {
	ctx, done, err := c.calls.Enter(ctx, ErrClosed)
	if err != nil {
		return nil, err
	}
	defer done()
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if err := NewEncoder(conn).Encode(req); err != nil {
		return nil, c.ctxErr(ctx, fmt.Errorf("matrix: %s: %w", req.Type(), err))
	}
	m, err := NewDecoder(conn, c.cfg.Limits).Decode()
	if err != nil {
		return nil, c.ctxErr(ctx, fmt.Errorf("matrix: %s: %w", req.Type(), err))
	}
	if e, ok := m.(*ErrorMsg); ok {
		return nil, fmt.Errorf("%w: coordinator: %s", ErrRemote, e.Text)
	}
	return m, nil
}

func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: c.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", c.cfg.Coordinator)
	if err != nil {
		return nil, fmt.Errorf("matrix: coordinator %s: %w", c.cfg.Coordinator, err)
	}
	return conn, nil
}

// ctxErr reports the context's error instead of the broken connection when
// the connection was closed because ctx ended.
func (c *Client) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("matrix: %w", ctx.Err())
	}
	return err
}
