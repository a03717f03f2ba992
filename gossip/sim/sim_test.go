package sim

import (
	"fmt"
	"math"
	"testing"

	"github.com/netlab-go/netlab/gossip"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func forever(mode gossip.Mode, n, f int) Config {
	return Config{N: n, Mode: mode, Fanout: f, Stop: gossip.AfterRounds(1000), MaxRounds: 200}
}

func TestSimulateIsDeterministic(t *testing.T) {
	cfg := forever(gossip.Push, 1000, 2)
	cfg.Loss = 0.1
	a, err := Simulate(cfg, 3)
	require.NoError(t, err)
	b, err := Simulate(cfg, 3)
	require.NoError(t, err)
	assert.Equal(t, a, b)
	c, err := Simulate(cfg, 4)
	require.NoError(t, err)
	assert.NotEqual(t, a.Coverage, c.Coverage)
}

func TestSimulateMatchesTheory(t *testing.T) {
	const n = 4000
	for _, c := range []struct {
		cfg    Config
		theory float64
	}{
		{forever(gossip.Push, n, 1), PushRounds(n, 1)},
		{forever(gossip.Push, n, 3), PushRounds(n, 3)},
		{forever(gossip.PushPull, n, 1), PushPullRounds(n)},
	} {
		s, err := SimulateSeeds(c.cfg, 10)
		require.NoError(t, err)
		assert.Equal(t, 10, s.FullRuns, "%s", s)
		assert.InDelta(t, c.theory, float64(s.Median()), 0.25*c.theory+1, "%s vs theory %.1f", s, c.theory)
	}
}

func TestPullSquaresTheUninformedFraction(t *testing.T) {
	run, err := Simulate(forever(gossip.Pull, 20000, 1), 1)
	require.NoError(t, err)
	// Find a round with between 5% and 30% uninformed and check the next.
	for r := 1; r+1 < len(run.Coverage); r++ {
		s := 1 - run.Coverage[r]
		if s > 0.05 && s < 0.3 {
			next := 1 - run.Coverage[r+1]
			assert.InDelta(t, s*s, next, 0.3*s*s+0.002, "round %d: s=%.4f, s'=%.4f", r, s, next)
			return
		}
	}
	t.Fatal("no round with 5-30% uninformed")
}

func TestCoursePresetLeavesResidueThatAntiEntropyRepairs(t *testing.T) {
	course := FromGossip(gossip.CoursePreset(), 5000)
	assert.Equal(t, 10, course.AntiEntropyEvery, "10 s anti-entropy, 1 s rounds")
	noAE := course
	noAE.AntiEntropyEvery = 0
	s, err := SimulateSeeds(noAE, 10)
	require.NoError(t, err)
	// Demers: the residue is about e^-m for m messages per node.
	assert.InDelta(t, math.Exp(-s.MessagesPerNode), s.Residue, 0.01, "%s", s)
	assert.Greater(t, s.Residue, 0.005)

	s, err = SimulateSeeds(course, 10)
	require.NoError(t, err)
	assert.Equal(t, 10, s.FullRuns, "%s", s)
	assert.GreaterOrEqual(t, s.Median(), 10, "full coverage waits for anti-entropy")

	def, err := SimulateSeeds(FromGossip(gossip.DefaultConfig(), 5000), 10)
	require.NoError(t, err)
	assert.Equal(t, 10, def.FullRuns, "%s", def)
	assert.Less(t, def.Median(), 20, "%s", def)
}

func TestLossAndCrashes(t *testing.T) {
	cfg := forever(gossip.PushPull, 3000, 1)
	cfg.Loss = 0.1
	cfg.Crashed = 0.2
	s, err := SimulateSeeds(cfg, 5)
	require.NoError(t, err)
	assert.Equal(t, 5, s.FullRuns, "%s", s)
	assert.Equal(t, 2400, s.Runs[0].Live)
	clean, err := SimulateSeeds(forever(gossip.PushPull, 3000, 1), 5)
	require.NoError(t, err)
	assert.Greater(t, s.Median(), clean.Median(), "loss and crashes slow the spread")
}

func TestFeedbackStops(t *testing.T) {
	cfg := Config{N: 2000, Mode: gossip.Push, Fanout: 1, Stop: gossip.Feedback(1), MaxRounds: 500}
	run, err := Simulate(cfg, 1)
	require.NoError(t, err)
	assert.Less(t, run.Rounds, 500, "every node lost interest")
	assert.Greater(t, run.Residue, 0.05, "Demers: push with feedback k=1 leaves about 18%% uninformed")
	assert.Less(t, run.Residue, 0.35)
}

func TestSimulatorAgreesWithEngines(t *testing.T) {
	for _, cfg := range []Config{
		forever(gossip.Push, 300, 2),
		forever(gossip.PushPull, 300, 1),
		{N: 300, Mode: gossip.Push, Fanout: 2, Stop: gossip.Coin(0.5), MaxRounds: 100},
	} {
		var fast, real Summary
		for seed := uint64(1); seed <= 6; seed++ {
			a, err := Simulate(cfg, seed)
			require.NoError(t, err)
			b, err := SimulateEngines(cfg, seed)
			require.NoError(t, err)
			fast.Runs = append(fast.Runs, a)
			real.Runs = append(real.Runs, b)
			fast.MessagesPerNode += a.MessagesPerNode / 6
			real.MessagesPerNode += b.MessagesPerNode / 6
			fast.Residue += a.Residue / 6
			real.Residue += b.Residue / 6
		}
		name := fmt.Sprintf("%s f=%d %s", cfg.Mode, cfg.Fanout, cfg.Stop)
		if cfg.Mode == gossip.Push {
			assert.InDelta(t, real.MessagesPerNode, fast.MessagesPerNode, 0.25*real.MessagesPerNode+1, name)
		}
		assert.InDelta(t, real.Residue, fast.Residue, 0.03, name)
		mf, mr := fast.MeanCoverage(), real.MeanCoverage()
		for r := 0; r < min(len(mf), len(mr)); r++ {
			if cfg.Mode == gossip.Push {
				assert.InDelta(t, mr[r], mf[r], 0.15, "%s round %d", name, r)
			} else {
				// Event-ordered delivery passes rumors on within a round.
				assert.GreaterOrEqual(t, mr[r], mf[r]-0.05, "%s round %d", name, r)
			}
		}
	}
	_, err := SimulateEngines(forever(gossip.Push, MaxEngineNodes+1, 1), 1)
	assert.ErrorContains(t, err, "Config.N")
}

func TestConfigValidation(t *testing.T) {
	for field, mutate := range map[string]func(*Config){
		"Config.N":         func(c *Config) { c.N = 1 },
		"Config.Fanout":    func(c *Config) { c.Fanout = 0 },
		"Config.Loss":      func(c *Config) { c.Loss = 1 },
		"Config.Crashed":   func(c *Config) { c.Crashed = -1 },
		"Config.MaxRounds": func(c *Config) { c.MaxRounds = 0 },
		"Config.Stop":      func(c *Config) { c.Stop = gossip.StopRule{} },
		"Config.Mode":      func(c *Config) { c.Mode = 0 },
	} {
		c := DefaultConfig()
		mutate(&c)
		_, err := Simulate(c, 1)
		assert.ErrorContains(t, err, field)
	}
	_, err := SimulateSeeds(DefaultConfig(), 0)
	assert.Error(t, err)
}

func TestSummaryPercentiles(t *testing.T) {
	s := Summary{Runs: make([]Run, 4), RoundsToFull: []int{5, 6, 7}}
	assert.Equal(t, 6, s.Median())
	assert.Equal(t, 5, s.Percentile(0))
	assert.Equal(t, -1, s.Percentile(100), "the fourth run never got there")
}

func TestMeanField(t *testing.T) {
	for _, m := range []gossip.Mode{gossip.Push, gossip.Pull, gossip.PushPull} {
		c := MeanField(m, 10000, 1, 60)
		assert.InDelta(t, 1e-4, c[0], 1e-9)
		for i := 1; i < len(c); i++ {
			assert.GreaterOrEqual(t, c[i], c[i-1])
		}
		assert.InDelta(t, 1, c[len(c)-1], 1e-3, m.String())
	}
}

// A fixed-rounds rule has an exact closed form: every node that learns the
// rumor pushes it to Fanout peers in each of the next r rounds, so once
// nobody is hot, Messages = r · Fanout · informed, whatever the random
// choices. Checked for the simulator and for the real engines alike, so a
// stop-rule bug shared by both still shows.
func TestFixedRoundsRuleClosedForm(t *testing.T) {
	for _, c := range []struct{ n, f, r int }{{2000, 1, 1}, {2000, 2, 1}, {2000, 1, 2}, {2000, 1, 3}} {
		cfg := Config{N: c.n, Mode: gossip.Push, Fanout: c.f, Stop: gossip.AfterRounds(c.r), MaxRounds: 500}
		for seed := uint64(1); seed <= 2; seed++ {
			for name, sim := range map[string]func(Config, uint64) (Run, error){"simulator": Simulate, "engines": SimulateEngines} {
				cfg := cfg
				if name == "engines" {
					cfg.N = 200 // the engines are real, and slow
				}
				run, err := sim(cfg, seed)
				require.NoError(t, err)
				require.Negative(t, run.FullAt, "%s %+v: the closed form needs a run that ends by losing interest", name, c)
				informed := int64(math.Round((1 - run.Residue) * float64(run.Live)))
				require.Greater(t, informed, int64(1), "%s %+v: the rumor spread", name, c)
				assert.Equal(t, int64(c.r*c.f)*informed, run.Messages, "%s %+v seed %d: messages = r·f·informed", name, c, seed)
			}
		}
	}
}

// Coin(p): a node stays hot for 1/(1-p) rounds on average, so it sends
// m = f/(1-p) messages, and the mean-field residue s solves
// s = exp(-m·(1-s)) (Demers et al.). The simulator must agree with both.
func TestCoinRuleMatchesMeanField(t *testing.T) {
	for _, c := range []struct {
		f int
		p float64
	}{{2, 0.5}, {1, 0.75}} {
		cfg := Config{N: 10000, Mode: gossip.Push, Fanout: c.f, Stop: gossip.Coin(c.p), MaxRounds: 500}
		s, err := SimulateSeeds(cfg, 10)
		require.NoError(t, err)
		m := float64(c.f) / (1 - c.p)
		residue := 0.5
		for range 200 { // fixed-point iteration converges: the map is a contraction near the root
			residue = math.Exp(-m * (1 - residue))
		}
		perInformed := s.MessagesPerNode / (1 - s.Residue)
		assert.InDelta(t, m, perInformed, 0.03*m, "f=%d p=%g: messages per informed node", c.f, c.p)
		assert.InDelta(t, residue, s.Residue, 0.2*residue, "f=%d p=%g: residue against the mean-field root %.4f", c.f, c.p, residue)
	}
}
