package gossip_test

import (
	"context"
	"fmt"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
)

// Two members on an in-memory network: b joins a, sees both members, and
// receives a's broadcast; a answers b's request.
func ExampleCluster() {
	network, _ := gossiptest.NewMemNetwork(gossiptest.DefaultMemConfig())
	defer network.Close()

	got := make(chan gossip.ClusterMessage, 1)
	cfgA := gossip.DefaultLocalConfig()
	cfgA.Network, cfgA.Name = network, "a"
	cfgA.OnRequest = func(from string, req []byte) ([]byte, error) {
		return []byte("pong to " + from), nil
	}
	a, err := gossip.NewCluster(cfgA)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()

	cfgB := gossip.DefaultLocalConfig()
	cfgB.Network, cfgB.Name = network, "b"
	cfgB.OnMessage = func(m gossip.ClusterMessage) { got <- m }
	b, _ := gossip.NewCluster(cfgB)
	defer b.Close()

	if _, err := b.Join([]string{a.Addr()}); err != nil {
		fmt.Println(err)
		return
	}
	for a.NumMembers() < 2 {
		time.Sleep(time.Millisecond)
	}
	for _, m := range a.Members() {
		fmt.Println("member", m.Name)
	}

	a.Broadcast([]byte("hello from a"))
	m := <-got
	fmt.Printf("b got %q from %s\n", m.Data, m.From)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, _ := b.Request(ctx, "a", []byte("ping"))
	fmt.Printf("a answered %q\n", resp)
	// Output:
	// member a
	// member b
	// b got "hello from a" from a
	// a answered "pong to b"
}
