package gossiptest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/netlab-go/netlab/gossip"
)

// LocalCluster is n [gossip.Cluster] members in one process, on loopback
// sockets or on a [MemNetwork]: the harness behind the gossip-cluster
// example, the tour and the benchmarks. It records which broadcasts each member delivered, so
// that reach and latency can be measured.
type LocalCluster struct {
	// Members holds every member started, in order; killed ones stay in
	// place (see [LocalCluster.Live]).
	Members []*gossip.Cluster
	// Network is the [MemNetwork] the members run on, or nil on sockets (or
	// on another [gossip.Network]).
	Network *MemNetwork

	mu        sync.Mutex
	killed    map[int]bool
	delivered map[string]map[int]time.Time // payload → member index → when
	changed   chan struct{}
}

// StartLocal starts n members with cfg (Name and OnMessage are set per
// member: names are m000, m001, ...), each joining up to three members
// started before it (retrying a few times, as a busy seed may time out), and
// returns when the joins are done; use [LocalCluster.WaitViews] to wait for
// convergence. Set cfg.Network to a [MemNetwork] to run in memory, or leave
// it nil for loopback sockets.
func StartLocal(n int, cfg gossip.ClusterConfig) (*LocalCluster, error) {
	if n < 1 {
		return nil, fmt.Errorf("gossiptest: StartLocal: n %d must be at least 1", n)
	}
	mem, _ := cfg.Network.(*MemNetwork)
	lc := &LocalCluster{Network: mem, killed: map[int]bool{}, delivered: map[string]map[int]time.Time{}, changed: make(chan struct{})}
	user := cfg.OnMessage
	for i := range n {
		c := cfg
		c.Name = fmt.Sprintf("m%03d", i)
		c.OnMessage = func(m gossip.ClusterMessage) {
			lc.record(i, m)
			if user != nil {
				user(m)
			}
		}
		member, err := gossip.NewCluster(c)
		if err != nil {
			lc.Close()
			return nil, err
		}
		lc.Members = append(lc.Members, member)
		if i > 0 {
			if err := lc.join(member, i); err != nil {
				lc.Close()
				return nil, fmt.Errorf("gossiptest: StartLocal: member %d: %w", i, err)
			}
		}
	}
	return lc, nil
}

// join joins member i through up to three random earlier members.
func (lc *LocalCluster) join(member *gossip.Cluster, i int) error {
	var err error
	for attempt := range 5 {
		var seeds []string
		for _, j := range rand.Perm(i)[:min(3, i)] {
			seeds = append(seeds, lc.Members[j].Addr())
		}
		if _, err = member.Join(seeds); err == nil {
			return nil
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
	return err
}

func (lc *LocalCluster) record(i int, m gossip.ClusterMessage) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	key := string(m.Data)
	if lc.delivered[key] == nil {
		lc.delivered[key] = map[int]time.Time{}
	}
	if _, ok := lc.delivered[key][i]; !ok {
		lc.delivered[key][i] = time.Now()
	}
	close(lc.changed)
	lc.changed = make(chan struct{})
}

// Live returns the indexes of the members not killed.
func (lc *LocalCluster) Live() []int {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	var live []int
	for i := range lc.Members {
		if !lc.killed[i] {
			live = append(live, i)
		}
	}
	return live
}

// Views counts the live members by the size of their membership view:
// Views()[k] is how many live members see k members.
func (lc *LocalCluster) Views() map[int]int {
	views := map[int]int{}
	for _, i := range lc.Live() {
		views[lc.Members[i].NumMembers()]++
	}
	return views
}

// WaitViews waits until each of the given members (all live ones if nil)
// sees want members, and returns how long that took.
func (lc *LocalCluster) WaitViews(ctx context.Context, members []int, want int) (time.Duration, error) {
	if members == nil {
		members = lc.Live()
	}
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		done := true
		for _, i := range members {
			if lc.Members[i].NumMembers() != want {
				done = false
				break
			}
		}
		if done {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return time.Since(start), fmt.Errorf("gossiptest: views did not converge to %d members (now %v): %w", want, lc.Views(), ctx.Err())
		case <-tick.C:
		}
	}
}

// BroadcastAndWait broadcasts payload (which should be unique) from member
// from and waits until every other live member delivered it or ctx ends.
// It returns how many members delivered it and when the last one did,
// measured from the broadcast.
func (lc *LocalCluster) BroadcastAndWait(ctx context.Context, from int, payload []byte) (reach int, took time.Duration, err error) {
	start := time.Now()
	if err := lc.Members[from].Broadcast(payload); err != nil {
		return 0, 0, err
	}
	want := len(lc.Live()) - 1
	for {
		lc.mu.Lock()
		got := lc.delivered[string(payload)]
		reach, last := 0, start
		for i, at := range got {
			if !lc.killed[i] {
				reach++
				if at.After(last) {
					last = at
				}
			}
		}
		changed := lc.changed
		lc.mu.Unlock()
		if reach >= want {
			return reach, last.Sub(start), nil
		}
		select {
		case <-ctx.Done():
			return reach, last.Sub(start), fmt.Errorf("gossiptest: broadcast reached %d of %d: %w", reach, want, ctx.Err())
		case <-changed:
		}
	}
}

// Kill stops member i abruptly (no leave message), as a crash would.
func (lc *LocalCluster) Kill(i int) error {
	lc.mu.Lock()
	lc.killed[i] = true
	lc.mu.Unlock()
	return lc.Members[i].Close()
}

// Partition splits the live members into the given groups of indexes
// (members in no group form one more group). It needs a [MemNetwork].
func (lc *LocalCluster) Partition(groups ...[]int) error {
	if lc.Network == nil {
		return errors.New("gossiptest: Partition needs the members on a MemNetwork")
	}
	var addrs [][]string
	for _, g := range groups {
		var a []string
		for _, i := range g {
			a = append(a, lc.Members[i].Addr())
		}
		addrs = append(addrs, a)
	}
	lc.Network.Partition(addrs...)
	return nil
}

// Heal removes the partition.
func (lc *LocalCluster) Heal() {
	if lc.Network != nil {
		lc.Network.Heal()
	}
}

// Close closes every member (without leaving).
func (lc *LocalCluster) Close() error {
	var errs []error
	for _, m := range lc.Members {
		errs = append(errs, m.Close())
	}
	return errors.Join(errs...)
}
