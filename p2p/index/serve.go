package index

import (
	"bufio"
	"bytes"
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

// Run serves content to other peers until ctx ends or Close is called.
// When ctx ends it closes the peer as Close does, except that it does not
// wait out timeouts saying goodbye: it sends each de-registration once and
// gives them all 200 ms, since the index may be stopping too; what could
// not be withdrawn is logged. When Run returns, the peer's sockets and
// goroutines are released; it returns nil, or [ErrClosed] when called
// after Close. It may be called once.
func (p *Peer) Run(ctx context.Context) error {
	if err := p.conns.Begin(ErrClosed, "index: Peer.Run"); err != nil {
		return err
	}
	defer p.conns.End()
	hurry := func() {
		if err, first := p.shutdown(true); first && err != nil {
			p.cfg.Logger.Debug("index: closing when the context ended", "err", err)
		}
	}
	stop := context.AfterFunc(ctx, hurry)
	defer stop()
	for {
		err := p.conns.Serve(p.serve, nil)
		if err == nil || errors.Is(err, net.ErrClosed) {
			break
		}
		p.cfg.Logger.Debug("index: accept", "err", err)
		select {
		case <-p.done:
		case <-time.After(10 * time.Millisecond): // e.g. out of file descriptors: do not spin
		}
	}
	hurry() // waits for a shutdown in progress, by Close or ctx's end
	return nil
}

// serve answers one D request on c with the content, or with E. A Framed
// D for a part (the manifest or a chunk) leaves the connection open for the
// next request, so that a multi-source downloader fetches chunk after chunk
// on one connection; a D for the whole content ends it, as in the lab.
// The peer's connection set closes c when serve returns.
func (p *Peer) serve(c net.Conn) {
	remote := c.RemoteAddr().String()
	codec := p.cfg.Codec
	br := bufio.NewReaderSize(c, 4096)
	for first := true; ; first = false {
		wait := p.cfg.Timeout
		if !first {
			wait = p.cfg.IdleTimeout // a downloader between two chunks
		}
		_ = c.SetReadDeadline(time.Now().Add(wait))
		var req pdu.PDU
		if err := codec.ReadPDU(br, pdu.Request, &req); err != nil {
			if first || !errors.Is(err, io.EOF) {
				p.refuse(c, remote, "bad request: "+strings.TrimPrefix(err.Error(), "pdu: "))
			}
			return
		}
		_ = c.SetReadDeadline(time.Time{})
		p.trace(false, remote, &req)
		if req.Type != pdu.Download {
			p.refuse(c, remote, fmt.Sprintf("expected a D PDU, got %q", rune(req.Type)))
			return
		}
		f := p.lookup(&req)
		if f == nil {
			p.refuse(c, remote, "content not registered here")
			return
		}
		if req.Part == pdu.PartWhole {
			p.serveWhole(c, remote, f, &req)
			return
		}
		if !p.servePart(c, remote, f, &req) {
			return
		}
	}
}

// lookup finds the served file a D asks for; names are never paths:
// "../x" is simply not here.
func (p *Peer) lookup(req *pdu.PDU) *servedFile {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.served[req.Content]
	if f == nil && req.Peer != "" && req.Part == pdu.PartWhole {
		f = p.served[req.Peer] // a D in the content-first layout of other lab peers
	}
	return f
}

// serveWhole sends the whole content, the lab's download.
func (p *Peer) serveWhole(c net.Conn, remote string, f *servedFile, req *pdu.PDU) {
	codec := p.cfg.Codec
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

// servePart sends the manifest or one chunk of f, announced with its
// SHA-256. It reports whether the connection may carry another request.
func (p *Peer) servePart(c net.Conn, remote string, f *servedFile, req *pdu.PDU) bool {
	file, err := os.Open(f.path)
	if err != nil {
		p.refuse(c, remote, "content unavailable")
		return false
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		p.refuse(c, remote, "content unavailable")
		return false
	}
	m, err := f.manifestOf(file, st, p.chunkSize(st.Size()))
	if err != nil {
		p.refuse(c, remote, "content unavailable")
		p.cfg.Logger.Warn("index: manifest", "content", req.Content, "err", err)
		return false
	}
	w := idleWriter{c, p.cfg.IdleTimeout}
	if req.Part == pdu.PartManifest {
		b, err := m.MarshalBinary()
		if err != nil {
			p.refuse(c, remote, "content unavailable")
			return false
		}
		err = pdu.SendContent(w, p.cfg.Codec, bytes.NewReader(b), int64(len(b)), sha256.Sum256(b))
		return err == nil
	}
	if req.Chunk >= m.Chunks() {
		p.refuse(c, remote, fmt.Sprintf("no chunk %d: the content has %d", req.Chunk, m.Chunks()))
		return false
	}
	off, n := m.Chunk(req.Chunk)
	err = pdu.SendContent(w, p.cfg.Codec, io.NewSectionReader(file, off, int64(n)), int64(n), m.Sums[req.Chunk])
	return err == nil
}

// chunkSize is the chunk size of the manifests this peer makes.
func (p *Peer) chunkSize(size int64) int {
	if p.cfg.ChunkSize > 0 {
		return p.cfg.ChunkSize
	}
	return pdu.ChunkSizeFor(size)
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

// manifestOf returns the file's manifest with chunks of chunkSize,
// computed once per size and modification time, and leaves file at its
// start.
func (f *servedFile) manifestOf(file *os.File, st os.FileInfo, chunkSize int) (*pdu.Manifest, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.man != nil && f.manSize == st.Size() && f.manMod.Equal(st.ModTime()) {
		return f.man, nil
	}
	m, err := pdu.BuildManifest(io.NewSectionReader(file, 0, st.Size()), st.Size(), chunkSize)
	if err != nil {
		return nil, err
	}
	f.man, f.manSize, f.manMod = m, st.Size(), st.ModTime()
	return m, nil
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
