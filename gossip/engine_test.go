package gossip

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockstep drives engines round by round with instant, lossless delivery
// (replies are delivered within the same round), as the simulator does.
type lockstep struct {
	engines map[string]*Engine
	addrs   []string
	now     time.Time
	sent    int
	drop    func(Envelope) bool
}

func newLockstep(t *testing.T, n int, cfg Config) *lockstep {
	t.Helper()
	ls := &lockstep{engines: map[string]*Engine{}, now: time.Unix(1000, 0)}
	for i := range n {
		ls.addrs = append(ls.addrs, fmt.Sprintf("n%d", i))
	}
	for _, a := range ls.addrs {
		c := cfg
		c.Peers = ls.addrs
		e, err := NewEngine(c, a)
		require.NoError(t, err)
		ls.engines[a] = e
	}
	return ls
}

func (ls *lockstep) deliver(from string, out []Envelope) {
	for len(out) > 0 {
		env := out[0]
		out = out[1:]
		ls.sent++
		if ls.drop != nil && ls.drop(env) {
			continue
		}
		// Encode and decode, so the wire format is exercised too.
		b, err := env.Msg.Encode()
		if err != nil {
			panic(err)
		}
		m, err := DecodeMessage(b)
		if err != nil {
			panic(err)
		}
		replies, _ := ls.engines[env.To].Receive(ls.now, from, m)
		for _, r := range replies {
			ls.deliver(env.To, []Envelope{r})
		}
	}
}

func (ls *lockstep) round(interval time.Duration) {
	ls.now = ls.now.Add(interval)
	for _, a := range ls.addrs {
		ls.deliver(a, ls.engines[a].Round(ls.now))
	}
}

func (ls *lockstep) knowing(id RumorID) int {
	n := 0
	for _, e := range ls.engines {
		if e.Known(id) {
			n++
		}
	}
	return n
}

// rounds runs n rounds of interval each.
func (ls *lockstep) rounds(n int, interval time.Duration) {
	for range n {
		ls.round(interval)
	}
}

func (ls *lockstep) roundsToAll(t *testing.T, id RumorID, limit int, interval time.Duration) int {
	for r := 1; r <= limit; r++ {
		ls.round(interval)
		if ls.knowing(id) == len(ls.addrs) {
			return r
		}
	}
	t.Fatalf("rumor reached only %d of %d nodes in %d rounds", ls.knowing(id), len(ls.addrs), limit)
	return 0
}

// publish publishes payload on engine name, and checks that it worked: an
// ID, and the publisher knows the rumor and holds it hot.
func (ls *lockstep) publish(t *testing.T, name string, payload []byte) RumorID {
	t.Helper()
	e := ls.engines[name]
	hot := e.Hot()
	id, err := e.Publish(ls.now, payload)
	require.NoError(t, err)
	require.NotZero(t, id)
	require.Equal(t, hot+1, e.Hot(), "the publisher holds the new rumor hot")
	require.Equal(t, 1, ls.knowing(id), "only the publisher knows it yet")
	return id
}

func testConfig(mode Mode, stop StopRule) Config {
	c := DefaultConfig()
	c.Mode = mode
	c.Stop = stop
	c.AntiEntropy = 0
	return c
}

func TestEngineEveryModeReachesEveryNode(t *testing.T) {
	for _, mode := range []Mode{Push, Pull, PushPull} {
		t.Run(mode.String(), func(t *testing.T) {
			ls := newLockstep(t, 200, testConfig(mode, AfterRounds(40)))
			id, err := ls.engines["n0"].Publish(ls.now, []byte("news"))
			require.NoError(t, err)
			r := ls.roundsToAll(t, id, 40, time.Second)
			// log2(200) is 7.6: every mode should need a small multiple of it.
			assert.LessOrEqual(t, r, 25)
			assert.GreaterOrEqual(t, r, 2, "nobody learns everything in one round")
		})
	}
}

func TestEngineIsDeterministic(t *testing.T) {
	run := func(seed uint64) (int, int) {
		cfg := testConfig(PushPull, Feedback(2))
		cfg.Seed = seed
		ls := newLockstep(t, 100, cfg)
		id := ls.publish(t, "n3", []byte("x"))
		ls.rounds(15, time.Second)
		return ls.knowing(id), ls.sent
	}
	k1, s1 := run(5)
	k2, s2 := run(5)
	require.Greater(t, k1, 50, "the rumor spread")
	assert.Equal(t, k1, k2)
	assert.Equal(t, s1, s2)
}

func TestEngineFeedbackStopsSpreading(t *testing.T) {
	ls := newLockstep(t, 50, testConfig(Push, Feedback(1)))
	id := ls.publish(t, "n0", []byte("x"))
	ls.rounds(60, time.Second)
	require.Greater(t, ls.knowing(id), 25, "the rumor spread before interest was lost")
	require.Positive(t, ls.sent)
	hot := 0
	for _, e := range ls.engines {
		hot += e.Hot()
	}
	assert.Equal(t, 0, hot, "every node lost interest")
	before := ls.sent
	ls.round(time.Second)
	assert.Equal(t, before, ls.sent, "a cold push network is silent")
}

