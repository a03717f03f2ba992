package matrix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"time"

	"gonum.org/v1/gonum/mat"
)

// WorkerConfig configures a [Worker].
type WorkerConfig struct {
	Addr              string         // TCP listen address for tasks; port 0 picks one
	Advertise         string         // address registered with the coordinator; "" = the bound address
	Coordinator       string         // coordinator address; "" = standalone, not registered
	HeartbeatInterval time.Duration  // how often the worker tells the coordinator it is alive
	Cutoff            int            // gonum Mul at or below this size, local Strassen above
	DistributeAbove   int            // forward tasks whose smallest dimension is at least this; 0 = never
	MaxDepth          int            // never forward a task already at this depth
	AcquireTimeout    time.Duration  // when forwarding, wait this long for peers, then compute locally
	Limits            Limits         // bounds on frames read
	MaxConns          int            // task connections served at once; more are refused; 0 = DefaultWorkerMaxConns
	IdleTimeout       time.Duration  // a task connection that makes no progress this long is closed; 0 = DefaultWorkerIdleTimeout
	Logger            *slog.Logger   // nil = silent
	OnTask            func(TaskInfo) // called as each task arrives, before computing; nil = none

	// Threads is how many threads the kernel may use for one product: with
	// OpenBLAS, SetKernelThreads(Threads) when the worker is made (process-wide;
	// see [SetKernelThreads]). 0 leaves the process's setting; the pure-Go
	// kernel ignores it.
	Threads int
}

// TaskInfo describes a task a worker received.
type TaskInfo struct {
	ID                 uint64
	Depth              int
	Rows, Inner, Cols  int
	Worker, RemoteAddr string
}

// Defaults for a worker's task connections: how many it serves at once
// (each holds at most one task, whose size [Limits] bounds), and how long a
// connection may make no progress, reading a task or writing a result, or
// sit idle between tasks.
const (
	DefaultWorkerMaxConns    = 64
	DefaultWorkerIdleTimeout = 30 * time.Second
)

// DefaultWorkerConfig listens on 127.0.0.1 with a free port, heartbeats every
// 500 ms, and computes locally (no forwarding).
func DefaultWorkerConfig(coordinator string) WorkerConfig {
	return WorkerConfig{
		Addr:              "127.0.0.1:0",
		Coordinator:       coordinator,
		HeartbeatInterval: 500 * time.Millisecond,
		Cutoff:            DefaultCutoff,
		MaxDepth:          2,
		AcquireTimeout:    200 * time.Millisecond,
		Limits:            DefaultLimits(),
		MaxConns:          DefaultWorkerMaxConns,
		IdleTimeout:       DefaultWorkerIdleTimeout,
	}
}

func (c WorkerConfig) validate() error {
	switch {
	case c.Coordinator != "" && c.HeartbeatInterval <= 0:
		return fmt.Errorf("matrix: WorkerConfig.HeartbeatInterval %v must be positive", c.HeartbeatInterval)
	case c.Cutoff < 1:
		return fmt.Errorf("matrix: WorkerConfig.Cutoff %d must be at least 1", c.Cutoff)
	case c.DistributeAbove < 0:
		return fmt.Errorf("matrix: WorkerConfig.DistributeAbove %d must not be negative", c.DistributeAbove)
	case c.DistributeAbove > 0 && c.Coordinator == "":
		return errors.New("matrix: WorkerConfig.DistributeAbove needs WorkerConfig.Coordinator")
	case c.DistributeAbove > 0 && (c.MaxDepth < 1 || c.MaxDepth > 8):
		return fmt.Errorf("matrix: WorkerConfig.MaxDepth %d outside [1, 8]", c.MaxDepth)
	case c.DistributeAbove > 0 && c.AcquireTimeout <= 0:
		return fmt.Errorf("matrix: WorkerConfig.AcquireTimeout %v must be positive", c.AcquireTimeout)
	case c.MaxConns < 0:
		return fmt.Errorf("matrix: WorkerConfig.MaxConns %d must not be negative", c.MaxConns)
	case c.IdleTimeout < 0:
		return fmt.Errorf("matrix: WorkerConfig.IdleTimeout %v must not be negative", c.IdleTimeout)
	case c.Threads < 0:
		return fmt.Errorf("matrix: WorkerConfig.Threads %d must not be negative", c.Threads)
	}
	return c.Limits.validate("WorkerConfig.")
}

