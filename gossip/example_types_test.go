package gossip_test

import (
	"context"
	"fmt"
	"time"

	"github.com/netlab-go/netlab/gossip"
)

// ExampleUDPTransport sends one datagram between two [gossip.UDPTransport]
// endpoints on loopback. [gossip.NewUDP] binds the socket (port 0 picks a
// free one) and starts the reader that fills Packets; Close stops it and
// closes the channel. Delivery is unreliable in general, so the receiver
// waits with a timeout rather than forever.
func ExampleUDPTransport() {
	cfg := gossip.DefaultUDPConfig() // 127.0.0.1, port 0
	a, err := gossip.NewUDP(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	b, err := gossip.NewUDP(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer b.Close()

	if err := a.Send(b.LocalAddr(), []byte("rumour #1")); err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	select {
	case p := <-b.Packets():
		fmt.Printf("b got %q from a: %v\n", p.Data, p.From == a.LocalAddr())
	case <-ctx.Done():
		fmt.Println("lost")
		return
	}
	sa, sb := a.Stats(), b.Stats()
	fmt.Printf("a sent %d datagram(s), %d bytes; b received %d, %d bytes\n",
		sa.PacketsSent, sa.BytesSent, sb.PacketsReceived, sb.BytesReceived)

	big := make([]byte, cfg.MaxDatagram+1)
	fmt.Println("oversize send:", a.Send(b.LocalAddr(), big) != nil)
	// Output:
	// b got "rumour #1" from a: true
	// a sent 1 datagram(s), 9 bytes; b received 1, 9 bytes
	// oversize send: true
}
