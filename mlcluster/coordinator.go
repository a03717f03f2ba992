package mlcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"sync"
	"time"
)

// Config configures a Coordinator.
type Config struct {
	// Addr is the TCP address to listen on (default "127.0.0.1:0").
	Addr string
	// Algorithms the coordinator offers (nil = DefaultRegistry()). Workers
	// must know them too.
	Algorithms *Registry
	// LocalFallback runs a job in the coordinator's own process when no
	// worker is connected, instead of failing with ErrNoWorkers.
	LocalFallback bool
	// ShardsPerWorker is how many shards each connected worker gets at the
	// start of a job (default 1).
	ShardsPerWorker int
	// MaxFrame bounds any frame a peer may send (default DefaultMaxFrame).
	MaxFrame int
	// ChunkBytes is the size of the chunks a shard is shipped in (default 4 MiB).
	ChunkBytes int
	// MaxDatasetBytes bounds the size of one job's dataset as float64
	// (8 bytes per value; default 4 GiB).
	MaxDatasetBytes int64
	// StepTimeout, when positive, treats a worker that has not answered a
	// step within it as lost: its shards go to other workers. TCP keepalive
	// already detects hosts that vanish; this also catches hung ones.
	StepTimeout time.Duration
	// HelloTimeout bounds how long a new connection may take to say who it
	// is (default 10s).
	HelloTimeout time.Duration
	// Logger receives operational messages; nil is silent.
	Logger *slog.Logger
}

// DefaultConfig returns a configuration that listens on a free loopback port.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:0", ShardsPerWorker: 1, MaxFrame: DefaultMaxFrame,
		ChunkBytes: 4 << 20, MaxDatasetBytes: 4 << 30, HelloTimeout: 10 * time.Second}
}

func (c *Config) validate() error {
	d := DefaultConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.Algorithms == nil {
		c.Algorithms = DefaultRegistry()
	}
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
	}
	if c.ShardsPerWorker == 0 {
		c.ShardsPerWorker = d.ShardsPerWorker
	}
	if c.MaxFrame == 0 {
		c.MaxFrame = d.MaxFrame
	}
	if c.ChunkBytes == 0 {
		c.ChunkBytes = d.ChunkBytes
	}
	if c.HelloTimeout == 0 {
		c.HelloTimeout = d.HelloTimeout
	}
	if c.MaxDatasetBytes == 0 {
		c.MaxDatasetBytes = d.MaxDatasetBytes
	}
	if c.ChunkBytes > c.MaxFrame-shardChunkHeader {
		return fmt.Errorf("mlcluster: Config.ChunkBytes %d does not fit in Config.MaxFrame %d", c.ChunkBytes, c.MaxFrame)
	}
	return nil
}

// Coordinator is the cluster's TCP server: workers connect and register,
// clients connect and submit jobs, and the coordinator shards each job's
// data over the workers and drives the algorithm's map/merge steps.
type Coordinator struct {
	cfg Config
	log *slog.Logger
	ln  net.Listener

	mu      sync.Mutex
	workers []*workerConn // in registration order
	nextID  int
	conns   map[net.Conn]struct{}
	jobs    int
	nextJob uint64
	changed chan struct{} // closed and replaced whenever workers or jobs change
	wg      sync.WaitGroup
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
	return &Coordinator{cfg: cfg, log: log, ln: ln, conns: map[net.Conn]struct{}{}, changed: make(chan struct{})}, nil
}

// Addr is the address workers and clients connect to.
func (c *Coordinator) Addr() string { return c.ln.Addr().String() }

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

// Run accepts connections until ctx ends, then closes every connection and
// waits for every goroutine it started.
func (c *Coordinator) Run(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { c.ln.Close() })
	defer stop()
	var err error
	for {
		conn, aerr := c.ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("mlcluster: accept: %w", aerr)
			}
			break
		}
		c.mu.Lock()
		c.conns[conn] = struct{}{}
		c.mu.Unlock()
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			defer c.forget(conn)
			c.handle(ctx, conn)
		}()
	}
	c.ln.Close()
	c.mu.Lock()
	for conn := range c.conns {
		conn.Close()
	}
	c.mu.Unlock()
	c.wg.Wait()
	return err
}