// WorkerStats counts a worker's tasks.
type WorkerStats struct {
	Tasks      int64 // tasks computed and answered (or being answered) with a result
	Forwarded  int64 // of those, distributed one level deeper
	Errors     int64 // requests answered with an error
	DeepestHop int64 // largest task depth seen
}

// Worker is a peer that multiplies the blocks it is sent.
type Worker struct {
	cfg    WorkerConfig
	log    *slog.Logger
	addr   string
	client *Client // for forwarding; nil when DistributeAbove is 0

	tasks, forwarded, errs, deepest atomic.Int64
	registered                      atomic.Bool

	conns *connSet // the task listener and the connections it accepted
}

// NewWorker validates cfg and binds the task listener. A zero field of cfg
// means its value in [DefaultWorkerConfig] (DistributeAbove 0: never
// forward; [Coordinator] "": standalone).
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	conns, err := listen("worker", cfg.Addr, cfg.MaxConns)
	if err != nil {
		return nil, err
	}
	w := &Worker{cfg: cfg, conns: conns, log: logger(cfg.Logger), addr: conns.Addr().String()}
	SetKernelThreads(cfg.Threads) // 0: unchanged
	if cfg.Advertise != "" {
		w.addr = cfg.Advertise
	}
	if cfg.DistributeAbove > 0 {
		cc := DefaultClientConfig(cfg.Coordinator)
		cc.Holder = "worker " + w.addr
		cc.Cutoff = cfg.Cutoff
		cc.MinDistribute = 2
		cc.AcquireTimeout = cfg.AcquireTimeout
		cc.Limits = cfg.Limits
		cc.Logger = cfg.Logger
		if w.client, err = NewClient(cc); err != nil {
			_ = conns.Close()
			return nil, err
		}
	}
	return w, nil
}

// Addr is the address the worker advertises (by default, where it listens).
func (w *Worker) Addr() string { return w.addr }

// Registered reports whether the worker is in the coordinator's table now.
func (w *Worker) Registered() bool { return w.registered.Load() }

// Stats returns the worker's counters.
func (w *Worker) Stats() WorkerStats {
	return WorkerStats{Tasks: w.tasks.Load(), Forwarded: w.forwarded.Load(), Errors: w.errs.Load(), DeepestHop: w.deepest.Load()}
}

// Run serves tasks and, when a coordinator is configured, keeps the worker
// registered there until ctx ends or Close is called; then it closes every
// connection and returns once all its goroutines have finished. Run may be
// called once; called again, or after Close, it returns an error at once.
func (w *Worker) Run(ctx context.Context) error {
	var register func(context.Context)
	if w.cfg.Coordinator != "" {
		register = w.registerLoop
	}
	return w.conns.run(ctx, "worker", w.serve, register)
}

// Close closes the task listener and every task connection. Before Run it
// releases the port; during Run it makes [Worker.Run] wind down (leaving
// the coordinator's table) and return nil, and waits for that. A later Run
// returns an error matching [ErrClosed] (and net.ErrClosed). Close may be
// called any number of times; only the first can return an error, from
// closing the listener.
func (w *Worker) Close() error {
	err := w.conns.CloseAndWait()
	if w.client != nil {
		_ = w.client.Close()
	}
	return err
}

