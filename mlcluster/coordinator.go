package mlcluster

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netlab-go/netlab/internal/connset"
	"github.com/netlab-go/netlab/internal/defaults"
)

// Config configures a [Coordinator].
type Config struct {
	// Addr is the TCP address to listen on (default "127.0.0.1:0").
	Addr string
	// Algorithms the coordinator offers (nil = DefaultRegistry()). Workers
	// must know them too.
	Algorithms *Registry
	// LocalFallback runs a job in the coordinator's own process when no
	// worker is connected, instead of failing with [ErrNoWorkers].
	LocalFallback bool
	// ShardsPerWorker is how many shards each connected worker gets at the
	// start of a job (default 1).
	ShardsPerWorker int
	// MaxFrame bounds any frame a peer may send (default [DefaultMaxFrame]).
	MaxFrame int
	// ChunkBytes is the size of the chunks a shard is shipped in (default 4 MiB).
	ChunkBytes int
	// MaxDatasetBytes bounds the size of one job's dataset as float64
	// (8 bytes per value; default 4 GiB).
	MaxDatasetBytes int64
	// StepTimeout is the floor of a step's deadline (default
	// [DefaultStepTimeout]). Each step a worker is asked for must be answered
	// within StepTimeout plus eight times what its size takes at the speed
	// measured on earlier answers (see the package documentation); a worker
	// that misses it is lost, its connection closed and its shards given to
	// other workers. TCP keepalive detects hosts that vanish; this also
	// catches stopped and hung ones.
	StepTimeout time.Duration
	// MaxConns bounds the connections served at once, workers' and
	// clients' (default [DefaultMaxConns]); more are closed at once.
	MaxConns int
	// HelloTimeout bounds how long a new connection may take to say who it
	// is (default 10s).
	HelloTimeout time.Duration
	// UploadTimeout bounds how long a client's upload may make no progress
	// (no byte arrives) before the job is refused (default 30s): a client
	// that stops sending mid-dataset does not hold the connection for ever.
	UploadTimeout time.Duration
	// Logger receives operational messages; nil is silent.
	Logger *slog.Logger
}

// Defaults for [Config].
const (
	// DefaultStepTimeout is the floor of a step's deadline: what a small
	// step may take, network included.
	DefaultStepTimeout = 2 * time.Second
	// DefaultMaxConns is how many connections a coordinator serves at once.
	DefaultMaxConns = 1024
)

// DefaultConfig returns a configuration that listens on a free loopback port.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:0", ShardsPerWorker: 1, MaxFrame: DefaultMaxFrame,
		ChunkBytes: 4 << 20, MaxDatasetBytes: 4 << 30, HelloTimeout: 10 * time.Second, UploadTimeout: 30 * time.Second,
		StepTimeout: DefaultStepTimeout, MaxConns: DefaultMaxConns}
}

func (c *Config) validate() error {
	switch {
	case c.ShardsPerWorker < 0 || c.ShardsPerWorker > 1024:
		return fmt.Errorf("mlcluster: Config.ShardsPerWorker %d out of range [1, 1024]", c.ShardsPerWorker)
	case c.MaxFrame < 0:
		return fmt.Errorf("mlcluster: Config.MaxFrame %d is negative", c.MaxFrame)
	case c.ChunkBytes < 0:
		return fmt.Errorf("mlcluster: Config.ChunkBytes %d is negative", c.ChunkBytes)
	case c.MaxDatasetBytes < 0:
		return fmt.Errorf("mlcluster: Config.MaxDatasetBytes %d is negative", c.MaxDatasetBytes)
	case c.StepTimeout < 0:
		return fmt.Errorf("mlcluster: Config.StepTimeout %v is negative", c.StepTimeout)
	case c.HelloTimeout < 0:
		return fmt.Errorf("mlcluster: Config.HelloTimeout %v is negative", c.HelloTimeout)
	case c.UploadTimeout < 0:
		return fmt.Errorf("mlcluster: Config.UploadTimeout %v is negative", c.UploadTimeout)
	case c.MaxConns < 0:
		return fmt.Errorf("mlcluster: Config.MaxConns %d is negative", c.MaxConns)
	}
	d := DefaultConfig()
	d.Algorithms = DefaultRegistry()
	*c = defaults.Fill(*c, d)
	if c.ChunkBytes > c.MaxFrame-shardChunkHeader {
		return fmt.Errorf("mlcluster: Config.ChunkBytes %d does not fit in Config.MaxFrame %d", c.ChunkBytes, c.MaxFrame)
	}
	return nil
}

// Coordinator is the cluster's TCP server: workers connect and register,
// clients connect and submit jobs, and the coordinator shards each job's
// data over the workers and drives the algorithm's map/merge steps.
type Coordinator struct {
	cfg   Config
	log   *slog.Logger
	conns *connset.Set // the listener, the connections it accepted, Run's gate

	mu      sync.Mutex
	workers []*workerConn // in registration order
	nextID  int
	jobs    int
	nextJob uint64
	changed chan struct{}                      // closed and replaced whenever workers or jobs change
	speeds  map[string]map[*workerConn]float64 // algorithm/step kind -> worker -> measured work per second
}

// New validates cfg and binds the listening socket.
func New(cfg Config) (*Coordinator, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mlcluster: listen on %s: %w", cfg.Addr, err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Coordinator{cfg: cfg, log: log, conns: connset.New(ln, cfg.MaxConns), changed: make(chan struct{}),
		speeds: map[string]map[*workerConn]float64{}}, nil
}

