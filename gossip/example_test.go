package gossip_test

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
)

// Ten nodes gossip on an in-memory network that loses 5% of datagrams; one
// publishes a rumor and every other node delivers it exactly once.
func ExampleNode() {
	mcfg := gossiptest.DefaultMemConfig()
	mcfg.Loss = 0.05
	network, _ := gossiptest.NewMemNetwork(mcfg)
	defer network.Close()

	cfg := gossip.DefaultConfig()
	cfg.Interval = 10 * time.Millisecond
	var (
		mu   sync.Mutex
		seen = map[string]bool{}
	)
	var nodes []*gossip.Node
	var addrs []string
	for range 10 {
		tr, _ := network.Listen("")
		c := cfg
		c.OnRumor = func(r gossip.Rumor) {
			mu.Lock()
			seen[tr.LocalAddr()] = true
			mu.Unlock()
		}
		n, _ := gossip.New(c, tr)
		nodes = append(nodes, n)
		addrs = append(addrs, tr.LocalAddr())
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, n := range nodes {
		n.SetPeers(addrs)
		wg.Add(1)
		go func() { defer wg.Done(); n.Run(ctx) }()
	}

	nodes[0].Publish([]byte("the build is green"))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == 9 {
			break
		}
	}
	cancel()
	wg.Wait()
	fmt.Printf("%d of 9 other nodes delivered the rumor\n", len(seen))
	// Output: 9 of 9 other nodes delivered the rumor
}
