package mlcluster

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"github.com/netlab-go/netlab/internal/calls"
	"github.com/netlab-go/netlab/internal/floatwire"

	"github.com/netlab-go/netlab/internal/defaults"
)

// WorkerConfig configures a [Worker].
type WorkerConfig struct {
	// Coordinator is the coordinator's TCP address (required).
	Coordinator string
	// Name identifies the worker in the coordinator's log (default host:pid).
	Name string
	// Algorithms the worker can map (nil = DefaultRegistry()).
	Algorithms *Registry
	// MaxFrame bounds any frame the coordinator may send (default [DefaultMaxFrame]).
	MaxFrame int
	// MaxShardBytes bounds the shard data the worker holds at once
	// (default 8 GiB).
	MaxShardBytes int64
	// DialTimeout bounds connecting to the coordinator (default 5s).
	DialTimeout time.Duration
	// Logger receives operational messages; nil is silent.
	Logger *slog.Logger
}

// DefaultWorkerConfig returns defaults; [Coordinator] must still be set.
func DefaultWorkerConfig() WorkerConfig {
	host, _ := os.Hostname()
	return WorkerConfig{Name: fmt.Sprintf("%s:%d", host, os.Getpid()), MaxFrame: DefaultMaxFrame,
		MaxShardBytes: 8 << 30, DialTimeout: 5 * time.Second}
}

// Worker holds shards in memory and maps the steps the coordinator sends.
type Worker struct {
	cfg WorkerConfig
	log *slog.Logger

	mu       sync.Mutex
	shards   map[uint64]map[int]*Shard // job -> shard ID -> shard
	bytes    int64
	steps    int
	received int64

	calls *calls.Group
}

// NewWorker validates cfg.
func NewWorker(cfg WorkerConfig) (*Worker, error) {
	switch {
	case cfg.Coordinator == "":
		return nil, fmt.Errorf("mlcluster: WorkerConfig.Coordinator is empty")
	case cfg.MaxFrame < 0:
		return nil, fmt.Errorf("mlcluster: WorkerConfig.MaxFrame %d is negative", cfg.MaxFrame)
	case cfg.MaxShardBytes < 0:
		return nil, fmt.Errorf("mlcluster: WorkerConfig.MaxShardBytes %d is negative", cfg.MaxShardBytes)
	case cfg.DialTimeout < 0:
		return nil, fmt.Errorf("mlcluster: WorkerConfig.DialTimeout %v is negative", cfg.DialTimeout)
	}
	d := DefaultWorkerConfig()
	d.Algorithms = DefaultRegistry()
	cfg = defaults.Fill(cfg, d)
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{cfg: cfg, log: log, shards: map[uint64]map[int]*Shard{}, calls: calls.New()}, nil
}

// Close stops a running Run (as if its context ended) and waits for it to
// return. A worker holds nothing between runs, so one that is not running
// needs no Close; after it, Run returns [ErrClosed]. Close is idempotent
// and returns nil.
func (w *Worker) Close() error {
	w.calls.Close()
	return nil
}

// Shards returns the number of shards the worker holds now.
func (w *Worker) Shards() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for _, m := range w.shards {
		n += len(m)
	}
	return n
}

// Steps returns how many step requests the worker has answered.
func (w *Worker) Steps() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.steps
}

// ReceivedBytes returns the shard data (8 bytes per value) the worker has
// received since it started, over all jobs.
func (w *Worker) ReceivedBytes() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.received
}

