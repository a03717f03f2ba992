package index

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/netlab-go/netlab/pdu"
)

// Download fetches content name into the folder dir and then registers it, so
// this peer serves it too. It asks the index for a server (S), sends that
// peer a D over TCP and streams the content into a temporary file in dir,
// which becomes dir/name only when complete (and, with Framed, verified). An
// interrupted download leaves no file under the final name and can be
// retried. Download never replaces an existing file ([ErrExists]) and never
// writes outside dir: name must be a plain name ([ErrBadName]).
//
// A download ends with an error when the server sends nothing for
// IdleTimeout, when the content exceeds MaxDownload (pdu.ErrTooLarge:
// Framed's announcement is checked before anything is written, a Classic
// stream is cut off at the limit), or when dir lacks the free space the
// content needs ([ErrNoSpace]). Classic content is not verified: a server can
// send altered bytes undetected; use Framed with peers you do not trust.
//
// It returns the path of the downloaded file. When the download succeeded
// but the re-registration failed, it returns the path and the error.
func (p *Peer) Download(ctx context.Context, name, dir string) (string, error) {
	d, err := p.download(ctx, name, dir)
	return d.Path, err
}

// downloaded is what the shell shows of a download.
type downloaded struct {
	Path string
	Size int64
	From netip.AddrPort
	Ack  string // the text of the index's A to the re-registration
}

// target is where a download of name into dir goes, once name is a valid
// content name, the peer is open and nothing is there already.
func (p *Peer) target(name, dir string) (string, error) {
	if err := CheckContentName(name, p.cfg.Codec.Limits().MaxName); err != nil {
		return "", err
	}
	if p.isClosed() {
		return "", ErrClosed
	}
	final := filepath.Join(dir, name)
	if _, err := os.Lstat(final); err == nil {
		return "", fmt.Errorf("%w: %s", ErrExists, final)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("index: download %q: %w", name, err)
	}
	return final, nil
}

func (p *Peer) download(ctx context.Context, name, dir string) (downloaded, error) {
	var d downloaded
	final, err := p.target(name, dir)
	if err != nil {
		return d, err
	}
	server, err := p.search(name)
	if err != nil {
		return d, err
	}
	d.From = server
	size, sum, err := p.fetch(ctx, server, name, dir, final)
	if err != nil {
		return d, err
	}
	d.Path, d.Size = final, size
	if d.Ack, err = p.register(name, final, sum); err != nil {
		return d, fmt.Errorf("index: downloaded %s but could not register it: %w", final, err)
	}
	return d, nil
}

