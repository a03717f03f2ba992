package kvstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
	"github.com/netlab-go/netlab/kvstore"
)

// A single node: writes, reads with versions, a delete, and a watch.
func ExampleNode() {
	n, err := kvstore.New(kvstore.DefaultConfig("A"), nil)
	if err != nil {
		panic(err)
	}
	defer n.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := n.Watch(ctx, "sensor/")

	v1, _ := n.Put("sensor/temperature", []byte("25.5"))
	v2, _ := n.Put("sensor/temperature", []byte("26.0"))
	e, _ := n.Get("sensor/temperature")
	fmt.Printf("%s = %s (written by %s, newer than the first write: %v)\n",
		e.Key, e.Value, e.Origin(), v2.Compare(v1) > 0)

	_, _ = n.Delete("sensor/temperature")
	_, err = n.Get("sensor/temperature")
	fmt.Println("after delete:", errors.Is(err, kvstore.ErrNotFound))

	for range 3 {
		ev := <-changes
		fmt.Printf("watch: %s tombstone=%v value=%q\n", ev.Entry.Key, ev.Entry.Tombstone, ev.Entry.Value)
	}
	// Output:
	// sensor/temperature = 26.0 (written by A, newer than the first write: true)
	// after delete: true
	// watch: sensor/temperature tombstone=false value="25.5"
	// watch: sensor/temperature tombstone=false value="26.0"
	// watch: sensor/temperature tombstone=true value=""
}

// Three replicas on gossip's in-memory network that find each other
// through a seed (B and C name A's address, and would keep trying if A were
// not up yet): a write on A is applied on C once the broadcast has reached
// it, and a write with PutAcked answers only once both others hold it.
func ExampleReplica() {
	network, _ := gossiptest.NewMemNetwork(gossiptest.DefaultMemConfig())
	defer network.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()

	var replicas []*kvstore.Replica
	for _, name := range []string{"A", "B", "C"} {
		ccfg := gossip.DefaultLocalConfig()
		ccfg.Network = network
		if len(replicas) > 0 {
			ccfg.Seeds = []string{replicas[0].Cluster.Addr()}
		}
		r, err := kvstore.NewReplica(kvstore.DefaultConfig(name), ccfg)
		if err != nil {
			panic(err)
		}
		replicas = append(replicas, r)
		wg.Go(func() { r.Run(ctx) })
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := replicas[0].WaitMembers(wctx, 3); err != nil {
		panic(err)
	}

	// Watch C, then write on A.
	changes := replicas[2].Watch(ctx, "")
	replicas[0].Put("temperature", []byte("25.5"))
	ev := <-changes
	fmt.Printf("C applied %s=%s, written by %s\n", ev.Entry.Key, ev.Entry.Value, ev.Entry.Origin())

	if _, err := replicas[0].PutAcked(ctx, "humidity", []byte("40"), 2); err != nil {
		panic(err)
	}
	for _, r := range replicas[1:] {
		e, err := r.Get("humidity") // no waiting: the acknowledgement says it is there
		fmt.Println(r.Name(), "reads humidity", string(e.Value), err)
	}
	// Output:
	// C applied temperature=25.5, written by A
	// B reads humidity 40 <nil>
	// C reads humidity 40 <nil>
}
