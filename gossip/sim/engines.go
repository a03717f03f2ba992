package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/netlab-go/netlab/gossip"
)

// MaxEngineNodes bounds [SimulateEngines], which is far slower than [Simulate].
const MaxEngineNodes = 5000

// SimulateEngines runs the same experiment as [Simulate], but with one real
// gossip.Engine per node exchanging encoded messages: every live engine
// steps its round, then the messages are delivered (replies at once), lost
// with probability Loss. It is the check that the fast simulator models the
// engine faithfully; results agree in distribution, not run for run.
//
// One difference is deliberate: messages are delivered one after another, as
// on a real network, so a node that learned a rumor early in a round already
// hands it on when asked later in the same round. Push is unaffected (pushes
// leave only from Round), but pull and push-pull spread faster here than in
// the synchronous model of [Simulate] and of the theory.
func SimulateEngines(cfg Config, seed uint64) (Run, error) {
	if err := cfg.validate(); err != nil {
		return Run{}, err
	}
	if cfg.N > MaxEngineNodes {
		return Run{}, fmt.Errorf("sim: SimulateEngines: Config.N %d above %d", cfg.N, MaxEngineNodes)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	addrs := make([]string, cfg.N)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("node%d", i)
	}
	crashed := make([]bool, cfg.N)
	live := cfg.N
	for _, i := range rng.Perm(cfg.N - 1)[:int(math.Round(cfg.Crashed*float64(cfg.N-1)))] {
		crashed[i+1] = true
		live--
	}
	gcfg := gossip.DefaultConfig()
	gcfg.Mode, gcfg.Fanout, gcfg.Stop = cfg.Mode, cfg.Fanout, cfg.Stop
	gcfg.Interval = time.Second
	gcfg.AntiEntropy = time.Duration(cfg.AntiEntropyEvery) * time.Second
	gcfg.Expiry = 24 * time.Hour
	gcfg.Peers = addrs
	gcfg.Seed = seed
	engines := make(map[string]*gossip.Engine, cfg.N)
	index := make(map[string]int, cfg.N)
	for i, a := range addrs {
		e, err := gossip.NewEngine(gcfg, a)
		if err != nil {
			return Run{}, err
		}
		engines[a], index[a] = e, i
	}
	now := time.Unix(0, 0)
	id, err := engines[addrs[0]].Publish(now, []byte("rumor"))
	if err != nil {
		return Run{}, err
	}
	run := Run{Seed: seed, FullAt: -1, Live: live, Coverage: []float64{1 / float64(live)}}
	var deliver func(from string, env gossip.Envelope)
	deliver = func(from string, env gossip.Envelope) {
		run.Messages++
		if (cfg.Loss > 0 && rng.Float64() < cfg.Loss) || crashed[index[env.To]] {
			return
		}
		replies, _ := engines[env.To].Receive(now, from, env.Msg)
		for _, r := range replies {
			deliver(env.To, r)
		}
	}
	informed := 1
	for r := 1; r <= cfg.MaxRounds && run.FullAt < 0; r++ {
		now = now.Add(time.Second)
		type sent struct {
			from string
			env  gossip.Envelope
		}
		var round []sent
		anyHot := false
		for i, a := range addrs {
			if crashed[i] {
				continue
			}
			anyHot = anyHot || engines[a].Hot() > 0
			for _, env := range engines[a].Round(now) {
				round = append(round, sent{a, env})
			}
		}
		for _, s := range round {
			deliver(s.from, s.env)
		}
		informed = 0
		for i, a := range addrs {
			if !crashed[i] && engines[a].Known(id) {
				informed++
			}
		}
		run.Rounds = r
		run.Coverage = append(run.Coverage, float64(informed)/float64(live))
		if informed == live {
			run.FullAt = r
		}
		if !anyHot && cfg.AntiEntropyEvery == 0 {
			break
		}
	}
	run.MessagesPerNode = float64(run.Messages) / float64(live)
	run.Residue = float64(live-informed) / float64(live)
	return run, nil
}