func (c *Coordinator) forget(conn net.Conn) {
	conn.Close()
	c.mu.Lock()
	delete(c.conns, conn)
	c.mu.Unlock()
}

// notify wakes whoever waits for a change of workers or jobs.
func (c *Coordinator) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *Coordinator) handle(ctx context.Context, conn net.Conn) {
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

// workerConn is the coordinator's side of one registered worker.
type workerConn struct {
	id   int
	name string
	conn net.Conn
	wmu  sync.Mutex // one frame at a time on the wire

	mu      sync.Mutex
	pending map[uint64]chan replyMsg
	loaded  map[[2]uint64]bool // (job, shard) shipped to this worker
	nextReq uint64
	dead    chan struct{} // closed when the connection is gone
}

func (w *workerConn) alive() bool {
	select {
	case <-w.dead:
		return false
	default:
		return true
	}
}

func (w *workerConn) send(typ byte, payload []byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if err := writeFrame(w.conn, typ, payload); err != nil {
		w.conn.Close() // the read loop sees it and marks the worker dead
		return errWorkerLost
	}
	return nil
}

var errWorkerLost = errors.New("mlcluster: worker lost")

// call sends a step and waits for the reply, the worker's death or ctx.
func (w *workerConn) call(ctx context.Context, m stepMsg, timeout time.Duration) (replyMsg, error) {
	ch := make(chan replyMsg, 1)
	w.mu.Lock()
	w.nextReq++
	m.Req = w.nextReq
	w.pending[m.Req] = ch
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		delete(w.pending, m.Req)
		w.mu.Unlock()
	}()
	if err := w.send(fStep, m.encode()); err != nil {
		return replyMsg{}, err
	}
	var expired <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(timeout)
		defer t.Stop()
		expired = t.C
	}
	select {
	case r := <-ch:
		return r, nil
	case <-w.dead:
		return replyMsg{}, errWorkerLost
	case <-expired:
		w.conn.Close() // a hung worker is a lost worker
		return replyMsg{}, errWorkerLost
	case <-ctx.Done():
		return replyMsg{}, ctx.Err()
	}
}

func (c *Coordinator) serveWorker(conn net.Conn, br *bufio.Reader, name string) {
	w := &workerConn{name: name, conn: conn, pending: map[uint64]chan replyMsg{},
		loaded: map[[2]uint64]bool{}, dead: make(chan struct{})}
	c.mu.Lock()
	c.nextID++
	w.id = c.nextID
	c.workers = append(c.workers, w)
	c.notifyLocked()
	c.mu.Unlock()
	c.log.Info("worker registered", "worker", name, "id", w.id, "remote", conn.RemoteAddr())

	err := c.workerLoop(w, br)

	conn.Close()
	close(w.dead)
	c.mu.Lock()
	for i, x := range c.workers {
		if x == w {
			c.workers = append(c.workers[:i], c.workers[i+1:]...)
			break
		}
	}
	c.notifyLocked()
	c.mu.Unlock()
	c.log.Info("worker gone", "worker", name, "id", w.id, "err", err)
}

