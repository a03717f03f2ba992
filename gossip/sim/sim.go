// Package sim simulates rumor spreading round by round for up to hundreds of
// thousands of nodes, with packet loss and crashed nodes, using the same
// modes and stopping rules (gossip.StopRule, gossip.RumorState) as the
// gossip.Engine. It answers the questions of the epidemic theory in the
// gossip package documentation by experiment: how many rounds until every
// live node knows, how many messages that costs per node, and how many
// nodes are never reached (the residue).
//
// The model is Demers' synchronous one: in each round every live node acts
// on what was true at the start of the round, contacts Fanout peers chosen
// uniformly at random (crashed ones included, since nobody knows they are
// crashed), and those who learn the rumor in a round start spreading it in
// the next. Each message is lost independently with probability Loss. One
// rumor starts at node 0.
//
// Messages are counted as the Engine sends them: a push to each target of a
// hot node; a pull request from every node every round, and a reply when the
// peer has something the asker lacks (or feedback to give); a push-pull
// request from every node every round, and a reply likewise; for
// anti-entropy a digest, a reply when the two differ, and the rumor when the
// asker had it.
//
// The figures in gossip's documentation come from
// BenchmarkRoundsToFullCoverage here. The coverage charts are drawn by
// package [github.com/netlab-go/netlab/gossip/sim/chart], so that sim itself
// does not depend on a plotting library.
package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/netlab-go/netlab/gossip"
)

// Config describes one experiment.
type Config struct {
	N      int         // nodes, at least 2
	Mode   gossip.Mode // push, pull or push-pull
	Fanout int         // peers contacted per round
	Stop   gossip.StopRule
	// AntiEntropyEvery runs a full-state exchange with one random peer every
	// this many rounds (0: never).
	AntiEntropyEvery int
	Loss             float64 // probability that a message is lost, [0,1)
	Crashed          float64 // fraction of nodes crashed from the start, [0,1)
	MaxRounds        int     // give up after this many rounds
}

// DefaultConfig returns push-pull with fanout 1 that never stops spreading
// (the Karp et al. setting) on 10,000 nodes.
func DefaultConfig() Config {
	return Config{N: 10000, Mode: gossip.PushPull, Fanout: 1, Stop: gossip.AfterRounds(1000), MaxRounds: 200}
}

// FromGossip returns the simulation of a gossip.Config on n nodes:
// anti-entropy every AntiEntropy/Interval rounds.
func FromGossip(c gossip.Config, n int) Config {
	ae := 0
	if c.AntiEntropy > 0 {
		ae = max(1, int(c.AntiEntropy/c.Interval))
	}
	return Config{N: n, Mode: c.Mode, Fanout: c.Fanout, Stop: c.Stop, AntiEntropyEvery: ae, MaxRounds: 200}
}

func (c Config) validate() error {
	switch {
	case c.N < 2:
		return fmt.Errorf("sim: Config.N %d must be at least 2", c.N)
	case c.N > 1<<24:
		return fmt.Errorf("sim: Config.N %d above the limit of %d", c.N, 1<<24)
	case c.Mode < gossip.Push || c.Mode > gossip.PushPull:
		return fmt.Errorf("sim: Config.Mode %d unknown", c.Mode)
	case c.Fanout < 1 || c.Fanout >= c.N:
		return fmt.Errorf("sim: Config.Fanout %d not in [1,N)", c.Fanout)
	case c.AntiEntropyEvery < 0:
		return fmt.Errorf("sim: Config.AntiEntropyEvery %d is negative", c.AntiEntropyEvery)
	case c.Loss < 0 || c.Loss >= 1:
		return fmt.Errorf("sim: Config.Loss %v not in [0,1)", c.Loss)
	case c.Crashed < 0 || c.Crashed >= 1:
		return fmt.Errorf("sim: Config.Crashed %v not in [0,1)", c.Crashed)
	case c.MaxRounds < 1:
		return fmt.Errorf("sim: Config.MaxRounds %d must be at least 1", c.MaxRounds)
	}
	switch s := c.Stop; s.Kind {
	case gossip.StopCoin:
		if s.P < 0 || s.P >= 1 {
			return fmt.Errorf("sim: Config.Stop: coin probability %v not in [0,1)", s.P)
		}
	case gossip.StopFeedback:
		if s.K < 1 {
			return fmt.Errorf("sim: Config.Stop: feedback K %d must be at least 1", s.K)
		}
	case gossip.StopRounds:
		if s.Rounds < 1 {
			return fmt.Errorf("sim: Config.Stop: Rounds %d must be at least 1", s.Rounds)
		}
	default:
		return fmt.Errorf("sim: Config.Stop: unknown kind %d", s.Kind)
	}
	return nil
}

