package index

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/netlab-go/netlab/pdu"
)

// ErrTimeout means the index server did not answer within the configured
// timeout and retries.
var ErrTimeout = errors.New("index: no answer from the index server")

// indexClient sends requests to the index server over one connected UDP
// socket, one exchange at a time (Classic PDUs carry no request id, so a
// reply is matched to the one request outstanding). The socket stays the
// same for the peer's whole life: its address is the peer's identity at the
// index (only it may withdraw the peer's registrations). After a request
// was given up, replies still queued on the socket are drained before the
// next request is sent, so that a late answer to the abandoned request is
// not taken for the answer to the next one.
type indexClient struct {
	mu      sync.Mutex
	conn    *net.UDPConn
	stale   bool // a request was given up on conn: its reply may still come
	codec   pdu.Codec
	timeout time.Duration
	retries int
	trace   func(Event)
	out     []byte
	buf     []byte
	reply   pdu.PDU
}

func newIndexClient(conn *net.UDPConn, codec pdu.Codec, timeout time.Duration, retries int, trace func(Event)) *indexClient {
	lim := codec.Limits()
	return &indexClient{
		conn: conn, codec: codec, timeout: timeout, retries: retries, trace: trace,
		out: make([]byte, 0, lim.MaxDatagram), buf: make([]byte, lim.MaxDatagram+1),
	}
}

// exchange sends req and feeds each reply to handle until handle reports
// done. On a timeout it sends req again, up to retries more times: a late
// answer to an earlier copy answers the same question.
func (c *indexClient) exchange(req *pdu.PDU, handle func(rep *pdu.PDU) (done bool, err error)) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var err error
	if c.out, err = c.codec.Append(c.out[:0], req); err != nil {
		return err
	}
	if c.stale {
		if err := c.drain(); err != nil {
			return err
		}
	}
	for attempt := 0; attempt <= c.retries; attempt++ {
		c.emit(true, req)
		if _, err := c.conn.Write(c.out); err != nil {
			return fmt.Errorf("index: sending %c: %w", rune(req.Type), err)
		}
		done, err := c.await(handle)
		if done || err != nil {
			return err
		}
	}
	c.stale = true
	return fmt.Errorf("%w at %v after %d tries (%c)", ErrTimeout, c.conn.RemoteAddr(), c.retries+1, rune(req.Type))
}

// await reads replies until handle is done, an error, or the timeout. A
// reply that does not decode is an error: the index speaks another layout.
func (c *indexClient) await(handle func(rep *pdu.PDU) (bool, error)) (bool, error) {
	if err := c.conn.SetReadDeadline(time.Now().Add(c.timeout)); err != nil {
		return false, err
	}
	for {
		n, err := c.conn.Read(c.buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return false, nil
		}
		if err != nil {
			return false, fmt.Errorf("index: reading reply: %w", err)
		}
		if err := c.codec.Decode(c.buf[:n], pdu.Reply, &c.reply); err != nil {
			return false, fmt.Errorf("index: bad reply: %w", err)
		}
		c.emit(false, &c.reply)
		if done, err := handle(&c.reply); done || err != nil {
			return done, err
		}
	}
}

// drain discards the replies queued on the socket. (A deadline already
// past would fail the read before looking at the queue: hence a short one.)
func (c *indexClient) drain() error {
	if err := c.conn.SetReadDeadline(time.Now().Add(time.Millisecond)); err != nil {
		return err
	}
	for range 1 << 12 { // bounded: the socket cannot hold more
		if _, err := c.conn.Read(c.buf); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				c.stale = false
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return ErrClosed
			}
			// e.g. ICMP port unreachable from an earlier send: keep draining
		}
	}
	c.stale = false
	return nil
}

// close closes the socket.
func (c *indexClient) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn.Close()
}

func (c *indexClient) emit(sent bool, p *pdu.PDU) {
	if c.trace != nil {
		c.trace(Event{Sent: sent, Remote: "index " + c.conn.RemoteAddr().String(), PDU: clonePDU(p)})
	}
}

// clonePDU copies p so it outlives the buffers it aliases.
func clonePDU(p *pdu.PDU) pdu.PDU {
	q := *p
	q.Names = append([]string(nil), p.Names...)
	q.Data = append([]byte(nil), p.Data...)
	return q
}

// indexError turns an E reply into an error; the known texts wrap the
// sentinels callers branch on.
func indexError(text string) error {
	remote := &pdu.RemoteError{Text: text}
	switch text {
	case MsgDuplicate:
		return fmt.Errorf("%w: %w", ErrDuplicate, remote)
	case MsgNotFound:
		return fmt.Errorf("%w: %w", ErrNotFound, remote)
	case MsgNotRegistered:
		return fmt.Errorf("%w: %w", ErrNotRegistered, remote)
	case MsgNotOwner:
		return fmt.Errorf("%w: %w", ErrNotOwner, remote)
	}
	return fmt.Errorf("index: %w", remote)
}