func (c *Coordinator) workerLoop(w *workerConn, br *bufio.Reader) error {
	for {
		typ, payload, err := readFrame(br, c.cfg.MaxFrame)
		if err != nil {
			return err
		}
		if typ != fReply {
			return fmt.Errorf("%w: worker sent frame type %d", ErrProtocol, typ)
		}
		r, err := decodeReply(payload)
		if err != nil {
			return err
		}
		w.mu.Lock()
		ch := w.pending[r.Req]
		w.mu.Unlock()
		if ch != nil {
			ch <- r // buffered; one reply per request
		}
	}
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
// connected and Config.LocalFallback is set). Clients reach it through
// Client.Submit; it is exported for programs that hold the data themselves.
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
	var ex executor
	if len(live) == 0 {
		if !c.cfg.LocalFallback {
			return nil, fmt.Errorf("%w: start one with `mlcluster worker -coordinator %s`, or enable Config.LocalFallback", ErrNoWorkers, c.Addr())
		}
		c.log.Info("no workers; running the job locally", "job", job, "algo", algo)
		ex = localExec{shards: Split(ds, c.cfg.ShardsPerWorker)}
	} else {
		rex := &remoteExec{c: c, job: job, shards: Split(ds, len(live)*c.cfg.ShardsPerWorker)}
		defer rex.drop()
		ex = rex
	}
	c.log.Info("job started", "job", job, "algo", algo, "rows", ds.Rows, "cols", ds.Cols, "workers", len(live))
	res, err := runPlan(ctx, a, plan, ex, progress)
	c.log.Info("job finished", "job", job, "err", err)
	return finishResult(res, ds), err
}

// remoteExec maps steps on workers. It keeps every shard, so a shard whose
// worker dies is shipped to another worker and its part of the step redone.
type remoteExec struct {
	c      *Coordinator
	job    uint64
	shards []*Shard
	owner  []*workerConn
	used   []*workerConn
}

// maxRetries bounds how often one step is reassigned after worker failures.
const maxRetries = 64

