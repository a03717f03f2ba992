// Command gossip-cluster runs a gossip cluster (gossip.Cluster on
// hashicorp/memberlist) in one process and puts it through its paces: the
// members join, one broadcasts, some are killed, the rest are partitioned in
// two and healed. It prints the membership views and how long each step
// took to converge.
//
//	go run ./examples/gossip-cluster                 # -local 20 on an in-memory network
//	go run ./examples/gossip-cluster -local 50 -loss 0.1 -kill 5
//	go run ./examples/gossip-cluster -local 10 -udp  # real loopback sockets (no partition step)
//	go run ./examples/gossip-cluster -key "$(head -c 32 /dev/urandom | base64)"
//
// -key (or -keyring FILE, one base64 key per line) encrypts every member's
// gossip with memberlist's AES-GCM keyring; without it gossip is plain and
// anyone who can reach a member can join and inject messages.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
	"github.com/netlab-go/netlab/internal/cli"
	"github.com/netlab-go/netlab/internal/gossipkeys"
)

const synopsis = `usage: gossip-cluster [-local N] [-kill K] [-loss P | -udp] [-key K | -keyring FILE] [-timeout D]

Starts N gossip members in this process, broadcasts, kills some, partitions
the rest and heals them, and prints how long each step took to converge.`

func main() {
	cmd := cli.New("gossip-cluster", synopsis)
	f := cmd.Flags
	local := f.Int("local", 20, "start this many members in one process (2 to 500)")
	kill := f.Int("kill", 3, "members to kill (crash, no leave); at least 2 must survive")
	loss := f.Float64("loss", 0, "packet loss on the in-memory network (0 to 0.5)")
	udp := f.Bool("udp", false, "use loopback UDP/TCP sockets instead of the in-memory network (no partition step)")
	key := f.String("key", "", "base64 AES key (16, 24 or 32 bytes) that encrypts the cluster")
	keyring := f.String("keyring", "", "file of base64 keys, one per line, the first encrypting (instead of -key)")
	timeout := f.Duration("timeout", 2*time.Minute, "give up after this long")
	cmd.Parse(os.Args[1:])
	cmd.NoArgs()

	errs := []error{
		cli.IntRange("local", *local, 2, 500),
		cli.IntRange("kill", *kill, 0, max(0, *local-2)),
		cli.FloatRange("loss", *loss, 0, 0.5),
		cli.DurationRange("timeout", *timeout, time.Second, 24*time.Hour),
	}
	if *udp && *loss != 0 {
		errs = append(errs, fmt.Errorf("flag -loss: value %g: loss needs the in-memory network; drop -udp or -loss", *loss))
	}
	keys, err := gossipkeys.FromFlags(*key, *keyring)
	errs = append(errs, err)
	cmd.Check(errs...)

	ctx, stop := cmd.Context()
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	err = run(ctx, *local, *kill, *loss, *udp, keys)
	if err != nil && ctx.Err() != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			cmd.Failf("gave up after -timeout %v: %v", *timeout, err)
		}
		cmd.Failf("interrupted before the run finished: %v", err)
	}
	cmd.Fail(err)
}

