package p2p

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"
)

// errLineTooLong is returned by readLine for a line over the bound; the
// caller answers with an error line and closes the connection.
var errLineTooLong = errors.New("p2p: line too long")

// newLineReader returns a reader whose buffer holds one maximal line plus its
// "\r\n", so ReadSlice never allocates more than that.
func newLineReader(c net.Conn, maxLine int) *bufio.Reader {
	return bufio.NewReaderSize(c, maxLine+2)
}

// readLine reads one line without its newline. A line longer than the buffer
// yields errLineTooLong; the rest of it is not read.
func readLine(br *bufio.Reader) (string, error) {
	b, err := br.ReadSlice('\n')
	switch {
	case errors.Is(err, bufio.ErrBufferFull):
		return "", errLineTooLong
	case err != nil:
		return "", err
	}
	b = b[:len(b)-1]
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return string(b), nil
}

// writeLine writes s and a newline within timeout.
func writeLine(c net.Conn, s string, timeout time.Duration) error {
	if err := c.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	_, err := c.Write([]byte(s + "\n"))
	return err
}

// exchange sends lines on a fresh connection to addr and reads one reply per
// line. The connection is closed when ctx ends or the exchange is over.
func exchange(ctx context.Context, dial DialFunc, addr netip.AddrPort, timeout time.Duration, maxLine int, lines ...string) ([]Message, error) {
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := dial(dctx, addr.String())
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	br := newLineReader(c, maxLine)
	var replies []Message
	for _, l := range lines {
		if err := writeLine(c, l, timeout); err != nil {
			return replies, err
		}
		reply, err := readLine(br)
		if err != nil {
			return replies, fmt.Errorf("reply to %q from %s: %w", clip(l), addr, err)
		}
		m, err := Parse(reply)
		if err != nil {
			return replies, fmt.Errorf("reply to %q from %s: %w", clip(l), addr, err)
		}
		if m.Kind == KindError {
			return replies, &replyError{addr: addr, req: l, text: m.Text}
		}
		replies = append(replies, m)
	}
	return replies, nil
}

// replyError is an "error:" line that answered a request: the other side is
// up and declined it.
type replyError struct {
	addr      netip.AddrPort
	req, text string
}

func (e *replyError) Error() string {
	return fmt.Sprintf("%s answered %q with error: %s", e.addr, clip(e.req), e.text)
}

// DialFunc opens a connection to a TCP address; net.Dialer.DialContext is one.
// It is the seam through which tests put a partition between peers.
type DialFunc func(ctx context.Context, addr string) (net.Conn, error)

func defaultDial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	return d.DialContext(ctx, "tcp", addr)
}

// remoteAddr returns the IPv4 address of a connection's other end.
func remoteAddr(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	ap, err := netip.ParseAddrPort(c.RemoteAddr().String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

// listenAddr resolves a listener's address to an IPv4 AddrPort.
func listenAddr(l net.Listener) netip.AddrPort {
	if ta, ok := l.Addr().(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	ap, _ := netip.ParseAddrPort(l.Addr().String())
	return ap
}

// listen binds addr, which must name an IPv4 address (port 0 picks one):
// the address is what the node advertises, so it cannot be unspecified.
func listen(field, addr string) (net.Listener, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("p2p: %s %q: %w", field, addr, err)
	}
	if !ap.Addr().Is4() || ap.Addr().IsUnspecified() {
		return nil, fmt.Errorf("p2p: %s %q: want a specific IPv4 address, which peers can be told", field, addr)
	}
	l, err := net.Listen("tcp4", addr)
	if err != nil {
		return nil, fmt.Errorf("p2p: %s: %w", field, err)
	}
	return l, nil
}
