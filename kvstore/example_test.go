package kvstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"

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

// Three replicas on gossip's in-memory network: a write on A is read on B
// and C once the broadcast has reached them.
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
		r, err := kvstore.NewReplica(kvstore.DefaultConfig(name), ccfg)
		if err != nil {
			panic(err)
		}
		if len(replicas) > 0 {
			r.Join([]string{replicas[0].Cluster.Addr()})
		}
		replicas = append(replicas, r)
		wg.Go(func() { r.Run(ctx) })
	}

	// Watch C, then write on A.
	changes := replicas[2].Watch(ctx, "")
	replicas[0].Put("temperature", []byte("25.5"))
	ev := <-changes
	fmt.Printf("C applied %s=%s, written by %s\n", ev.Entry.Key, ev.Entry.Value, ev.Entry.Origin())
	e, _ := replicas[2].Get("temperature")
	fmt.Printf("C reads %s\n", e.Value)
	// Output:
	// C applied temperature=25.5, written by A
	// C reads 25.5
}