// Run is the outcome of one simulated spread.
type Run struct {
	Seed uint64
	// Rounds is how many rounds were simulated.
	Rounds int
	// FullAt is the first round after which every live node knew the rumor,
	// or -1 if that never happened.
	FullAt int
	// Coverage[r] is the fraction of live nodes that knew the rumor after
	// round r (Coverage[0] is the start: one node).
	Coverage []float64
	// Messages is the number of messages sent, lost ones included.
	Messages int64
	// MessagesPerNode is Messages divided by the live nodes.
	MessagesPerNode float64
	// Residue is the fraction of live nodes that never learned the rumor.
	Residue float64
	// Live is the number of nodes that did not crash.
	Live int
}

// state is the per-node data of one run, in flat slices for speed.
type state struct {
	cfg     Config
	rng     *rand.Rand
	crashed []bool
	known   []bool
	pending []bool // learns this round; known from the next
	hot     []bool // snapshot of st[i].Hot at the start of the round
	st      []gossip.RumorState
	learned []int32
	msgs    int64
	targets []int
}

// Simulate runs one spread with the given seed. The same config and seed
// always give the same [Run].
func Simulate(cfg Config, seed uint64) (Run, error) {
	if err := cfg.validate(); err != nil {
		return Run{}, err
	}
	s := &state{
		cfg:     cfg,
		rng:     rand.New(rand.NewPCG(seed, 0x5eed)),
		crashed: make([]bool, cfg.N),
		known:   make([]bool, cfg.N),
		pending: make([]bool, cfg.N),
		hot:     make([]bool, cfg.N),
		st:      make([]gossip.RumorState, cfg.N),
		targets: make([]int, 0, cfg.Fanout),
	}
	live := cfg.N
	for _, i := range s.rng.Perm(cfg.N - 1)[:int(math.Round(cfg.Crashed*float64(cfg.N-1)))] {
		s.crashed[i+1] = true // node 0, the origin, stays up
		live--
	}
	s.known[0] = true
	s.st[0].Hot = true
	informed := 1
	run := Run{Seed: seed, FullAt: -1, Live: live, Coverage: []float64{1 / float64(live)}}
	if informed == live {
		run.FullAt = 0
	}
	for r := 1; r <= cfg.MaxRounds && run.FullAt < 0; r++ {
		anyHot := s.round(r)
		informed += len(s.learned)
		run.Rounds = r
		run.Coverage = append(run.Coverage, float64(informed)/float64(live))
		if informed == live {
			run.FullAt = r
		}
		if !anyHot && cfg.AntiEntropyEvery == 0 {
			break // nobody spreads any more: what is left is the residue
		}
	}
	run.Messages = s.msgs
	run.MessagesPerNode = float64(s.msgs) / float64(live)
	run.Residue = float64(live-informed) / float64(live)
	return run, nil
}

