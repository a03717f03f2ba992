package chat

import (
	"io"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// client is one connection. Its own goroutine (serve) reads and handles its
// lines; what the server says to it waits in its queue until one of the
// server's few writers (see [Server]) writes it out.
type client struct {
	s    *Server
	conn net.Conn
	raw  syscall.RawConn // for non-blocking writes; nil if conn has no file descriptor
	addr netip.Addr      // the remote IP address, for MaxPerAddr
	nick string          // set once by register, before it is shared
	slot int             // index in Server.online while logged in; guarded by Server.mu

	mu      sync.Mutex
	queue   [][]byte      // lines waiting, shared with their other recipients
	state   writeState    // who writes the queue now
	dead    bool          // the queue overflowed or the socket failed: drop everything
	closing bool          // serve has ended: flush the queue, then close
	drained chan struct{} // made when closing; closed once the queue is flushed or dropped
}

// writeState says who is in charge of a client's queue.
type writeState uint8

const (
	writeIdle    writeState = iota // queue empty, nobody writing
	writeReady                     // in the ready list, or being written by a writer
	writeBlocked                   // the socket is full: a goroutine of its own waits to write
	writeDone                      // closing and flushed: nothing more is written
)

// writeBufSize is each writer's buffer: the queued lines of one client are
// copied into it and leave in one write system call.
const writeBufSize = 64 << 10

func newClient(s *Server, nc net.Conn) *client {
	c := &client{s: s, conn: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn()
	}
	return c
}

func (c *client) send(line string) {
	if c.sendBytes([]byte(line + "\n")) {
		c.s.delivered.Add(1)
	}
}

// sendBytes queues b without ever blocking and reports whether it did: a
// full queue means the client cannot keep up, and it is cut off rather than
// slow everyone down. b is shared with other recipients and never changed.
func (c *client) sendBytes(b []byte) bool {
	c.mu.Lock()
	if c.dead || c.state == writeDone {
		c.mu.Unlock()
		return false
	}
	if len(c.queue) >= c.s.cfg.QueueLen {
		c.dead = true
		c.queue = nil
		c.mu.Unlock()
		c.s.slow.Add(1)
		c.s.log.Info("slow client disconnected", "remote", c.conn.RemoteAddr(), "nick", c.nick)
		_ = c.conn.Close()
		return false
	}
	c.queue = append(c.queue, b)
	schedule := c.state == writeIdle
	if schedule {
		c.state = writeReady
	}
	c.mu.Unlock()
	if schedule {
		c.s.ready <- c // never blocks: each client is in it at most once
	}
	return true
}

// abort closes the socket at once: the reader's next read fails, and
// nothing more is written.
func (c *client) abort() {
	c.mu.Lock()
	c.dead = true
	c.mu.Unlock()
	_ = c.conn.Close()
}

// closeRead ends the reader's wait for input without stopping the writes.
func (c *client) closeRead() {
	if tc, ok := c.conn.(interface{ CloseRead() error }); ok {
		_ = tc.CloseRead()
		return
	}
	_ = c.conn.SetReadDeadline(time.Now())
}

// finish runs at the end of serve: it waits until the queue has been
// written (at most about WriteTimeout, which a blocked write waits), then
// lingers and closes the connection.
func (c *client) finish() {
	c.mu.Lock()
	c.closing = true
	c.drained = make(chan struct{})
	if c.state == writeIdle {
		c.state = writeDone
		close(c.drained)
	}
	dead := c.dead
	c.mu.Unlock()
	<-c.drained
	if !dead {
		c.linger()
	}
	_ = c.conn.Close()
}

// linger half-closes the connection and discards what the client still
// sends for a moment. Closing a socket with unread input makes the kernel
// send a reset, which can destroy the last lines before the client reads
// them; "! line too long; closing" must arrive.
func (c *client) linger() {
	tc, ok := c.conn.(*net.TCPConn)
	if !ok {
		return
	}
	_ = tc.CloseWrite()
	_ = tc.SetReadDeadline(time.Now().Add(lingerTime))
	_, _ = io.CopyN(io.Discard, tc, lingerBytes)
}

const (
	lingerTime  = 500 * time.Millisecond
	lingerBytes = 64 << 10
)

// writer is one of the server's writer goroutines: it takes clients with
// queued lines from the ready list and writes each one's queue in one
// system call that never waits. Under load, lines pile up in a queue while
// its client waits for its turn, so one call carries more lines the busier
// the server is. A client whose socket is full gets a goroutine of its own
// (blockedWriter) until it has caught up, so it delays nobody else.
func (s *Server) writer() {
	defer s.writers.Done()
	w := newScratch()
	for c := range s.ready {
		c.flush(w)
	}
}

// take copies as many queued lines as fit into buf, removes them from the
// queue and returns the bytes. Called with c.mu held.
func (c *client) take(buf []byte) []byte {
	n, k := 0, 0
	for _, line := range c.queue {
		if n+len(line) > len(buf) && n > 0 {
			break
		}
		if len(line) > len(buf) { // a line longer than the buffer goes alone
			buf = append(buf[:0], line...)
		} else {
			copy(buf[n:], line)
		}
		n += len(line)
		k++
	}
	rest := copy(c.queue, c.queue[k:])
	clear(c.queue[rest:]) // let the lines be collected
	c.queue = c.queue[:rest]
	if cap(c.queue) > 64 && rest == 0 {
		c.queue = nil // a burst is over: give its memory back
	}
	return buf[:n]
}

// scratch is what one writer reuses for every write, so that a write
// allocates nothing: its buffer, and the function that the descriptor's
// non-blocking write runs in, with its arguments and results.
type scratch struct {
	buf []byte
	p   []byte                // to write
	n   int                   // written
	err error                 // from the write
	fn  func(fd uintptr) bool // writes p to fd once; nil where tryWrite does not use it
}

// flush writes what c has queued without waiting.
func (c *client) flush(w *scratch) {
	c.mu.Lock()
	if c.dead {
		c.queue = nil
		c.settle()
		c.mu.Unlock()
		return
	}
	out := c.take(w.buf)
	c.mu.Unlock()
	n, err := c.tryWrite(w, out)
	c.s.writes.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case err != nil:
		c.dead = true
		c.queue = nil
		_ = c.conn.Close()
		c.settle()
	case n < len(out): // the socket is full: wait for it in a goroutine of its own
		c.state = writeBlocked
		c.s.wg.Add(1)
		go c.blockedWriter(append([]byte(nil), out[n:]...))
	case len(c.queue) > 0:
		c.s.ready <- c // more came meanwhile: to the back of the line
	default:
		c.settle()
	}
}

// settle ends a writer's turn once the queue is empty or dropped: the
// client becomes idle, or done if it is closing. Called with c.mu held.
func (c *client) settle() {
	if c.closing {
		c.state = writeDone
		close(c.drained)
		return
	}
	c.state = writeIdle
}

// blockedWriter writes pending and then everything queued with ordinary
// blocking writes, each allowed WriteTimeout, until the queue is empty;
// then the client goes back to the shared writers.
func (c *client) blockedWriter(pending []byte) {
	defer c.s.wg.Done()
	for {
		_ = c.conn.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
		_, err := c.conn.Write(pending)
		c.s.writes.Add(1)
		c.mu.Lock()
		if err != nil || c.dead {
			c.dead = true
			c.queue = nil
			_ = c.conn.Close()
			c.settle()
			c.mu.Unlock()
			return
		}
		if len(c.queue) == 0 {
			_ = c.conn.SetWriteDeadline(time.Time{})
			c.settle()
			c.mu.Unlock()
			return
		}
		pending = pending[:0]
		for _, line := range c.queue {
			pending = append(pending, line...)
		}
		clear(c.queue)
		c.queue = c.queue[:0]
		c.mu.Unlock()
	}
}
