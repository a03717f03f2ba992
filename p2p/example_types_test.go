package p2p_test

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/netlab-go/netlab/p2p"
)

// ExampleMessageList shows how a peer forwards each gossip message once:
// [p2p.MessageList.Add] reports whether a [p2p.MessageKey] is new, an
// entry expires TTL after it was added (so a message coming back later is
// taken as new), and at Max entries the oldest is dropped. Time is passed
// in, so the list is deterministic.
func ExampleMessageList() {
	t0 := time.Unix(1_700_000_000, 0)
	l := p2p.NewMessageList(time.Minute, 2)

	var keys []p2p.MessageKey
	for _, line := range []string{ // gossip lines: timestamp:origin:Msg#
		"1700000000.000000:127.0.0.1:1",
		"1700000000.000000:127.0.0.1:2",
		"1700000000.000000:127.0.0.1:3",
	} {
		m, err := p2p.Parse(line)
		if err != nil {
			fmt.Println(err)
			return
		}
		keys = append(keys, p2p.KeyOf(m))
	}
	k1, k2, k3 := keys[0], keys[1], keys[2]

	fmt.Println("m1 new:", l.Add(k1, t0))
	fmt.Println("m1 again new:", l.Add(k1, t0.Add(time.Second)))
	fmt.Println("m2 new:", l.Add(k2, t0.Add(2*time.Second)))
	fmt.Println("m3 new:", l.Add(k3, t0.Add(3*time.Second)), "- held:", l.Len())
	fmt.Println("m1 after it was dropped, new:", l.Add(k1, t0.Add(4*time.Second)))
	fmt.Println("m3 two minutes later, new:", l.Add(k3, t0.Add(2*time.Minute)))
	// Output:
	// m1 new: true
	// m1 again new: false
	// m2 new: true
	// m3 new: true - held: 2
	// m1 after it was dropped, new: true
	// m3 two minutes later, new: true
}

// ExampleMemRegistry shows a seed's state, a [p2p.Registry]: peers
// register (again to refresh), the list comes back in a stable order, and
// a Dead Node report removes one. [p2p.NewMemRegistry] keeps it in memory;
// the zero value works too.
func ExampleMemRegistry() {
	r := p2p.NewMemRegistry()
	now := time.Unix(1_700_000_000, 0)
	for _, s := range []string{"127.0.0.1:8002", "127.0.0.1:8001", "127.0.0.1:8002"} {
		if err := r.Register(netip.MustParseAddrPort(s), now); err != nil {
			fmt.Println(err)
		}
	}
	fmt.Println(r.Peers())
	fmt.Println("removed:", r.Remove(netip.MustParseAddrPort("127.0.0.1:8001")))
	fmt.Println("removed again:", r.Remove(netip.MustParseAddrPort("127.0.0.1:8001")))
	fmt.Println(r.Peers())
	// Output:
	// [127.0.0.1:8001 127.0.0.1:8002]
	// removed: true
	// removed again: false
	// [127.0.0.1:8002]
}

// ExamplePeer runs one [p2p.Peer] against one [p2p.Seed] on loopback (port
// 0 everywhere): Run joins the overlay in the background, Joined closes
// once the peer has registered, and Publish floods a gossip message. The
// peer stops when its context ends (or on Close), with every goroutine and
// connection gone when Run returns.
func ExamplePeer() {
	seed, err := p2p.NewSeed(p2p.DefaultSeedConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { _ = seed.Run(ctx) })

	cfg := p2p.DefaultConfig()
	cfg.Seeds = []netip.AddrPort{seed.Addr()}
	cfg.GossipCount = 0 // publish by hand
	p, err := p2p.NewPeer(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	wg.Go(func() { _ = p.Run(ctx) })
	select {
	case <-p.Joined():
	case <-ctx.Done():
		fmt.Println("not joined:", ctx.Err())
		return
	}

	fmt.Println("registered with the seed:", p.Registered()[0] == seed.Addr())
	fmt.Println("neighbours (it is alone):", len(p.Neighbours()))
	m := p.Publish()
	fmt.Println("published message", m.Seq, "from itself:", m.From == p.Addr())
	// Output:
	// registered with the seed: true
	// neighbours (it is alone): 0
	// published message 1 from itself: true
}
