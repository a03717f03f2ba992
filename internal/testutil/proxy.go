package testutil

import (
	"errors"
	"io"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
)

// Proxy forwards the TCP connections it accepts on a loopback port to a
// target address. [Proxy.Cut] breaks every connection it carries, as a
// network failure or a broker restart would, while new connections still
// pass: what a test of reconnection needs. The test's cleanup closes it.
type Proxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	// limit, when positive, is the byte count towards the target past which
	// the first connection is cut (see [Proxy.CutAfter]); cutDone says it was.
	limit   atomic.Int64
	cutDone atomic.Bool
}

// NewProxy listens on 127.0.0.1 (port 0) and forwards to target.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the address to dial instead of the target.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut closes every connection in flight, both sides, and returns how many
// client connections it broke.
func (p *Proxy) Cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
	return len(p.conns) / 2
}

// CutAfter arranges for the first connection that sends more than n bytes
// towards the target to be cut, both sides, right after those bytes pass:
// a connection lost in the middle of a transfer, at a point no timing
// could pick. Later connections pass untouched. Call it before dialing.
func (p *Proxy) CutAfter(n int64) { p.limit.Store(n) }

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[u] = struct{}{}, struct{}{}
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(c, u)
		go p.pipe(&cutWriter{Conn: u, p: p}, c)
	}
}

// pipe copies from src to dst until either fails, then closes both.
func (p *Proxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	_, _ = io.Copy(dst, src)
	_ = dst.Close()
	_ = src.Close()
	if cw, ok := dst.(*cutWriter); ok {
		dst = cw.Conn
	}
	p.mu.Lock()
	delete(p.conns, dst)
	delete(p.conns, src)
	p.mu.Unlock()
}

// errCut ends the copy of the connection that [Proxy.CutAfter] picked.
var errCut = errors.New("proxy: cut after the limit")

// cutWriter is the target side of one connection: it counts the bytes
// written towards the target and fails the write that passes the limit,
// once per proxy, after writing it.
type cutWriter struct {
	net.Conn
	p    *Proxy
	sent int64
}

func (w *cutWriter) Write(b []byte) (int, error) {
	n, err := w.Conn.Write(b)
	w.sent += int64(n)
	if lim := w.p.limit.Load(); err == nil && lim > 0 && w.sent > lim && w.p.cutDone.CompareAndSwap(false, true) {
		return n, errCut
	}
	return n, err
}

func (p *Proxy) close() {
	_ = p.ln.Close()
	p.Cut()
	p.wg.Wait()
}

// NewURLProxy proxies the host of rawURL (a broker's amqp://...) and
// returns the URL that reaches it through the proxy.
func NewURLProxy(t testing.TB, rawURL string) (*Proxy, string) {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p := NewProxy(t, u.Host)
	u.Host = p.Addr()
	return p, u.String()
}
