package gossiptest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
)

// ExampleLocalCluster runs three [gossip.Cluster] members in one process
// on real loopback sockets ([gossip.DefaultLocalConfig] binds 127.0.0.1 on
// free ports): [gossiptest.StartLocal] starts and joins them, WaitViews
// waits until every member sees all three, and BroadcastAndWait measures
// how many others a broadcast reached. Kill stops one member the way a
// crash would; Live lists the rest. Close stops them all.
func ExampleLocalCluster() {
	lc, err := gossiptest.StartLocal(3, gossip.DefaultLocalConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer lc.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := lc.WaitViews(ctx, nil, 3); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("on sockets:", lc.Network == nil, "- members by view size:", lc.Views())
	reach, _, err := lc.BroadcastAndWait(ctx, 0, []byte("hello"))
	fmt.Println("the broadcast reached", reach, "others; error:", err)

	if err := lc.Kill(2); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("live after killing member 2:", lc.Live())
	// Output:
	// on sockets: true - members by view size: map[3:3]
	// the broadcast reached 2 others; error: <nil>
	// live after killing member 2: [0 1]
}
