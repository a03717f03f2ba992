package mlcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// workerConn is the coordinator's side of one registered worker.
type workerConn struct {
	id   int
	name string
	conn net.Conn
	wmu  sync.Mutex // one frame at a time on the wire

	mu      sync.Mutex
	pending map[uint64]chan replyMsg
	loaded  map[[2]uint64]bool // (job, shard) shipped to this worker
	floor   time.Duration      // Config.StepTimeout: the floor of a frame's write deadline
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

// send writes one frame whose payload is the parts in order (several parts
// go out in one writev, so bulk data need not be copied into one buffer).
//
// A frame must be written within the floor plus its size at minShipRate: a
// stopped worker stops reading, the socket's buffers fill, and the write
// would otherwise block for ever.
func (w *workerConn) send(typ byte, parts ...[]byte) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	_ = w.conn.SetWriteDeadline(time.Now().Add(w.floor + time.Duration(float64(n)/minShipRate*float64(time.Second))))
	if err := writeFrameParts(w.conn, typ, parts...); err != nil {
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
		loaded: map[[2]uint64]bool{}, dead: make(chan struct{}), floor: c.cfg.StepTimeout}
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
	for _, m := range c.speeds {
		delete(m, w)
	}
	c.notifyLocked()
	c.mu.Unlock()
	c.log.Info("worker gone", "worker", name, "id", w.id, "err", err)
}

func (c *Coordinator) workerLoop(w *workerConn, br *bufio.Reader) error {
	var scratch []byte // decodeReply copies everything out of the payload
	for {
		typ, payload, err := readFrameReuse(br, c.cfg.MaxFrame, &scratch)
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