func (r *remoteExec) run(ctx context.Context, algo Algorithm, step Step) ([]Partial, error) {
	if r.owner == nil {
		r.owner = make([]*workerConn, len(r.shards))
	}
	parts := make([]Partial, len(r.shards))
	done := make([]bool, len(r.shards))
	for attempt := 0; ; attempt++ {
		groups, err := r.assign(done)
		if err != nil {
			return nil, err
		}
		if len(groups) == 0 {
			return parts, nil
		}
		if attempt == maxRetries {
			return nil, fmt.Errorf("mlcluster: step %s failed %d times as workers were lost", step.Kind, maxRetries)
		}
		type answer struct {
			w     *workerConn
			reply replyMsg
			err   error
		}
		answers := make(chan answer, len(groups))
		for w, ids := range groups {
			go func() {
				reply, err := r.callWorker(ctx, w, algo.Name(), step, ids)
				answers <- answer{w, reply, err}
			}()
		}
		var firstErr error
		for range groups {
			a := <-answers
			switch {
			case a.err != nil && (errors.Is(a.err, errWorkerLost) || !a.w.alive()):
				r.c.log.Info("worker lost mid-step; reassigning its shards", "job", r.job, "worker", a.w.name, "step", step.Kind)
				<-a.w.dead // its connection is closed; the read loop ends at once
			case a.err != nil:
				firstErr = firstOf(firstErr, a.err)
			case a.reply.Err != "":
				firstErr = firstOf(firstErr, fmt.Errorf("mlcluster: worker %s: %s", a.w.name, a.reply.Err))
			default:
				for i, id := range a.reply.Shards {
					if id < 0 || id >= len(parts) || r.owner[id] != a.w {
						firstErr = firstOf(firstErr, fmt.Errorf("%w: worker %s answered for shard %d", ErrProtocol, a.w.name, id))
						continue
					}
					parts[id], done[id] = a.reply.Parts[i], true
				}
			}
		}
		if firstErr != nil {
			return nil, firstErr
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// firstOf keeps the first error of several.
func firstOf(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// assign gives every unfinished shard a live owner (keeping the current one
// while it lives) and groups the shards by owner.
func (r *remoteExec) assign(done []bool) (map[*workerConn][]int, error) {
	var live []*workerConn
	groups := map[*workerConn][]int{}
	for id := range r.shards {
		if done[id] {
			continue
		}
		if w := r.owner[id]; w == nil || !w.alive() {
			if live == nil {
				live = r.c.liveWorkers()
				if len(live) == 0 {
					return nil, fmt.Errorf("%w: every worker was lost during the job", ErrNoWorkers)
				}
			}
			r.owner[id] = live[id%len(live)]
		}
		groups[r.owner[id]] = append(groups[r.owner[id]], id)
	}
	return groups, nil
}

// callWorker ships any shard the worker does not hold yet, then asks it for
// the step.
func (r *remoteExec) callWorker(ctx context.Context, w *workerConn, algo string, step Step, ids []int) (replyMsg, error) {
	for _, id := range ids {
		if err := r.ship(ctx, w, r.shards[id]); err != nil {
			return replyMsg{}, err
		}
	}
	reply, err := w.call(ctx, stepMsg{Job: r.job, Algo: algo, Step: step, Shards: ids}, r.c.cfg.StepTimeout)
	if err == nil && reply.Err == "" && len(reply.Shards) != len(ids) {
		err = fmt.Errorf("%w: worker %s answered %d of %d shards", ErrProtocol, w.name, len(reply.Shards), len(ids))
	}
	return reply, err
}

// ship sends a shard to a worker once, in chunks.
func (r *remoteExec) ship(ctx context.Context, w *workerConn, s *Shard) error {
	key := [2]uint64{r.job, uint64(s.ID)}
	w.mu.Lock()
	have := w.loaded[key]
	w.loaded[key] = true
	w.mu.Unlock()
	if have {
		return nil
	}
	r.c.mu.Lock()
	r.used = append(r.used, w)
	r.c.mu.Unlock()
	per := max(1, r.c.cfg.ChunkBytes/(8*s.Cols))
	buf := make([]byte, 0, shardChunkHeader+min(per, s.Rows)*s.Cols*8)
	for off := 0; off < s.Rows; off += per {
		if err := ctx.Err(); err != nil {
			return err
		}
		buf = appendShardChunk(buf[:0], r.job, s, off, min(per, s.Rows-off))
		if err := w.send(fLoad, buf); err != nil {
			return err
		}
	}
	return nil
}

// drop tells every worker that holds shards of the job to forget them.
func (r *remoteExec) drop() {
	r.c.mu.Lock()
	used := r.used
	r.c.mu.Unlock()
	var e enc
	e.u64(r.job)
	seen := map[*workerConn]bool{}
	for _, w := range used {
		if seen[w] || !w.alive() {
			continue
		}
		seen[w] = true
		w.mu.Lock()
		for key := range w.loaded {
			if key[0] == r.job {
				delete(w.loaded, key)
			}
		}
		w.mu.Unlock()
		_ = w.send(fDrop, e)
	}
}

// serveClient receives one job from a client, runs it, and streams progress
// and the result back. If the client goes away, the job is cancelled.
func (c *Coordinator) serveClient(ctx context.Context, conn net.Conn, br *bufio.Reader) {
	var wmu sync.Mutex
	send := func(typ byte, payload []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return writeFrame(conn, typ, payload)
	}
	fail := func(err error) {
		_ = send(fError, encodeError(err))
		drainUpload(conn, br, c.cfg.MaxFrame)
	}
	typ, payload, err := readFrame(br, c.cfg.MaxFrame) // still under the hello deadline
	if err != nil || typ != fSubmit {
		return
	}
	conn.SetReadDeadline(time.Time{})
	sub, err := decodeSubmit(payload)
	if err != nil {
		fail(err)
		return
	}
	if _, err := c.cfg.Algorithms.Lookup(sub.Algo); err != nil {
		fail(err)
		return
	}
	mode, err := ParseHeaderMode(sub.Params["header"])
	if err != nil {
		fail(err)
		return
	}
	ds, err := receiveDataset(br, c.cfg.MaxFrame, ParseOptions{Name: sub.Name, Header: mode,
		MaxValues: int(min(c.cfg.MaxDatasetBytes/8, int64(math.MaxInt)))})
	if err != nil {
		fail(err)
		return
	}

	jobCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	watch := make(chan struct{})
	go func() { // the client says nothing more; any read result means it left
		defer close(watch)
		_, _, _ = readFrame(br, 1)
		cancel()
	}()
	res, err := c.RunJob(jobCtx, ds, sub.Algo, sub.Params, func(p Progress) {
		_ = send(fProgress, encodeProgress(p))
	})
	if err != nil {
		if jobCtx.Err() != nil && ctx.Err() == nil {
			c.log.Info("client left; job cancelled", "remote", conn.RemoteAddr())
		}
		_ = send(fError, encodeError(err))
	} else {
		_ = send(fResult, encodeResult(res))
	}
	conn.Close()
	<-watch
}

// drainUpload reads and discards what the client still uploads (so it can
// read our error frame instead of a reset), for at most a few seconds.
func drainUpload(conn net.Conn, br *bufio.Reader, maxFrame int) {
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		typ, _, err := readFrame(br, maxFrame)
		if err != nil || typ == fEnd {
			return
		}
	}
}

// receiveDataset reads the dataset frames of a job: text (parsed as it
// arrives, never held whole) or rows already in binary.
func receiveDataset(br *bufio.Reader, maxFrame int, opt ParseOptions) (*Dataset, error) {
	typ, payload, err := readFrame(br, maxFrame)
	if err != nil {
		return nil, err
	}
	switch typ {
	case fRows, fEnd:
		ds := &Dataset{Name: opt.Name}
		var blocks [][]float64 // joined once at the end
		total := 0
		for typ == fRows {
			cols, vals, err := decodeRows(payload)
			if err != nil {
				return nil, err
			}
			if ds.Cols != 0 && cols != ds.Cols {
				return nil, fmt.Errorf("%w: rows of %d columns after rows of %d", ErrBadInput, cols, ds.Cols)
			}
			ds.Cols = cols
			if total += len(vals); opt.MaxValues > 0 && total > opt.MaxValues {
				return nil, fmt.Errorf("%w: the dataset has more than %d values, the limit", ErrBadInput, opt.MaxValues)
			}
			blocks = append(blocks, vals)
			if typ, payload, err = readFrame(br, maxFrame); err != nil {
				return nil, err
			}
		}
		if len(blocks) == 1 {
			ds.Data = blocks[0]
		} else {
			ds.Data = make([]float64, 0, total)
			for _, b := range blocks {
				ds.Data = append(ds.Data, b...)
			}
		}
		if ds.Cols > 0 {
			ds.Rows = len(ds.Data) / ds.Cols
		}
		if typ != fEnd {
			return nil, fmt.Errorf("%w: frame type %d in a row upload", ErrProtocol, typ)
		}
		if ds.Rows == 0 {
			return nil, &ParseError{File: ds.Name, Line: 1, Column: 1, Msg: "no data rows (empty file)"}
		}
		return ds, nil
	case fText:
		tr := &textReader{br: br, max: maxFrame, buf: payload}
		ds, err := Parse(tr, opt)
		if err == nil && !tr.end { // a parse that stopped early must still see the end
			_, err = io.Copy(io.Discard, tr)
		}
		return ds, err
	}
	return nil, fmt.Errorf("%w: frame type %d where the dataset should start", ErrProtocol, typ)
}

// textReader presents a run of text frames ending in an end frame as one
// stream.
type textReader struct {
	br  *bufio.Reader
	max int
	buf []byte
	end bool
}

func (t *textReader) Read(p []byte) (int, error) {
	for len(t.buf) == 0 {
		if t.end {
			return 0, io.EOF
		}
		typ, payload, err := readFrame(t.br, t.max)
		if err != nil {
			return 0, unexpected(err)
		}
		switch typ {
		case fText:
			t.buf = payload
		case fEnd:
			t.end = true
		default:
			return 0, fmt.Errorf("%w: frame type %d in a text upload", ErrProtocol, typ)
		}
	}
	n := copy(p, t.buf)
	t.buf = t.buf[n:]
	return n, nil
}
