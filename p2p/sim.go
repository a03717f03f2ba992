package p2p

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// SimConfig configures [RunSim]: a whole overlay in one process on loopback.
type SimConfig struct {
	Seeds int // seed nodes
	Peers int // peers, started one after another as in a growing network
	Kill  int // peers killed once the overlay has settled
	// CourseCapacity applies the course's capacity rule to peer i
	// (CourseCapacity(i)); otherwise capacity is unlimited.
	CourseCapacity bool
	// Peer is the template for every peer's [Config]: intervals, Neighbours,
	// Sample, logger. Addr, Seeds, ID, Capacity and Rand are set per peer.
	Peer Config
	// Seed is the template for every seed's [SeedConfig].
	Seed SeedConfig
	// RandSeed makes the run's random choices repeatable (up to timing).
	RandSeed uint64
	// Progress, if set, is told what is happening, a line at a time.
	Progress func(format string, args ...any)
	// OnJoin, if set, is called after each peer has joined, with the number
	// joined so far and the total, for a progress bar; it replaces the
	// Progress lines that count joins.
	OnJoin func(joined, total int)
}

// DefaultSimConfig is the course's sim (3 seeds, 100 peers, 5 killed) with
// every interval shortened 25-fold (liveness every 520 ms) so that it finishes
// in seconds yet tolerates a loaded machine: much shorter liveness intervals
// make slow replies look like deaths.
func DefaultSimConfig() SimConfig {
	p := DefaultConfig().Fast(0.04)
	return SimConfig{Seeds: 3, Peers: 100, Kill: 5, Peer: p, Seed: DefaultSeedConfig(), RandSeed: 1}
}

// SimResult is what a simulation measured.
type SimResult struct {
	Settled  Overlay // the overlay once every peer joined, before the kills
	After    Overlay // the overlay after the killed peers were replaced
	Alpha    float64 // power-law exponent of Settled's degrees (MLE, k ≥ KMin)
	AlphaN   int     // degrees used by the fit
	KMin     int
	Killed   []netip.AddrPort
	Detected []time.Duration // per killed peer: until every seed had removed it
	// Bound is the detection target: (LivenessFailures+1) liveness intervals.
	Bound time.Duration
	// Gossip is the number of first-time gossip deliveries over all peers.
	Gossip int
	// JoinTime is how long starting all the peers took.
	JoinTime time.Duration
	// Joined is how many peers joined; less than Peers when the run was
	// stopped or failed while they were starting.
	Joined int
}

// RunSim starts cfg.Seeds seeds and cfg.Peers peers on 127.0.0.1, waits for
// the overlay to settle, kills cfg.Kill random peers and waits until every
// seed has removed them and no survivor lists them. Everything it started is
// stopped before it returns. When ctx ends or a step fails, [RunSim] returns
// the error with what it had measured so far (a non-nil result, except when
// cfg is invalid).
func RunSim(ctx context.Context, cfg SimConfig) (*SimResult, error) {
	if cfg.Seeds < 1 || cfg.Peers < 2 || cfg.Kill < 0 || cfg.Kill >= cfg.Peers {
		return nil, fmt.Errorf("p2p: SimConfig: want Seeds ≥ 1, Peers ≥ 2 and 0 ≤ Kill < Peers, got %d, %d, %d",
			cfg.Seeds, cfg.Peers, cfg.Kill)
	}
	say := cfg.Progress
	if say == nil {
		say = func(string, ...any) {}
	}
	rnd := rand.New(rand.NewPCG(cfg.RandSeed, 0x5eed))
	var run runner
	defer run.stopAll()
	res := &SimResult{KMin: cfg.Peer.Neighbours}

	var seeds []*Seed
	for range cfg.Seeds {
		s, err := NewSeed(cfg.Seed)
		if err != nil {
			return res, err
		}
		seeds = append(seeds, s)
		run.start(s.Run)
	}
	say("%d seeds up", len(seeds))

	start := time.Now()
	var peers []*Peer
	var stops []context.CancelFunc
	for i := range cfg.Peers {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		pc := cfg.Peer
		pc.Addr = "127.0.0.1:0"
		pc.Seeds = nil
		for _, s := range seeds {
			pc.Seeds = append(pc.Seeds, s.Addr())
		}
		pc.ID = i
		if cfg.CourseCapacity {
			pc.Capacity = CourseCapacity(i)
		}
		pc.Rand = rand.New(rand.NewPCG(rnd.Uint64(), uint64(i)))
		p, err := NewPeer(pc)
		if err != nil {
			return res, err
		}
		stops = append(stops, run.start(p.Run))
		peers = append(peers, p)
		select {
		case <-p.Joined():
		case <-ctx.Done():
			return res, ctx.Err()
		case <-time.After(10*pc.RefreshInterval + 30*time.Second): // generous: a loaded machine is slow, not broken
			return res, fmt.Errorf("p2p: sim: peer %d (%v) did not join", i, p.Addr())
		}
		res.Joined = i + 1
		if cfg.OnJoin != nil {
			cfg.OnJoin(i+1, cfg.Peers)
		}
		if cfg.OnJoin == nil && ((i+1)%max(cfg.Peers/10, 1) == 0 || i+1 == cfg.Peers) {
			say("%d/%d peers joined", i+1, cfg.Peers)
		}
	}
	res.JoinTime = time.Since(start)

	if err := settle(ctx, peers, seeds, cfg, say); err != nil {
		return res, err
	}
	res.Settled = Snapshot(peers)
	res.Alpha, res.AlphaN = PowerLawMLE(res.Settled.Degrees(), res.KMin)
	say("overlay settled: %d links, power-law exponent %.2f", len(res.Settled.Edges), res.Alpha)

	res.Bound = time.Duration(cfg.Peer.LivenessFailures+1) * cfg.Peer.LivenessInterval
	victims := rnd.Perm(len(peers))[:cfg.Kill]
	killedAt := time.Now()
	dead := map[netip.AddrPort]bool{}
	for _, v := range victims {
		stops[v]()
		res.Killed = append(res.Killed, peers[v].Addr())
		dead[peers[v].Addr()] = true
	}
	if cfg.Kill > 0 {
		say("killed %d peers; waiting for their neighbours to notice", cfg.Kill)
	}
	var survivors []*Peer
	for _, p := range peers {
		if !dead[p.Addr()] {
			survivors = append(survivors, p)
		}
	}
	detected, err := awaitRemoval(ctx, res.Killed, killedAt, seeds, survivors, 10*res.Bound+30*time.Second)
	res.Detected = detected
	if err != nil {
		return res, err
	}
	res.After = Snapshot(survivors)
	for _, p := range survivors {
		res.Gossip += p.Stats().GossipReceived
	}
	say("dead peers removed from every seed and neighbour table")
	return res, nil
}

