package index

import (
	"bufio"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/netlab-go/netlab/pdu"
)

// Run serves content to other peers until ctx ends, then closes the peer
// (see Close): when Run returns, the peer's registrations are withdrawn and
// its sockets and goroutines are released.
func (p *Peer) Run(ctx context.Context) error {
	if p.isClosed() {
		return ErrClosed
	}
	if !p.running.CompareAndSwap(false, true) {
		return errors.New("index: Peer.Run called twice")
	}
	stop := context.AfterFunc(ctx, func() { _ = p.Close() })
	defer stop()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				break
			}
			p.cfg.Logger.Debug("index: accept", "err", err)
			select {
			case <-p.done:
			case <-time.After(10 * time.Millisecond): // e.g. out of file descriptors: do not spin
			}
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.serve(c)
	}
	_ = p.Close() // ErrClosed when ctx's end closed the peer already
	return p.closeErr
}

// serve answers one D request on c with the content, or with E.
func (p *Peer) serve(c net.Conn) {
	defer p.wg.Done()
	defer func() {
		_ = c.Close()
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
	remote := c.RemoteAddr().String()
	codec := p.cfg.Codec
	_ = c.SetReadDeadline(time.Now().Add(p.cfg.Timeout))
	var req pdu.PDU
	if err := codec.ReadPDU(bufio.NewReaderSize(c, 4096), pdu.Request, &req); err != nil {
		p.refuse(c, remote, "bad request: "+strings.TrimPrefix(err.Error(), "pdu: "))
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	p.trace(false, remote, &req)
	if req.Type != pdu.Download {
		p.refuse(c, remote, fmt.Sprintf("expected a D PDU, got %q", rune(req.Type)))
		return
	}
	p.mu.Lock()
	f := p.served[req.Content] // names are never paths: "../x" is simply not here
	if f == nil && req.Peer != "" {
		f = p.served[req.Peer] // a D in the content-first layout of other lab peers
	}
	p.mu.Unlock()
	if f == nil {
		p.refuse(c, remote, "content not registered here")
		return
	}
	file, err := os.Open(f.path)
	if err != nil {
		p.refuse(c, remote, "content unavailable")
		p.cfg.Logger.Warn("index: serving", "content", req.Content, "err", err)
		return
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		p.refuse(c, remote, "content unavailable")
		return
	}
	var sum [32]byte
	if codec.Limits().Announce {
		if sum, err = f.digest(file, st); err != nil {
			p.refuse(c, remote, "content unavailable")
			return
		}
	}
	w := idleWriter{c, p.cfg.IdleTimeout}
	if err := pdu.SendContent(w, codec, file, st.Size(), sum); err != nil {
		p.cfg.Logger.Debug("index: sending content", "content", req.Content, "to", remote, "err", err)
	}
}

// refuse answers a request with E and lets serve close the connection.
func (p *Peer) refuse(c net.Conn, remote, text string) {
	e := pdu.PDU{Type: pdu.Error, Text: text[:min(len(text), p.cfg.Codec.Limits().MaxText)]}
	b, err := p.cfg.Codec.Append(nil, &e)
	if err != nil {
		return
	}
	p.trace(true, remote, &e)
	_ = c.SetWriteDeadline(time.Now().Add(p.cfg.Timeout))
	_, _ = c.Write(b)
}

// digest returns the file's SHA-256, computed once per size and
// modification time, and leaves file at its start.
func (f *servedFile) digest(file *os.File, st os.FileInfo) ([32]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.hasSum && f.sumSize == st.Size() && f.sumMod.Equal(st.ModTime()) {
		return f.sum, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, file); err != nil {
		return f.sum, err
	}
	if _, err := file.Seek(0, io.SeekStart); err != nil {
		return f.sum, err
	}
	h.Sum(f.sum[:0])
	f.sumSize, f.sumMod, f.hasSum = st.Size(), st.ModTime(), true
	return f.sum, nil
}

// idleWriter gives up on a reader that has not taken any bytes for idle.
type idleWriter struct {
	c    net.Conn
	idle time.Duration
}

func (w idleWriter) Write(b []byte) (int, error) {
	if err := w.c.SetWriteDeadline(time.Now().Add(w.idle)); err != nil {
		return 0, err
	}
	return w.c.Write(b)
}
