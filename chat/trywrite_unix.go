//go:build unix

package chat

import (
	"errors"
	"syscall"
)

// tryWrite writes what the socket takes at once and returns how much that
// was. A socket without a file descriptor takes nothing this way.
func (c *client) tryWrite(p []byte) (int, error) {
	if c.raw == nil || len(p) == 0 {
		return 0, nil
	}
	var n int
	var err error
	rerr := c.raw.Write(func(fd uintptr) bool {
		for {
			n, err = syscall.Write(int(fd), p)
			if err != syscall.EINTR {
				return true // never wait here: blockedWriter does the waiting
			}
		}
	})
	switch {
	case rerr != nil:
		return 0, rerr
	case errors.Is(err, syscall.EAGAIN):
		return 0, nil
	case err != nil:
		return 0, err
	}
	return n, nil
}
