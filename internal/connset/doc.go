// Package connset is the one home of what netlab's TCP servers do with the
// connections they accept: keep the set of them, so that closing the
// server closes the listener and every connection at once (a handler
// blocked in a read sees its connection fail and returns); refuse a
// connection over the most the server serves at once; run each handler in
// a goroutine of its own that Close's caller can wait for; never track a
// connection or start a goroutine once the set is closed; and let the
// server's Run begin once, never after Close, with Close waiting for it
// (the gate is [github.com/netlab-go/netlab/internal/calls.Once]).
//
// matrix's coordinator and worker, mlcluster's coordinator, p2p's seed and
// peer, p2p/index's content peer and testutil.ServeConns serve their
// listeners through a [Set]. chat's server keeps its own set of clients: it
// limits connections per address and says goodbye to each before closing,
// and kvstore serves through net/http. What differs between the users
// stays with them: how a refused connection is told (an error frame, a
// line, a log message; see [Set.Serve]), what an accept error means (stop,
// or try again), and what else their Close stops.
//
// A server's Run and Close, typically:
//
//	func (s *Server) Run(ctx context.Context) error {
//		if err := s.conns.Begin(ErrClosed, "pkg: Server.Run"); err != nil {
//			return err
//		}
//		defer s.conns.End()
//		return s.conns.ServeUntil(ctx, s.handle, s.refuse)
//	}
//
//	func (s *Server) Close() error { return s.conns.CloseAndWait() }
package connset