// Run connects to the coordinator, registers, and serves steps until ctx
// ends or Close is called (returning nil) or the connection is lost
// (returning the error); when it returns, its connection and goroutines
// are released. After Close it returns [ErrClosed].
func (w *Worker) Run(ctx context.Context) error {
	ctx, done, err := w.calls.Enter(ctx, closedError("worker "+w.cfg.Name))
	if err != nil {
		return err
	}
	defer done()
	d := net.Dialer{Timeout: w.cfg.DialTimeout}
	conn, err := d.DialContext(ctx, "tcp", w.cfg.Coordinator)
	if err != nil {
		return fmt.Errorf("mlcluster: worker %s: %w", w.cfg.Name, err)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	defer conn.Close()
	var wmu sync.Mutex
	send := func(typ byte, payload []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return writeFrame(conn, typ, payload)
	}
	if err := send(fHello, encodeHello(roleWorker, w.cfg.Name)); err != nil {
		return fmt.Errorf("mlcluster: worker %s: hello: %w", w.cfg.Name, err)
	}
	w.log.Info("registered", "coordinator", w.cfg.Coordinator)

	var wg sync.WaitGroup
	err = w.loop(bufio.NewReaderSize(conn, 1<<16), send, &wg)
	conn.Close()
	wg.Wait()
	w.mu.Lock()
	clear(w.shards)
	w.bytes = 0
	w.mu.Unlock()
	if ctx.Err() != nil {
		return nil
	}
	return fmt.Errorf("mlcluster: worker %s: connection to the coordinator lost: %w", w.cfg.Name, err)
}

func (w *Worker) loop(br *bufio.Reader, send func(byte, []byte) error, wg *sync.WaitGroup) error {
	var scratch []byte // every frame is decoded (copied out) before the next read
	for {
		typ, n, err := readFrameHeader(br, w.cfg.MaxFrame)
		if err != nil {
			return err
		}
		if typ == fLoad { // shard data goes from the socket straight into the shard
			if err := w.loadFrom(br, n); err != nil {
				return err
			}
			continue
		}
		_, payload, err := readPayload(br, typ, n, &scratch)
		if err != nil {
			return err
		}
		switch typ {
		case fStep:
			m, err := decodeStep(payload)
			if err != nil {
				return err
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = send(fReply, w.step(m).encode())
			}()
		case fDrop:
			d := &dec{b: payload}
			job := d.u64("drop job")
			if err := d.done("drop"); err != nil {
				return err
			}
			w.drop(job)
		case fError: // the coordinator refused us (a hello of another version)
			re, err := decodeError(payload)
			if err != nil {
				return err
			}
			return re
		default:
			return fmt.Errorf("%w: coordinator sent frame type %d", ErrProtocol, typ)
		}
	}
}

// loadFrom reads a load frame of n bytes from r: the chunk header is
// checked, then the values are read into the shard's memory directly.
func (w *Worker) loadFrom(r io.Reader, n uint32) error {
	var h [shardChunkHeader]byte
	if n < shardChunkHeader {
		return fmt.Errorf("%w: shard chunk of %d bytes is shorter than its header", ErrProtocol, n)
	}
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return unexpected(err)
	}
	c, err := decodeShardChunkHeader(h[:], uint64(n-shardChunkHeader))
	if err != nil {
		return err
	}
	s, err := w.chunkPlace(c)
	if err != nil {
		return err
	}
	dst := s.Data[c.Offset*c.Cols : (c.Offset+c.N)*c.Cols] // beyond len: no step reads it yet
	if _, err := io.ReadFull(r, floatwire.Bytes(dst)); err != nil {
		return unexpected(err)
	}
	floatwire.FromWire(dst)
	w.mu.Lock()
	s.Data = s.Data[:len(s.Data)+len(dst)]
	w.received += int64(len(dst)) * 8
	w.mu.Unlock()
	return nil
}

// chunkPlace finds (or, on its first chunk, creates) the shard a chunk
// belongs to; chunks of a shard arrive in order. The shard's memory is
// allocated once, on its first chunk, after checking it against
// MaxShardBytes. The chunk's values go to s.Data[len(s.Data):][:c.N*c.Cols].
func (w *Worker) chunkPlace(c shardChunk) (*Shard, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	job := w.shards[c.Job]
	if job == nil {
		job = map[int]*Shard{}
		w.shards[c.Job] = job
	}
	s := job[c.Shard]
	if c.Offset == 0 {
		if s != nil {
			w.bytes -= int64(cap(s.Data)) * 8
			delete(job, c.Shard)
		}
		size := int64(c.Rows) * int64(c.Cols) * 8
		if w.bytes+size > w.cfg.MaxShardBytes {
			return nil, fmt.Errorf("mlcluster: worker %s: a shard of %d bytes would exceed MaxShardBytes %d", w.cfg.Name, size, w.cfg.MaxShardBytes)
		}
		s = &Shard{ID: c.Shard, Start: c.Start, Rows: c.Rows, Cols: c.Cols, Data: make([]float64, 0, c.Rows*c.Cols)}
		job[c.Shard] = s
		w.bytes += size
	}
	if s == nil || s.Cols != c.Cols || s.Rows != c.Rows || len(s.Data) != c.Offset*c.Cols {
		return nil, fmt.Errorf("%w: shard %d chunk at row %d out of order", ErrProtocol, c.Shard, c.Offset)
	}
	return s, nil
}

func (w *Worker) drop(job uint64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, s := range w.shards[job] {
		w.bytes -= int64(cap(s.Data)) * 8
	}
	delete(w.shards, job)
}

// step maps a step on each shard asked for, one goroutine per shard.
func (w *Worker) step(m stepMsg) replyMsg {
	r := replyMsg{Req: m.Req}
	algo, err := w.cfg.Algorithms.Lookup(m.Algo)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	shards := make([]*Shard, len(m.Shards))
	w.mu.Lock()
	for i, id := range m.Shards {
		s := w.shards[m.Job][id]
		if s == nil || len(s.Data) != s.Rows*s.Cols {
			w.mu.Unlock()
			r.Err = fmt.Sprintf("shard %d of job %d is not loaded", id, m.Job)
			return r
		}
		shards[i] = s
	}
	w.steps++
	w.mu.Unlock()
	parts := make([]Partial, len(shards))
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, s := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i], errs[i] = algo.Map(m.Step, s)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			r.Err = fmt.Sprintf("shard %d: %v", m.Shards[i], err)
			return r
		}
	}
	r.Shards, r.Parts = m.Shards, parts
	return r
}
