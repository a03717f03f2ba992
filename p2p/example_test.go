package p2p_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"sync"

	"github.com/netlab-go/netlab/p2p"
)

// A seed and two peers on loopback: both register, the second connects to
// the first, and a gossip message from the first reaches the second.
func Example() {
	seed, err := p2p.NewSeed(p2p.DefaultSeedConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = seed.Run(ctx) })

	cfg := p2p.DefaultConfig()
	cfg.Seeds = []netip.AddrPort{seed.Addr()}
	cfg.GossipCount = 0 // this example publishes by hand
	a, err := p2p.NewPeer(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	got := make(chan p2p.Message, 1)
	cfg.OnGossip = func(m p2p.Message, from netip.AddrPort) { got <- m }
	b, err := p2p.NewPeer(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range []*p2p.Peer{a, b} {
		wg.Go(func() { _ = p.Run(ctx) })
		<-p.Joined()
	}

	fmt.Println("peers registered at the seed:", len(seed.Registry().Peers()))
	fmt.Println("b is linked to a:", b.Neighbours()[0] == a.Addr())
	sent := a.Publish()
	m := <-got
	fmt.Println("b received message", m.Seq, "from a:", m.From == a.Addr(), "same line:", m.String() == sent.String())
	// Output:
	// peers registered at the seed: 2
	// b is linked to a: true
	// b received message 1 from a: true same line: true
}

// A seed speaks plain lines, so nc (or any TCP client) can use it. The
// Dead Node report about 127.0.0.1:8001 comes from a registered peer's
// address and the seed's probe of 8001 finds nothing listening (this example
// assumes that port is free), so the peer is removed; the report that names
// a reporter at another address is refused without a probe.
func ExampleSeed() {
	seed, err := p2p.NewSeed(p2p.DefaultSeedConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = seed.Run(ctx) })

	c, err := net.Dial("tcp4", seed.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for _, line := range []string{
		"register:127.0.0.1:8001",
		"register:127.0.0.1:8002",
		"get peer list",
		"Dead Node:127.0.0.1:8001:1700000000.000000:127.0.0.1",
		"get peer list",
		"Dead Node:127.0.0.1:8002:1700000000.000000:127.0.0.9",
		"register:10.9.9.9:8003",
	} {
		fmt.Fprintln(c, line)
		reply, _ := r.ReadString('\n')
		fmt.Print(line, " -> ", reply)
	}
	// Output:
	// register:127.0.0.1:8001 -> registered successfully
	// register:127.0.0.1:8002 -> registered successfully
	// get peer list -> peer list:127.0.0.1#8001:127.0.0.1#8002
	// Dead Node:127.0.0.1:8001:1700000000.000000:127.0.0.1 -> dead node removed
	// get peer list -> peer list:127.0.0.1#8002
	// Dead Node:127.0.0.1:8002:1700000000.000000:127.0.0.9 -> error:reporter address 127.0.0.9 does not match connection source 127.0.0.1
	// register:10.9.9.9:8003 -> error:register address 10.9.9.9 does not match connection source 127.0.0.1
}

func ExampleParse() {
	for _, line := range []string{
		"1700000000.250000:127.0.0.1#8001:3",
		"Liveness Request:1700000000.500000:127.0.0.1#8001",
		"Dead Node:127.0.0.1:8002:1700000013.000000:127.0.0.1",
		"register:127.0.0.1:http",
	} {
		m, err := p2p.Parse(line)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s: time %s from %v addr %v seq %d\n", m.Kind, m.Time, m.From, m.Addr, m.Seq)
	}
	// Output:
	// gossip: time 1700000000.250000 from 127.0.0.1:8001 addr invalid AddrPort seq 3
	// liveness request: time 1700000000.500000 from 127.0.0.1:8001 addr invalid AddrPort seq 0
	// dead node: time 1700000013.000000 from 127.0.0.1:0 addr 127.0.0.1:8002 seq 0
	// p2p: malformed line: register: port "http" is not a number
}

func ExamplePowerLawMLE() {
	degrees := []int{2, 2, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5, 7, 12, 30}
	alpha, n := p2p.PowerLawMLE(degrees, 2)
	fmt.Printf("alpha = %.2f from %d peers\n", alpha, n)
	// Output:
	// alpha = 2.10 from 15 peers
}