// serve answers the tasks of one connection. A bad frame gets an error frame;
// the connection stays open when the decoder is still at a frame boundary.
func (w *Worker) serve(ctx context.Context, c net.Conn) {
	conn := idleConn{c, w.cfg.IdleTimeout}
	dec := NewDecoder(conn, w.cfg.Limits)
	enc := NewEncoder(conn)
	for {
		m, err := dec.Decode()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, os.ErrDeadlineExceeded) || ctx.Err() != nil {
				return
			}
			w.errs.Add(1)
			w.log.Warn("bad task", "remote", conn.RemoteAddr().String(), "err", err)
			if enc.Encode(&ErrorMsg{Text: err.Error()}) != nil || !dec.InSync() {
				return
			}
			continue
		}
		t, ok := m.(*TaskMsg)
		if !ok {
			w.errs.Add(1)
			_ = enc.Encode(&ErrorMsg{Text: fmt.Sprintf("matrix: worker accepts task frames, not %s", m.Type())})
			continue
		}
		if w.cfg.OnTask != nil {
			r, k := t.A.Dims()
			_, c := t.B.Dims()
			w.cfg.OnTask(TaskInfo{ID: t.ID, Depth: t.Depth, Rows: r, Inner: k, Cols: c, Worker: w.addr, RemoteAddr: conn.RemoteAddr().String()})
		}
		for d := int64(t.Depth); ; {
			cur := w.deepest.Load()
			if d <= cur || w.deepest.CompareAndSwap(cur, d) {
				break
			}
		}
		prod := w.compute(ctx, t)
		if ctx.Err() != nil {
			return
		}
		w.tasks.Add(1)
		if err := enc.Encode(&ResultMsg{ID: t.ID, C: prod}); err != nil {
			return
		}
	}
}

// compute multiplies a task's blocks: one level deeper on the cluster when
// allowed, otherwise with local Strassen above the cutoff and gonum's Mul
// below it.
func (w *Worker) compute(ctx context.Context, t *TaskMsg) *mat.Dense {
	r, k := t.A.Dims()
	_, c := t.B.Dims()
	small := min(r, k, c)
	if w.client != nil && t.Depth < w.cfg.MaxDepth && small >= w.cfg.DistributeAbove {
		prod, rep, err := w.client.multiply(ctx, t.A, t.B, t.Depth)
		if err == nil {
			if !rep.Local {
				w.forwarded.Add(1)
			}
			return prod
		}
		w.log.Warn("forwarding failed; computing locally", "err", err)
	}
	return strassen(t.A, t.B, w.cfg.Cutoff)
}

// registerLoop keeps the worker registered, reconnecting with backoff.
func (w *Worker) registerLoop(ctx context.Context) {
	backoff := 50 * time.Millisecond
	for ctx.Err() == nil {
		err := w.session(ctx)
		if w.registered.Swap(false) {
			backoff = 50 * time.Millisecond // it worked for a while: retry promptly
		}
		if ctx.Err() != nil {
			return
		}
		w.log.Warn("coordinator session ended", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
	}
}

// session registers and heartbeats until the connection fails or ctx ends.
func (w *Worker) session(ctx context.Context) error {
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", w.cfg.Coordinator)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	enc, dec := NewEncoder(conn), NewDecoder(conn, w.cfg.Limits)
	call := func(m Message) error {
		_ = conn.SetDeadline(time.Now().Add(4 * w.cfg.HeartbeatInterval))
		if err := enc.Encode(m); err != nil {
			return err
		}
		ans, err := dec.Decode()
		if err != nil {
			return err
		}
		if e, ok := ans.(*ErrorMsg); ok {
			return fmt.Errorf("%w: coordinator: %s", ErrRemote, e.Text)
		}
		return nil
	}
	if err := call(&RegisterMsg{Addr: w.addr}); err != nil {
		return fmt.Errorf("matrix: register with %s: %w", w.cfg.Coordinator, err)
	}
	w.registered.Store(true)
	w.log.Info("registered", "coordinator", w.cfg.Coordinator, "addr", w.addr)
	return every(ctx, w.cfg.HeartbeatInterval, func() error {
		if err := call(&HeartbeatMsg{}); err != nil {
			return fmt.Errorf("matrix: heartbeat to %s: %w", w.cfg.Coordinator, err)
		}
		return nil
	})
}