// Addr is the address workers and clients connect to.
func (c *Coordinator) Addr() string { return c.conns.Addr().String() }

// Workers returns the number of registered workers.
func (c *Coordinator) Workers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.workers)
}

// Jobs returns the number of jobs running now.
func (c *Coordinator) Jobs() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.jobs
}

// Run accepts connections until ctx ends or Close is called, then closes
// every connection, cancels the clients' jobs still running and waits for
// every goroutine it started. Run may be called once; called again, or
// after Close, it returns an error at once.
func (c *Coordinator) Run(ctx context.Context) error {
	if err := c.conns.Begin(closedError("coordinator"), "mlcluster: Coordinator.Run"); err != nil {
		return err
	}
	defer c.conns.End()
	err := c.conns.ServeUntil(ctx, c.handle, func(conn net.Conn) {
		c.log.Warn("connection refused: too many connections", "remote", conn.RemoteAddr(), "max", c.cfg.MaxConns)
	})
	if err != nil {
		return fmt.Errorf("mlcluster: accept: %w", err)
	}
	return nil
}

// Close closes the listener and every connection. Before Run it releases
// the port; during Run it makes [Coordinator.Run] wind down (clients' jobs
// are cancelled, workers are disconnected) and return nil, and waits for
// that. A later Run returns an error matching [ErrClosed] (and
// net.ErrClosed). Close may be called any number of times; only the first
// can return an error, from closing the listener.
func (c *Coordinator) Close() error { return c.conns.CloseAndWait() }

// notify wakes whoever waits for a change of workers or jobs.
func (c *Coordinator) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *Coordinator) handle(ctx context.Context, nc net.Conn) {
	conn := &idleConn{Conn: nc}
	br := bufio.NewReaderSize(conn, 1<<16)
	conn.SetReadDeadline(time.Now().Add(c.cfg.HelloTimeout))
	typ, payload, err := readFrame(br, 1<<10)
	if err != nil || typ != fHello {
		c.log.Debug("connection without hello", "remote", conn.RemoteAddr(), "err", err)
		return
	}
	role, name, err := decodeHello(payload)
	if err != nil {
		c.log.Debug("bad hello", "remote", conn.RemoteAddr(), "err", err)
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		_ = writeFrame(conn, fError, encodeError(err)) // say why, then hang up
		return
	}
	switch role {
	case roleWorker:
		conn.SetReadDeadline(time.Time{})
		c.serveWorker(conn, br, name)
	case roleClient:
		c.serveClient(ctx, conn, br)
	}
}

// idleConn moves its read deadline before every Read while idle is set:
// a peer must keep sending, however much it announced.
type idleConn struct {
	net.Conn
	idle atomic.Int64 // a time.Duration; 0: the deadline is left alone
}

func (c *idleConn) Read(b []byte) (int, error) {
	if d := time.Duration(c.idle.Load()); d > 0 {
		_ = c.Conn.SetReadDeadline(time.Now().Add(d))
	}
	return c.Conn.Read(b)
}

// liveWorkers returns the registered workers in registration order.
func (c *Coordinator) liveWorkers() []*workerConn {
	c.mu.Lock()
	defer c.mu.Unlock()
	var live []*workerConn
	for _, w := range c.workers {
		if w.alive() {
			live = append(live, w)
		}
	}
	return live
}

// WaitWorkers blocks until at least n workers are registered or ctx ends.
func (c *Coordinator) WaitWorkers(ctx context.Context, n int) error {
	for {
		c.mu.Lock()
		have, ch := len(c.workers), c.changed
		c.mu.Unlock()
		if have >= n {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("mlcluster: waiting for %d workers (have %d): %w", n, have, ctx.Err())
		}
	}
}

// RunJob runs a job on the connected workers (or locally when none is
// connected and [Config.LocalFallback] is set). Clients reach it through
// [Client.Submit]; it is exported for programs that hold the data themselves.
func (c *Coordinator) RunJob(ctx context.Context, ds *Dataset, algo string, params Params, progress func(Progress)) (*Result, error) {
	a, plan, err := startJob(c.cfg.Algorithms, ds, algo, params)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.jobs++
	c.nextJob++
	job := c.nextJob
	c.notifyLocked()
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.jobs--
		c.notifyLocked()
		c.mu.Unlock()
	}()

	live := c.liveWorkers()
	var ex Executor
	var shards []*Shard
	if len(live) == 0 {
		if !c.cfg.LocalFallback {
			return nil, fmt.Errorf("%w: start one with `mlcluster worker -coordinator %s`, or enable Config.LocalFallback", ErrNoWorkers, c.Addr())
		}
		c.log.Info("no workers; running the job locally", "job", job, "algo", algo)
		shards = Split(ds, c.cfg.ShardsPerWorker)
		ex = localExec{}
	} else {
		shards = Split(ds, len(live)*c.cfg.ShardsPerWorker)
		rex := &remoteExec{c: c, job: job, shards: shards}
		defer rex.drop()
		ex = rex
	}
	c.log.Info("job started", "job", job, "algo", algo, "rows", ds.Rows, "cols", ds.Cols, "workers", len(live))
	res, err := runPlan(ctx, a, plan, ex, shards, progress)
	c.log.Info("job finished", "job", job, "err", err)
	return finishResult(res, ds, len(shards), len(live)), err
}
