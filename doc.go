// Package netlab is a library of the classic ideas of computer networking,
// each one a real, working implementation that a Go program can import, a
// student can run with `go run ./examples/...`, and a reader can learn from
// here on godoc.
//
// Every concept is one package whose doc.go teaches it: the problem it solves,
// how the protocol or algorithm works step by step, its wire format, its
// guarantees and limits, and the primary references. The programs under
// examples/ are thin mains that wire the packages into runnable demos, and
// examples/tour runs every concept end to end on loopback.
//
// # Map of the packages
//
//	pdu          wire formats of the P2P content-sharing lab (R S D C F O T A E PDUs)
//	p2p/index    content sharing: a UDP index server and TCP content peers
//	p2p          overlay network: seed nodes, peers, gossip flooding, liveness
//	gossip       epidemic dissemination, a simulator, membership on memberlist
//	kvstore      eventually consistent key-value store replicated by gossip
//	reno         TCP congestion-control simulator (Tahoe, Reno, NewReno)
//	matrix       distributed Strassen multiplication over leased peers
//	mlcluster    distributed machine learning: k-means, PCA, regression
//	chat         UDP discovery chat (ARP, broadcast) and a multithreaded TCP chat
//	capture      pcap/pcapng analysis: protocol hierarchy, conversations, graphs
//	amqpdemo     topic-exchange messaging on RabbitMQ
//
// # Shape of every package
//
// A package has a Config struct with DefaultConfig() and a New(cfg) that
// validates it with errors naming the field. Components that listen bind in
// their constructor (so port 0 works and Addr() is known at once), run in
// Run(ctx) until the context ends, and have released every goroutine, socket
// and file when Run returns. Protocol logic is a deterministic core driven by
// an injected clock and *rand.Rand, wrapped by sockets and goroutines at the
// edges. Libraries are quiet: they log only through an optional *slog.Logger.
//
// Start with the tour:
//
//	go run ./examples/tour
package netlab
