package testutil

import (
	"net"
	"net/netip"
	"testing"

	"github.com/netlab-go/netlab/internal/connset"
)

// ServeConns listens on 127.0.0.1 (port 0) and runs handle on every
// connection it accepts, each in a goroutine of its own, closing the
// connection when handle returns: the fake server, hostile peer or silent
// broker that a test of a client needs. The test's cleanup closes the
// listener and every connection still open, then waits for the handlers.
func ServeConns(t testing.TB, handle func(c net.Conn)) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	set := connset.New(ln, 0)
	set.Go(func() { _ = set.Serve(handle, nil) })
	t.Cleanup(func() {
		_ = set.Close()
		set.Wait()
	})
	ap := ln.Addr().(*net.TCPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}
