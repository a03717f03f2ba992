package gossip_test

import (
	"fmt"

	"github.com/netlab-go/netlab/gossip"
)

// An in-memory network for tests and simulations: datagrams between
// endpoints, a partition that drops them silently (as a real one would,
// and counted), and a heal.
func ExampleMemNetwork() {
	network, _ := gossip.NewMemNetwork(gossip.DefaultMemConfig())
	defer network.Close()
	a, _ := network.Listen("10.0.0.1:7946")
	b, _ := network.Listen("10.0.0.2:7946")

	a.Send(b.LocalAddr(), []byte("hello"))
	p := <-b.Packets()
	fmt.Printf("b got %q from %s\n", p.Data, p.From)

	network.Partition([]string{a.LocalAddr()}, []string{b.LocalAddr()})
	err := a.Send(b.LocalAddr(), []byte("lost"))
	fmt.Println("send across the partition:", err, "- lost:", network.Stats(a.LocalAddr()).Lost)
	_, err = a.Dial(b.LocalAddr())
	fmt.Println("dial across the partition:", err)

	network.Heal()
	a.Send(b.LocalAddr(), []byte("again"))
	p = <-b.Packets()
	fmt.Printf("after the heal b got %q\n", p.Data)
	// Output:
	// b got "hello" from 10.0.0.1:7946
	// send across the partition: <nil> - lost: 1
	// dial across the partition: gossip: address unreachable: 10.0.0.2:7946 is across a partition
	// after the heal b got "again"
}
