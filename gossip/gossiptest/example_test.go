package gossiptest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"slices"
	"time"

	"github.com/hashicorp/memberlist"
	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
)

// An in-memory network for tests and simulations: datagrams between
// endpoints, a partition that drops them silently (as a real one would,
// and counted), and a heal.
func ExampleMemNetwork() {
	network, _ := gossiptest.NewMemNetwork(gossiptest.DefaultMemConfig())
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
	// dial across the partition: gossiptest: address unreachable: 10.0.0.2:7946 is across a partition
	// after the heal b got "again"
}

// A stream between two endpoints, as memberlist's push-pull uses: a dials
// b, b accepts the connection from Streams, and bytes flow both ways.
func ExampleMemTransport_Dial() {
	network, _ := gossiptest.NewMemNetwork(gossiptest.DefaultMemConfig())
	defer network.Close()
	a, _ := network.Listen("10.0.0.1:7946")
	b, _ := network.Listen("10.0.0.2:7946")

	conn, err := a.Dial(b.LocalAddr())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()
	accepted := <-b.Streams()
	defer accepted.Close()
	fmt.Println("b accepted a stream from", accepted.RemoteAddr())

	go conn.Write([]byte("state of a"))
	buf := make([]byte, 10)
	n, _ := io.ReadFull(accepted, buf)
	fmt.Printf("b read %q\n", buf[:n])

	_, err = a.Dial("10.0.0.9:7946")
	fmt.Println("dial to nobody:", errors.Is(err, gossiptest.ErrUnknownAddr))
	// Output:
	// b accepted a stream from 10.0.0.1:7946
	// b read "state of a"
	// dial to nobody: true
}

// Loss is drawn from a source seeded by MemConfig.Seed: two networks with
// the same seed, given the same sends, lose the same datagrams, so a lossy
// test can be repeated exactly.
func ExampleMemConfig() {
	run := func() (lost []int) {
		cfg := gossiptest.DefaultMemConfig()
		cfg.Loss, cfg.Seed = 0.3, 7
		network, _ := gossiptest.NewMemNetwork(cfg)
		defer network.Close()
		a, _ := network.Listen("")
		b, _ := network.Listen("")
		for i := range 100 {
			before := network.Stats(a.LocalAddr()).Lost
			a.Send(b.LocalAddr(), []byte{byte(i)})
			if network.Stats(a.LocalAddr()).Lost > before {
				lost = append(lost, i)
			}
		}
		return lost
	}
	first, second := run(), run()
	fmt.Println("some lost, some delivered:", len(first) > 0 && len(first) < 100)
	fmt.Println("the same ones both times:", slices.Equal(first, second))
	// Output:
	// some lost, some delivered: true
	// the same ones both times: true
}

// A MemNetwork is a memberlist.Transport factory: here two plain memberlist
// instances (no package gossip involved) form a cluster in memory.
func ExampleMemNetwork_NewTransport() {
	network, _ := gossiptest.NewMemNetwork(gossiptest.DefaultMemConfig())
	defer network.Close()

	var members []*memberlist.Memberlist
	for _, name := range []string{"a", "b", "c"} {
		t, err := network.NewTransport("")
		if err != nil {
			fmt.Println(err)
			return
		}
		cfg := memberlist.DefaultLocalConfig()
		cfg.Name, cfg.Transport = name, t
		cfg.Logger = log.New(io.Discard, "", 0)
		m, err := memberlist.Create(cfg)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer m.Shutdown()
		members = append(members, m)
	}
	for _, m := range members[1:] {
		if _, err := m.Join([]string{members[0].LocalNode().Address()}); err != nil {
			fmt.Println(err)
			return
		}
	}
	for deadline := time.Now().Add(10 * time.Second); members[2].NumMembers() < 3 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	for _, n := range members[2].Members() {
		if n.Name == "a" {
			fmt.Println("c knows a at an in-memory address:", n.Address() == members[0].LocalNode().Address())
		}
	}
	fmt.Println("c sees", members[2].NumMembers(), "members")
	// Output:
	// c knows a at an in-memory address: true
	// c sees 3 members
}

// StartLocal runs five gossip members in one process, here on a
// MemNetwork ([gossip.DefaultLocalConfig] alone binds real loopback sockets
// on free ports), and a [gossiptest.LocalCluster] measures them: WaitViews
// waits until the members see each other, BroadcastAndWait how many others
// a broadcast reached. A partition then splits the cluster in two and a
// heal lets it merge again; Kill stops one member the way a crash would,
// Live lists the rest, and Close stops them all.
func ExampleStartLocal() {
	network, _ := gossiptest.NewMemNetwork(gossiptest.DefaultMemConfig())
	defer network.Close()
	cfg := gossip.DefaultLocalConfig()
	cfg.Network = network
	lc, err := gossiptest.StartLocal(5, cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer lc.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := lc.WaitViews(ctx, nil, 5); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("members by view size:", lc.Views())
	reach, _, err := lc.BroadcastAndWait(ctx, 0, []byte("hello"))
	fmt.Println("the broadcast reached", reach, "others; error:", err)

	lc.Partition([]int{0, 1}, []int{2, 3, 4})
	lc.WaitViews(ctx, []int{0, 1}, 2)
	lc.WaitViews(ctx, []int{2, 3, 4}, 3)
	fmt.Println("split: members by view size:", lc.Views())
	lc.Heal()
	if _, err := lc.WaitViews(ctx, nil, 5); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("healed: members by view size:", lc.Views())
	if err := lc.Kill(2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("live after killing member 2:", lc.Live())
	// Output:
	// members by view size: map[5:5]
	// the broadcast reached 4 others; error: <nil>
	// split: members by view size: map[2:2 3:3]
	// healed: members by view size: map[5:5]
	// live after killing member 2: [0 1 3 4]
}
