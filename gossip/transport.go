package gossip

import (
	"errors"
	"time"
)

// Packet is one datagram received by a [Transport].
type Packet struct {
	From string    // address of the sender, usable as the "to" of Transport.Send
	Data []byte    // the datagram; the receiver owns it
	At   time.Time // when the transport received it
}

// Transport is the datagram seam of the rumor engine: it knows its own
// address, sends one datagram to an address, hands received datagrams out on a
// channel, and releases its resources on Close. Delivery is unreliable: a
// datagram may be lost, duplicated or reordered, and Send never blocks for long
// (a full receiver drops). The Packets channel is closed by Close.
//
// Implementations: [UDPTransport] (real sockets) and
// [github.com/netlab-go/netlab/gossip/gossiptest.MemTransport] (an in-memory
// network with loss, latency and partitions, for tests).
type Transport interface {
	LocalAddr() string
	Send(to string, data []byte) error
	Packets() <-chan Packet
	Close() error
}

// Errors returned by transports. Callers branch on them with errors.Is.
var (
	// ErrClosed is returned by Send on a transport that has been closed,
	// and matches (errors.Is) what every other component of the package
	// returns after Close: a [Node]'s Publish, a [Cluster]'s [ErrClusterClosed].
	ErrClosed = errors.New("gossip: transport closed")
	// ErrTooLarge is returned by Send for a datagram above the transport's
	// maximum size.
	ErrTooLarge = errors.New("gossip: datagram too large")
)
