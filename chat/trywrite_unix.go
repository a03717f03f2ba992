//go:build unix

package chat

import (
	"errors"
	"syscall"
)

func newScratch() *scratch {
	w := &scratch{buf: make([]byte, writeBufSize)}
	w.fn = func(fd uintptr) bool {
		for {
			w.n, w.err = syscall.Write(int(fd), w.p)
			if w.err != syscall.EINTR {
				return true // never wait here: blockedWriter does the waiting
			}
		}
	}
	return w
}

// tryWrite writes what the socket takes at once and returns how much that
// was. A socket without a file descriptor takes nothing this way.
func (c *client) tryWrite(w *scratch, p []byte) (int, error) {
	if c.raw == nil || len(p) == 0 {
		return 0, nil
	}
	w.p, w.n, w.err = p, 0, nil
	rerr := c.raw.Write(w.fn)
	n, err := w.n, w.err
	w.p = nil
	switch {
	case rerr != nil:
		return 0, rerr
	case errors.Is(err, syscall.EAGAIN):
		return 0, nil
	case err != nil:
		return 0, err
	}
	return max(n, 0), nil
}
