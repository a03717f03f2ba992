//go:build linux

package kvstore

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// socketsOn counts this process's open TCP sockets whose local port is
// port, other than the listener: the server's side of its connections. It
// asks each of the process's own descriptors (getsockname), not the
// network namespace's /proc/net/tcp: that table holds every process's
// sockets, and while thousands of them come and go (other tests on the
// machine) a read of it can miss entries, which made the count 0.
func socketsOn(t *testing.T, port int) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	require.NoError(t, err)
	n := 0
	for _, e := range fds {
		fd, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if link, err := os.Readlink("/proc/self/fd/" + e.Name()); err != nil || !strings.HasPrefix(link, "socket:") {
			continue
		}
		sa, err := syscall.Getsockname(fd)
		if err != nil {
			continue
		}
		var p int
		switch a := sa.(type) {
		case *syscall.SockaddrInet4:
			p = a.Port
		case *syscall.SockaddrInet6:
			p = a.Port
		}
		if p != port {
			continue
		}
		if l, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN); err == nil && l == 1 {
			continue // the listener
		}
		n++
	}
	return n
}
