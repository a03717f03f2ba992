package gossiptest

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/netlab-go/netlab/gossip"
)

// memberlistTransport is a [memberlist.Transport] on a [MemNetwork], so that
// clusters of hundreds of members can run in one process with the network's
// loss, latency and partitions. Unlike memberlist's own MockNetwork, whose
// unbuffered channels block the sender until the receiver reads (and so
// deadlock beyond a few nodes), every hand-off here is buffered and drops
// when full, as a real network would: datagrams are lost, and stream dials
// to a member with a full backlog fail at once.
type memberlistTransport struct {
	t        *MemTransport
	ip       net.IP
	port     int
	packetCh chan *memberlist.Packet
	streamCh chan net.Conn
	wg       sync.WaitGroup
	once     sync.Once
	dropped  atomic.Uint64
}

var _ memberlist.Transport = (*memberlistTransport)(nil)

// NewTransport returns a [memberlist.Transport] listening on the network at
// addr (a host:port with a literal IP; empty picks a fresh address), which
// makes [MemNetwork] a [gossip.Network]: set it as [gossip.ClusterConfig.Network]
// and the member runs in memory. Packets go through the network's loss,
// latency and partitions; a packet or stream that memberlist does not take
// at once is dropped and counted in [gossip.ClusterStats.TransportDrops].
func (n *MemNetwork) NewTransport(addr string) (memberlist.Transport, error) {
	mt, err := n.newMemberlistTransport(addr)
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return mt, nil
}

var _ gossip.Network = (*MemNetwork)(nil)

func (n *MemNetwork) newMemberlistTransport(addr string) (*memberlistTransport, error) {
	t, err := n.Listen(addr)
	if err != nil {
		return nil, err
	}
	ap, err := netip.ParseAddrPort(t.LocalAddr())
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("gossiptest: memberlist transport needs an ip:port address, not %q: %w", t.LocalAddr(), err)
	}
	mt := &memberlistTransport{
		t:        t,
		ip:       net.IP(ap.Addr().AsSlice()),
		port:     int(ap.Port()),
		packetCh: make(chan *memberlist.Packet, n.cfg.Buffer),
		streamCh: make(chan net.Conn, n.cfg.StreamBacklog),
	}
	mt.wg.Add(2)
	go mt.pumpPackets()
	go mt.pumpStreams()
	return mt, nil
}

// Addr returns the transport's address on the [MemNetwork].
func (mt *memberlistTransport) Addr() string { return mt.t.LocalAddr() }

// Dropped returns how many packets and streams were dropped because
// memberlist did not take them fast enough.
func (mt *memberlistTransport) Dropped() uint64 { return mt.dropped.Load() }

// FinalAdvertiseAddr returns the transport's own address; the arguments are
// ignored.
func (mt *memberlistTransport) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	return mt.ip, mt.port, nil
}

// WriteTo sends a packet. Loss, partitions and full receivers drop silently.
func (mt *memberlistTransport) WriteTo(b []byte, addr string) (time.Time, error) {
	return time.Now(), mt.t.Send(addr, b)
}

// PacketCh returns received packets. It is never closed (memberlist reads
// it until its own shutdown).
func (mt *memberlistTransport) PacketCh() <-chan *memberlist.Packet { return mt.packetCh }

// DialTimeout opens an in-memory stream; it fails at once instead of
// waiting when the peer is unreachable.
func (mt *memberlistTransport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return mt.t.Dial(addr)
}

// StreamCh returns accepted streams. It is never closed.
func (mt *memberlistTransport) StreamCh() <-chan net.Conn { return mt.streamCh }

// Shutdown detaches from the network and stops the pumps.
func (mt *memberlistTransport) Shutdown() error {
	mt.once.Do(func() {
		mt.t.Close()
		mt.wg.Wait()
		for {
			select {
			case c := <-mt.streamCh:
				c.Close()
			default:
				return
			}
		}
	})
	return nil
}

func (mt *memberlistTransport) pumpPackets() {
	defer mt.wg.Done()
	for p := range mt.t.Packets() {
		select {
		case mt.packetCh <- &memberlist.Packet{Buf: p.Data, From: memAddr(p.From), Timestamp: p.At}:
		default:
			mt.dropped.Add(1)
		}
	}
}

func (mt *memberlistTransport) pumpStreams() {
	defer mt.wg.Done()
	for c := range mt.t.Streams() {
		select {
		case mt.streamCh <- c:
		default:
			mt.dropped.Add(1)
			c.Close()
		}
	}
}