func run(ctx context.Context, n, kill int, loss float64, udp bool, keys [][]byte) error {
	cfg := gossip.DefaultLocalConfig()
	where := "loopback sockets"
	if !udp {
		mcfg := gossiptest.DefaultMemConfig()
		mcfg.Loss = loss
		network, err := gossiptest.NewMemNetwork(mcfg)
		if err != nil {
			return err
		}
		defer network.Close()
		cfg.Network = network
		where = fmt.Sprintf("an in-memory network with %.0f%% loss", 100*loss)
	}
	cfg.Keys = keys
	if len(keys) > 0 {
		where += fmt.Sprintf(", encrypted (%d-bit AES-GCM)", 8*len(keys[0]))
	}

	fmt.Printf("starting %d members on %s ...\n", n, where)
	start := time.Now()
	lc, err := gossiptest.StartLocal(n, cfg)
	if err != nil {
		return err
	}
	defer lc.Close()
	fmt.Printf("  joins finished in %v\n", time.Since(start).Round(time.Millisecond))
	took, err := lc.WaitViews(ctx, nil, n)
	if err != nil {
		return err
	}
	fmt.Printf("  every member sees all %d after %v more   views: %s\n", n, took.Round(time.Millisecond), views(lc))

	fmt.Println("broadcasting 5 messages from random members ...")
	for i := range 5 {
		from := (i * 7) % n
		reach, took, err := lc.BroadcastAndWait(ctx, from, fmt.Appendf(nil, "news #%d from m%03d", i, from))
		if err != nil {
			return err
		}
		fmt.Printf("  broadcast %d from m%03d reached %d of %d in %v\n", i, from, reach, n-1, took.Round(time.Millisecond))
	}
	big := make([]byte, 20000)
	reach, took, err := lc.BroadcastAndWait(ctx, 1, big)
	if err != nil {
		return err
	}
	fmt.Printf("  a 20 kB broadcast (announced by gossip, fetched over streams) reached %d of %d in %v\n", reach, n-1, took.Round(time.Millisecond))

	fmt.Printf("killing %d members (no goodbye) ...\n", kill)
	for i := n - kill; i < n; i++ {
		if err := lc.Kill(i); err != nil {
			return err
		}
	}
	survivors := n - kill
	took, err = lc.WaitViews(ctx, nil, survivors)
	if err != nil {
		return err
	}
	fmt.Printf("  failure detected: every survivor sees %d after %v (configured bound %v)   views: %s\n",
		survivors, took.Round(time.Millisecond), cfg.DetectionTime(n).Round(time.Millisecond), views(lc))

	if udp {
		fmt.Println("(partition step needs the in-memory network; run without -udp)")
		return nil
	}
	live := lc.Live()
	half := len(live) / 2
	a, b := live[:half], live[half:]
	fmt.Printf("partitioning the survivors into %d | %d ...\n", len(a), len(b))
	if err := lc.Partition(a, b); err != nil {
		return err
	}
	t1, err := lc.WaitViews(ctx, a, len(a))
	if err != nil {
		return err
	}
	t2, err := lc.WaitViews(ctx, b, len(b))
	if err != nil {
		return err
	}
	fmt.Printf("  the halves gave each other up after %v   views: %s\n", max(t1, t2).Round(time.Millisecond), views(lc))
	fmt.Println("healing the partition ...")
	lc.Heal()
	took, err = lc.WaitViews(ctx, nil, survivors)
	if err != nil {
		return err
	}
	fmt.Printf("  one view of %d members again after %v   views: %s\n", survivors, took.Round(time.Millisecond), views(lc))
	reach, took, err = lc.BroadcastAndWait(ctx, live[0], []byte("after the heal"))
	if err != nil {
		return err
	}
	fmt.Printf("  a broadcast after the heal reached %d of %d in %v\n", reach, survivors-1, took.Round(time.Millisecond))

	var drops, reconnects uint64
	for _, i := range lc.Live() {
		s := lc.Members[i].Stats()
		drops += s.QueueDrops + s.InboxDrops + s.TransportDrops
		reconnects += s.Reconnects
	}
	fmt.Printf("done: %d successful reconnections to failed members, %d messages dropped by full queues\n", reconnects, drops)
	return nil
}

// views renders "N members seen by K" for each view size.
func views(lc *gossiptest.LocalCluster) string {
	v := lc.Views()
	sizes := make([]int, 0, len(v))
	for s := range v {
		sizes = append(sizes, s)
	}
	sort.Ints(sizes)
	var parts []string
	for _, s := range sizes {
		parts = append(parts, fmt.Sprintf("%d×%d", v[s], s))
	}
	return "[" + strings.Join(parts, " ") + "] (members × view size)"
}
