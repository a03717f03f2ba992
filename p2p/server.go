package p2p

import (
	"bufio"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/netlab-go/netlab/internal/connset"
)

// server is what a seed and a peer share as TCP servers: a listener whose
// connections are served one goroutine each, at most maxConns at once,
// with the links a peer dials out and the Run-once gate, all in one
// [connset.Set] that closes them at once; and the logger.
type server struct {
	conns    *connset.Set
	addr     netip.AddrPort
	log      *slog.Logger
	prefix   string // of log messages: "seed: " for seeds
	rejected func() // if set, called for every rejected line
}

// newServer binds addr (see listen); field names the config field in errors.
func newServer(field, addr string, maxConns int, log *slog.Logger, prefix string) (*server, error) {
	ln, err := listen(field, addr)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &server{conns: connset.New(ln, maxConns), addr: listenAddr(ln), log: log, prefix: prefix}, nil
}

// serve accepts connections until the listener closes and runs handle for
// each in a goroutine of its own; the connection is closed when handle
// returns. One connection over maxConns is told "error:too many
// connections" and closed, so a flood of connections cannot exhaust the
// node. serve returns the accept error, or nil after close.
func (s *server) serve(handle func(net.Conn)) error {
	return s.conns.Serve(handle, func(c net.Conn) {
		s.log.Warn(s.prefix+"rejected connection", "self", s.addr.String(), "from", c.RemoteAddr().String(),
			"reason", "too many connections")
		_ = writeLine(c, prefixError+"too many connections", time.Second)
	})
}

// lineHandler answers one request line. A non-empty reply is sent; stop
// ends the connection after it; a non-nil bad is the reason the line was
// rejected, answered "error:<bad>" and counted toward maxErrors.
type lineHandler func(line string, br *bufio.Reader) (reply string, stop bool, bad error)

// serveLines reads request lines from c until it goes quiet (readTimeout),
// sends a line over maxLine, or has sent maxErrors bad lines, and answers
// each with handle. The seed's connections and the one-off requests a peer
// accepts are both served this way.
func (s *server) serveLines(c net.Conn, maxLine, maxErrors int, readTimeout time.Duration, handle lineHandler) {
	from := c.RemoteAddr().String()
	br := newLineReader(c, maxLine)
	errs := 0
	for !s.conns.Closed() {
		if err := c.SetReadDeadline(time.Now().Add(readTimeout)); err != nil {
			return
		}
		line, err := readLine(br)
		if errors.Is(err, errLineTooLong) {
			s.log.Warn(s.prefix+"rejected line", "self", s.addr.String(), "from", from,
				"reason", "longer than limit", "limit", maxLine)
			s.countRejected()
			_ = writeLine(c, fmt.Sprintf("%sline longer than %d bytes", prefixError, maxLine), time.Second)
			return
		}
		if err != nil {
			return
		}
		reply, stop, bad := handle(line, br)
		if bad != nil {
			errs++
			s.countRejected()
			s.log.Warn(s.prefix+"rejected line", "self", s.addr.String(), "from", from, "line", clip(line),
				"reason", bad.Error())
			reply = prefixError + bad.Error()
		}
		if reply != "" {
			if err := writeLine(c, reply, readTimeout); err != nil {
				return
			}
		}
		if stop || errs >= maxErrors {
			if bad != nil && errs >= maxErrors {
				s.log.Warn(s.prefix+"closed connection", "self", s.addr.String(), "from", from, "reason", "too many bad lines")
			}
			return
		}
	}
}

func (s *server) countRejected() {
	if s.rejected != nil {
		s.rejected()
	}
}
