// Package connset is the one home of what every TCP server in netlab does
// with the connections it accepts: keep the set of them, so that closing
// the server closes the listener and every connection at once (a handler
// blocked in a read sees its connection fail and returns); refuse a
// connection over the most the server serves at once; run each handler in
// a goroutine of its own that Close's caller can wait for; and never track
// a connection or start a goroutine once the set is closed.
//
// The matrix and mlcluster coordinators and workers, the p2p seed and peer
// and the p2p/index content peer serve their listeners through a [Set].
// What differs between them stays with them: how a refused connection is
// told (an error frame, a line, a log message; see [Set.Serve]), what an
// accept error means (stop, or try again), and the Run-once gate, which is
// [github.com/netlab-go/netlab/internal/calls.Once].
//
// Typical use:
//
//	set := connset.New(ln, maxConns)
//	// Run:
//	err := set.Serve(handle, refuse) // until Close, or accepting fails
//	_ = set.Close()
//	set.Wait()
//	// Close, from any goroutine:
//	err := set.Close()
package connset