func TestEngineAntiEntropyRepairsWhatMongeringMissed(t *testing.T) {
	cfg := testConfig(Push, AfterRounds(1))
	cfg.Fanout = 1
	ls := newLockstep(t, 30, cfg)
	id := ls.publish(t, "n0", []byte("x"))
	ls.rounds(10, time.Second)
	require.Less(t, ls.knowing(id), 30, "one hop of push with fanout 1 cannot reach everyone")
	require.Greater(t, ls.knowing(id), 1, "but it made that hop")

	for _, e := range ls.engines {
		e.cfg.AntiEntropy = time.Second
	}
	ls.roundsToAll(t, id, 40, time.Second)
}

func TestEngineCoinRuleCoolsRumors(t *testing.T) {
	ls := newLockstep(t, 40, testConfig(Push, Coin(0.5)))
	id := ls.publish(t, "n0", []byte("x"))
	ls.rounds(80, time.Second)
	require.Greater(t, ls.knowing(id), 1, "the rumor spread before it cooled")
	for a, e := range ls.engines {
		assert.Zero(t, e.Hot(), "%s still hot after 80 coin flips", a)
	}
}

func TestEngineForgetsAtExpiryAndIgnoresStaleCopies(t *testing.T) {
	cfg := testConfig(Push, AfterRounds(100))
	cfg.Expiry = 3 * time.Second
	ls := newLockstep(t, 5, cfg)
	id := ls.publish(t, "n0", []byte("x"))
	ls.round(time.Second)
	require.Greater(t, ls.knowing(id), 1, "the rumor spread before it expired")
	ls.round(time.Second)
	ls.round(time.Second)
	assert.Equal(t, 0, ls.knowing(id), "forgotten everywhere at the origin's expiry")

	e := ls.engines["n1"]
	_, fresh := e.Receive(ls.now, "n0", Message{Kind: KindPush, Rumors: []Rumor{{ID: 9, TTL: 0}}})
	assert.Empty(t, fresh)
	assert.Equal(t, uint64(1), e.Stats().Stale)
}

func TestEngineBoundsMemory(t *testing.T) {
	cfg := testConfig(Push, AfterRounds(1))
	cfg.MaxRumors = 3
	e, err := NewEngine(cfg, "me")
	require.NoError(t, err)
	now := time.Unix(0, 0)
	var ids []RumorID
	for range 5 {
		id, err := e.Publish(now, []byte("x"))
		require.NoError(t, err)
		ids = append(ids, id)
	}
	assert.Equal(t, 3, e.Len())
	assert.False(t, e.Known(ids[0]))
	assert.True(t, e.Known(ids[4]))
	assert.Equal(t, uint64(2), e.Stats().Evicted)
}

func TestEngineDedupsAndPacksIntoMaxMessage(t *testing.T) {
	cfg := testConfig(Push, AfterRounds(5))
	cfg.MaxMessage = 100
	e, err := NewEngine(cfg, "me")
	require.NoError(t, err)
	e.SetPeers([]string{"p"})
	now := time.Unix(0, 0)
	_, err = e.Publish(now, make([]byte, e.MaxPayload()+1))
	assert.ErrorIs(t, err, ErrTooLarge)
	for range 4 {
		_, err := e.Publish(now, make([]byte, 30))
		require.NoError(t, err)
	}
	out := e.Round(now)
	require.Len(t, out, 1)
	b, err := out[0].Msg.Encode()
	require.NoError(t, err)
	assert.LessOrEqual(t, len(b), 100)
	assert.Len(t, out[0].Msg.Rumors, 2, "two 44-byte rumors fit in 100 bytes")

	_, fresh := e.Receive(now, "p", out[0].Msg)
	assert.Empty(t, fresh, "own rumors are duplicates")
	assert.Equal(t, uint64(2), e.Stats().Duplicates)
}

func TestConfigValidationNamesTheField(t *testing.T) {
	for field, mutate := range map[string]func(*Config){
		"Config.Fanout":     func(c *Config) { c.Fanout = -1 },
		"Config.Mode":       func(c *Config) { c.Mode = 9 },
		"Config.Interval":   func(c *Config) { c.Interval = -1 },
		"Config.Expiry":     func(c *Config) { c.Expiry = -1 },
		"Config.MaxRumors":  func(c *Config) { c.MaxRumors = -1 },
		"Config.MaxMessage": func(c *Config) { c.MaxMessage = 10 },
		"Config.Stop":       func(c *Config) { c.Stop = Coin(1) },
	} {
		c := DefaultConfig()
		mutate(&c)
		_, err := NewEngine(c, "x")
		assert.ErrorContains(t, err, field)
	}
	_, err := NewEngine(CoursePreset(), "x")
	assert.NoError(t, err)
}
