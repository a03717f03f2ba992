package index

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/netlab-go/netlab/pdu"
)

// Download fetches content name into the folder dir and then registers it, so
// this peer serves it too. It asks the index for a server (S), sends that
// peer a D over TCP and streams the content into a temporary file in dir,
// which becomes dir/name only when complete (and, with Framed, verified). An
// interrupted download leaves no file under the final name and can be
// retried. Download never replaces an existing file (ErrExists) and never
// writes outside dir: name must be a plain name (ErrBadName).
//
// It returns the path of the downloaded file. When the download succeeded
// but the re-registration failed, it returns the path and the error.
func (p *Peer) Download(ctx context.Context, name, dir string) (string, error) {
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
	server, err := p.search(name)
	if err != nil {
		return "", err
	}
	sum, err := p.fetch(ctx, server, name, dir, final)
	if err != nil {
		return "", err
	}
	if err := p.register(name, final, sum); err != nil {
		return final, fmt.Errorf("index: downloaded %s but could not register it: %w", final, err)
	}
	return final, nil
}

// fetch downloads name from server into final, by way of a temporary file.
// It returns the verified SHA-256 when the codec announced one.
func (p *Peer) fetch(ctx context.Context, server netip.AddrPort, name, dir, final string) (*[32]byte, error) {
	codec := p.cfg.Codec
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", server.String())
	if err != nil {
		return nil, fmt.Errorf("index: download %q from %v: %w", name, server, err)
	}
	defer conn.Close()
	// Cancellation, or closing the peer, interrupts a blocked read.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	remote := server.String()

	req := pdu.PDU{Type: pdu.Download, Peer: p.cfg.Name, Content: name}
	b, err := codec.Append(nil, &req)
	if err != nil {
		return nil, err
	}
	p.trace(true, remote, &req)
	if _, err := conn.Write(b); err != nil {
		return nil, fmt.Errorf("index: download %q: sending D: %w", name, err)
	}

	tmp, err := os.CreateTemp(dir, "."+name+".part-*")
	if err != nil {
		return nil, fmt.Errorf("index: download %q: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // after a successful link, the final name keeps the data
	defer tmp.Close()

	var sum *[32]byte
	var opt pdu.ReceiveOptions
	if p.cfg.Trace != nil || codec.Limits().Announce {
		opt.OnFrame = func(q *pdu.PDU) error {
			if q.Announce {
				s := q.Sum
				sum = &s
			}
			p.trace(false, remote, q)
			return nil
		}
	}
	if _, err := pdu.ReceiveContent(pdu.NewContentReader(conn, codec), codec, tmp, opt); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("index: download %q interrupted: %w (%w)", name, ctx.Err(), err)
		}
		return nil, fmt.Errorf("index: download %q from %v: %w", name, server, err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("index: download %q: %w", name, err)
	}
	if err := publish(tmp.Name(), final); err != nil {
		return nil, fmt.Errorf("index: download %q: %w", name, err)
	}
	return sum, nil
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