// settle waits until every peer has a neighbour and every seed knows every
// peer, or a while has passed.
func settle(ctx context.Context, peers []*Peer, seeds []*Seed, cfg SimConfig, say func(string, ...any)) error {
	deadline := time.Now().Add(3*cfg.Peer.RefreshInterval + 2*time.Second)
	say("waiting for the overlay to settle (every peer linked and known to a majority of seeds)")
	next := time.Now().Add(500 * time.Millisecond)
	for {
		lonely, unknown := 0, 0
		for _, p := range peers {
			if len(p.Neighbours()) == 0 {
				lonely++
			}
		}
		need := Majority(len(seeds))
		for _, p := range peers {
			if n := registeredAt(seeds, p.Addr()); n < need {
				unknown++
			}
		}
		if lonely == 0 && unknown == 0 {
			return nil
		}
		if time.Now().After(next) {
			say("settling: %d peers without neighbours, %d not yet known to a majority of seeds", lonely, unknown)
			next = time.Now().Add(500 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			say("settling: %d peers still without neighbours, %d not known to a majority of seeds; going on", lonely, unknown)
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// awaitRemoval waits until each killed peer is gone from every seed and every
// survivor's neighbours, and returns how long the seeds took for each.
func awaitRemoval(ctx context.Context, killed []netip.AddrPort, at time.Time, seeds []*Seed, survivors []*Peer, limit time.Duration) ([]time.Duration, error) {
	took := make([]time.Duration, len(killed))
	gone := make([]bool, len(killed))
	deadline := at.Add(limit)
	for {
		left := 0
		for i, k := range killed {
			if !gone[i] {
				if inAnyRegistry(seeds, k) {
					left++
					continue
				}
				gone[i], took[i] = true, time.Since(at)
			}
		}
		lingering := 0
		for _, p := range survivors {
			for _, n := range p.Neighbours() {
				if slices.Contains(killed, n) {
					lingering++
				}
			}
		}
		if left == 0 && lingering == 0 {
			return took, nil
		}
		if time.Now().After(deadline) {
			return took, fmt.Errorf("p2p: sim: after %v, %d dead peers still registered and %d links to them remain",
				limit, left, lingering)
		}
		select {
		case <-ctx.Done():
			return took, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func registeredAt(seeds []*Seed, a netip.AddrPort) int {
	n := 0
	for _, s := range seeds {
		if slices.Contains(s.Registry().Peers(), a) {
			n++
		}
	}
	return n
}

func inAnyRegistry(seeds []*Seed, a netip.AddrPort) bool {
	for _, s := range seeds {
		for _, p := range s.Registry().Peers() {
			if p == a {
				return true
			}
		}
	}
	return false
}

// runner runs components and stops them all.
type runner struct {
	mu    sync.Mutex
	wg    sync.WaitGroup
	stops []context.CancelFunc
	errs  []error
}

func (r *runner) start(run func(context.Context) error) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	r.mu.Lock()
	r.stops = append(r.stops, cancel)
	r.mu.Unlock()
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		if err := run(ctx); err != nil {
			r.mu.Lock()
			r.errs = append(r.errs, err)
			r.mu.Unlock()
		}
	}()
	return cancel
}

func (r *runner) stopAll() error {
	r.mu.Lock()
	for _, s := range r.stops {
		s()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return errors.Join(r.errs...)
}