// fetch downloads name from server into final, by way of a temporary file.
// It returns the size and the verified SHA-256 when the codec announced one.
func (p *Peer) fetch(ctx context.Context, server netip.AddrPort, name, dir, final string) (int64, *[32]byte, error) {
	codec := p.cfg.Codec
	var dialer net.Dialer
	dctx, cancelDial := context.WithTimeout(ctx, p.cfg.IdleTimeout)
	conn, err := dialer.DialContext(dctx, "tcp", server.String())
	cancelDial()
	if err != nil {
		return 0, nil, fmt.Errorf("index: download %q from %v: %w", name, server, err)
	}
	defer conn.Close()
	// Every read waits at most IdleTimeout; cancellation, or closing the
	// peer, interrupts a blocked read at once.
	ir := &idleReader{c: conn, idle: p.cfg.IdleTimeout}
	stop := context.AfterFunc(ctx, ir.cancel)
	defer stop()
	remote := server.String()

	req := pdu.PDU{Type: pdu.Download, Peer: p.cfg.Name, Content: name}
	b, err := codec.Append(nil, &req)
	if err != nil {
		return 0, nil, err
	}
	p.trace(true, remote, &req)
	_ = conn.SetWriteDeadline(time.Now().Add(p.cfg.IdleTimeout))
	if _, err := conn.Write(b); err != nil {
		return 0, nil, fmt.Errorf("index: download %q: sending D: %w", name, err)
	}

	tmp, err := os.CreateTemp(dir, "."+name+".part-*")
	if err != nil {
		return 0, nil, fmt.Errorf("index: download %q: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // after a successful link, the final name keeps the data
	defer tmp.Close()

	var sum *[32]byte
	w := &spaceWriter{w: tmp, dir: dir, free: p.freeSpace}
	prog := DownloadProgress{Content: name, Total: -1}
	if p.cfg.Progress != nil {
		w.progress = func(done int64) { prog.Done = done; p.cfg.Progress(prog) }
		defer func() { prog.End = true; p.cfg.Progress(prog) }()
	}
	opt := pdu.ReceiveOptions{Limit: p.cfg.MaxDownload}
	opt.OnFrame = func(q *pdu.PDU) error {
		if q.Announce {
			prog.Total = q.Size
			if free, ok := p.freeSpace(dir); ok && uint64(q.Size) > free {
				return fmt.Errorf("%w in %s: %d bytes announced, %d free", ErrNoSpace, dir, q.Size, free)
			}
			s := q.Sum
			sum = &s
		}
		p.trace(false, remote, q)
		return nil
	}
	n, err := pdu.ReceiveContent(pdu.NewContentReader(ir, codec), codec, w, opt)
	if err != nil {
		if ctx.Err() != nil {
			return n, nil, fmt.Errorf("index: download %q interrupted: %w (%w)", name, ctx.Err(), err)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return n, nil, fmt.Errorf("index: download %q from %v: nothing received for %v after %d bytes: %w", name, server, p.cfg.IdleTimeout, n, err)
		}
		return n, nil, fmt.Errorf("index: download %q from %v: %w", name, server, err)
	}
	if err := tmp.Close(); err != nil {
		return n, nil, fmt.Errorf("index: download %q: %w", name, err)
	}
	if err := publish(tmp.Name(), final); err != nil {
		return n, nil, fmt.Errorf("index: download %q: %w", name, err)
	}
	return n, sum, nil
}

// idleReader reads from a connection with a fresh deadline of idle before
// every read, until cancel, which makes every read fail at once.
type idleReader struct {
	c        net.Conn
	idle     time.Duration
	mu       sync.Mutex
	canceled bool
}

func (r *idleReader) Read(b []byte) (int, error) {
	r.mu.Lock()
	if !r.canceled {
		_ = r.c.SetReadDeadline(time.Now().Add(r.idle))
	}
	r.mu.Unlock()
	return r.c.Read(b)
}

func (r *idleReader) cancel() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.canceled = true
	_ = r.c.SetDeadline(time.Unix(1, 0))
}

// spaceWriter writes a download, refusing a write that the folder's free
// space cannot take ([ErrNoSpace]) rather than filling the disk. It measures
// the free space again only when what it last measured, less what it wrote
// since, would not take the next write.
type spaceWriter struct {
	w        io.Writer
	dir      string
	free     func(string) (uint64, bool)
	known    uint64 // free bytes last measured, less the bytes written since
	written  int64
	progress func(written int64) // if not nil, called after each write
}

func (s *spaceWriter) Write(b []byte) (int, error) {
	if s.known < uint64(len(b)) {
		free, ok := s.free(s.dir)
		switch {
		case !ok:
			free = ^uint64(0) // unknown: MaxDownload is the only bound
		case free < uint64(len(b)):
			return 0, fmt.Errorf("%w in %s: %d bytes left", ErrNoSpace, s.dir, free)
		}
		s.known = free
	}
	n, err := s.w.Write(b)
	s.known -= uint64(n)
	s.written += int64(n)
	if s.progress != nil {
		s.progress(s.written)
	}
	return n, err
}

// publish gives the complete temporary file its final name without ever
// replacing an existing file: a hard link fails when the name exists.
func publish(tmp, final string) error {
	err := os.Link(tmp, final)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%w: %s", ErrExists, final)
	}
	// No hard links here (some file systems): check, then rename.
	if _, serr := os.Lstat(final); serr == nil {
		return fmt.Errorf("%w: %s", ErrExists, final)
	}
	return os.Rename(tmp, final)
}

// partPattern matches the temporary files of downloads: ".NAME.part-DIGITS".
var partPattern = regexp.MustCompile(`^\..+\.part-[0-9]+$`)

// CleanStaleParts removes from dir the temporary files of downloads that
// no longer run (".NAME.part-NNN" files a killed peer left behind) and
// returns their names. A temporary file counts as stale when nothing has
// written to it for twice the IdleTimeout: a running download writes at
// least that often or fails.
func (p *Peer) CleanStaleParts(dir string) ([]string, error) {
	es, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("index: cleaning %s: %w", dir, err)
	}
	var removed []string
	var errs []error
	for _, e := range es {
		if !e.Type().IsRegular() || !partPattern.MatchString(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < 2*p.cfg.IdleTimeout {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, e.Name())
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("index: cleaning %s: %w", dir, err)
	}
	return removed, nil
}