// round simulates round r and reports whether any node is still hot.
func (s *state) round(r int) bool {
	cfg := s.cfg
	for i := range s.st {
		s.hot[i] = s.st[i].Hot
	}
	s.learned = s.learned[:0]
	feedback := cfg.Stop.Kind == gossip.StopFeedback
	for i := range cfg.N {
		if s.crashed[i] {
			continue
		}
		switch cfg.Mode {
		case gossip.Push:
			if s.hot[i] {
				for _, j := range s.pick(i) {
					s.push(i, j, feedback)
				}
			}
		case gossip.Pull:
			for _, j := range s.pick(i) {
				s.msgs++ // request with digest
				if s.lost() || s.crashed[j] || !s.hot[j] {
					continue
				}
				if s.known[i] {
					cfg.Stop.OnFeedback(&s.st[j])
					continue
				}
				s.msgs++ // reply with the rumor
				if !s.lost() {
					s.learn(i)
				}
			}
		case gossip.PushPull:
			for _, j := range s.pick(i) {
				s.pushPull(i, j, feedback)
			}
		}
	}
	if ae := cfg.AntiEntropyEvery; ae > 0 && r%ae == 0 {
		for i := range cfg.N {
			if !s.crashed[i] {
				s.antiEntropy(i, s.peer(i))
			}
		}
	}
	anyHot := false
	for i := range cfg.N {
		if s.hot[i] {
			cfg.Stop.AfterRound(&s.st[i], s.rng)
		}
		if s.pending[i] {
			s.pending[i] = false
			s.known[i] = true
			s.st[i] = gossip.RumorState{Hot: true}
		}
		anyHot = anyHot || s.st[i].Hot
	}
	return anyHot
}

func (s *state) push(i, j int, feedback bool) {
	s.msgs++
	if s.lost() || s.crashed[j] {
		return
	}
	if s.known[j] || s.pending[j] {
		if feedback {
			s.msgs++ // reply: "I knew it"
			if !s.lost() {
				s.cfg.Stop.OnFeedback(&s.st[i])
			}
		}
		return
	}
	s.learn(j)
}

func (s *state) pushPull(i, j int, feedback bool) {
	s.msgs++ // request: hot rumors and digest
	if s.lost() || s.crashed[j] {
		return
	}
	iKnew := s.known[i]
	jKnew := s.known[j] || s.pending[j]
	fb := false // j will tell i that it already knew i's rumor
	if s.hot[i] {
		if jKnew {
			fb = feedback
		} else {
			s.learn(j)
		}
	}
	give := false
	if s.hot[j] {
		if iKnew {
			s.cfg.Stop.OnFeedback(&s.st[j])
		} else {
			give = true
		}
	}
	if !give && !fb {
		return
	}
	s.msgs++ // reply
	if s.lost() {
		return
	}
	if give {
		s.learn(i)
	}
	if fb {
		s.cfg.Stop.OnFeedback(&s.st[i])
	}
}

func (s *state) antiEntropy(i, j int) {
	s.msgs++ // digest
	if s.lost() || s.crashed[j] || s.known[i] == s.known[j] {
		return
	}
	s.msgs++ // sync: the rumor, or a want list
	if s.lost() {
		return
	}
	if s.known[j] {
		s.learn(i)
		return
	}
	s.msgs++ // the wanted rumor
	if !s.lost() {
		s.learn(j)
	}
}

func (s *state) learn(i int) {
	if !s.known[i] && !s.pending[i] {
		s.pending[i] = true
		s.learned = append(s.learned, int32(i))
	}
}

func (s *state) lost() bool { return s.cfg.Loss > 0 && s.rng.Float64() < s.cfg.Loss }

// peer returns a uniformly random node other than i.
func (s *state) peer(i int) int {
	j := s.rng.IntN(s.cfg.N - 1)
	if j >= i {
		j++
	}
	return j
}

// pick returns Fanout distinct random peers of i.
func (s *state) pick(i int) []int {
	s.targets = s.targets[:0]
	for len(s.targets) < s.cfg.Fanout {
		if j := s.peer(i); !slices.Contains(s.targets, j) {
			s.targets = append(s.targets, j)
		}
	}
	return s.targets
}
