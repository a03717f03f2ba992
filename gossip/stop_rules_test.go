package gossip

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The stopping rules and the engine's bounds at their exact values: the
// round a rumor cools, counters that saturate instead of wrapping, and
// every size or time limit at the limit and one past it.

// TestAfterRoundsCoolsOnItsRound: AfterRounds(3) spreads for exactly three
// rounds; a cold rumor no longer ages.
func TestAfterRoundsCoolsOnItsRound(t *testing.T) {
	rule := AfterRounds(3)
	st := RumorState{Hot: true}
	for round := 1; round <= 2; round++ {
		rule.AfterRound(&st, nil)
		assert.Equal(t, RumorState{Hot: true, Age: uint16(round)}, st)
	}
	rule.AfterRound(&st, nil)
	assert.Equal(t, RumorState{Hot: false, Age: 3}, st)
	rule.AfterRound(&st, nil)
	assert.Equal(t, RumorState{Hot: false, Age: 3}, st, "a cold rumor does not age")

	// The age saturates: a rule longer than 65535 rounds keeps it hot.
	st = RumorState{Hot: true, Age: 0xffff}
	AfterRounds(1<<20).AfterRound(&st, nil)
	assert.Equal(t, RumorState{Hot: true, Age: 0xffff}, st)
	AfterRounds(0xffff).AfterRound(&st, nil)
	assert.Equal(t, RumorState{Hot: false, Age: 0xffff}, st)
}

// TestCoinCoolsWithItsDraw: Coin(p) cools a rumor exactly when the round's
// draw is at least p, one draw per hot rumor per round.
func TestCoinCoolsWithItsDraw(t *testing.T) {
	for _, p := range []float64{0, 0.3, 0.8} {
		rng, mirror := rand.New(rand.NewPCG(5, 6)), rand.New(rand.NewPCG(5, 6))
		cooled := 0
		for i := 0; i < 200; i++ {
			st := RumorState{Hot: true}
			Coin(p).AfterRound(&st, rng)
			want := mirror.Float64() < p
			require.Equal(t, want, st.Hot, "p=%v draw %d", p, i)
			require.Equal(t, uint16(1), st.Age)
			if !st.Hot {
				cooled++
			}
		}
		if p == 0 {
			assert.Equal(t, 200, cooled, "Coin(0) cools after one round")
		}
		// A cold rumor draws nothing: the streams stay in step.
		st := RumorState{}
		Coin(p).AfterRound(&st, rng)
		assert.Equal(t, mirror.Float64(), rng.Float64())
	}
}

// TestFeedbackCoolsOnTheKthHit: Feedback(2) cools at the second contact
// that knew the rumor; other rules and cold rumors ignore feedback; the
// hit counter saturates.
func TestFeedbackCoolsOnTheKthHit(t *testing.T) {
	st := RumorState{Hot: true}
	Feedback(2).OnFeedback(&st)
	assert.Equal(t, RumorState{Hot: true, Hits: 1}, st)
	Feedback(2).OnFeedback(&st)
	assert.Equal(t, RumorState{Hot: false, Hits: 2}, st)
	Feedback(2).OnFeedback(&st)
	assert.Equal(t, RumorState{Hot: false, Hits: 2}, st, "a cold rumor counts no hits")

	st = RumorState{Hot: true}
	Coin(0.5).OnFeedback(&st)
	AfterRounds(1).OnFeedback(&st)
	assert.Equal(t, RumorState{Hot: true}, st, "only Feedback reacts")

	st = RumorState{Hot: true, Hits: 0xffff}
	Feedback(1 << 20).OnFeedback(&st)
	assert.Equal(t, RumorState{Hot: true, Hits: 0xffff}, st)

	// The feedback rule does not age-out or cool at the end of a round.
	st = RumorState{Hot: true}
	Feedback(1).AfterRound(&st, nil)
	assert.Equal(t, RumorState{Hot: true, Age: 1}, st)
}

// TestStopRuleValidation: each rule's parameter at its bound and past it.
func TestStopRuleValidation(t *testing.T) {
	cases := []struct {
		rule StopRule
		err  string
	}{
		{Coin(0), ""},
		{Coin(0.999), ""},
		{Coin(1), "gossip: Config.Stop: coin probability 1 not in [0,1)"},
		{Coin(-0.001), "gossip: Config.Stop: coin probability -0.001 not in [0,1)"},
		{Feedback(1), ""},
		{Feedback(0), "gossip: Config.Stop: feedback K 0 must be at least 1"},
		{AfterRounds(1), ""},
		{AfterRounds(0), "gossip: Config.Stop: Rounds 0 must be at least 1"},
		{StopRule{Kind: 9, K: 1}, "gossip: Config.Stop: unknown stop rule kind 9"},
	}
	for _, tc := range cases {
		_, err := NewEngine(Config{Stop: tc.rule}, "a")
		if tc.err == "" {
			assert.NoError(t, err, "%v", tc.rule)
		} else {
			assert.EqualError(t, err, tc.err)
		}
	}
}

var ruleT0 = time.Unix(1000, 0)

// TestEngineForgetsAtExpiryAndEvictsTheOldest: a rumor is remembered until
// exactly its expiry; at MaxRumors the oldest goes first; a received TTL
// longer than Expiry is cut to it; a TTL already spent is ignored.
func TestEngineForgetsAtExpiryAndEvictsTheOldest(t *testing.T) {
	e, err := NewEngine(Config{Expiry: 10 * time.Second, MaxRumors: 3}, "a")
	require.NoError(t, err)
	var ids []RumorID
	for i := range 4 {
		id, err := e.Publish(ruleT0, []byte{byte(i)})
		require.NoError(t, err)
		ids = append(ids, id)
	}
	assert.Equal(t, 3, e.Len())
	assert.False(t, e.Known(ids[0]), "the oldest is evicted")
	assert.True(t, e.Known(ids[1]))
	assert.Equal(t, uint64(1), e.Stats().Evicted)

	e.Round(ruleT0.Add(10*time.Second - 1))
	assert.Equal(t, 3, e.Len())
	e.Round(ruleT0.Add(10 * time.Second))
	assert.Equal(t, 0, e.Len())
	assert.Equal(t, uint64(3), e.Stats().Expired)

	_, fresh := e.Receive(ruleT0, "b", Message{Kind: KindPush, Rumors: []Rumor{
		{ID: 1, TTL: time.Hour, Payload: []byte("long")},
		{ID: 2, TTL: 0, Payload: []byte("spent")},
		{ID: 3, TTL: time.Nanosecond, Payload: []byte("just alive")},
	}})
	require.Len(t, fresh, 2)
	assert.Equal(t, 10*time.Second, fresh[0].TTL, "cut to Expiry")
	assert.Equal(t, time.Nanosecond, fresh[1].TTL)
	assert.Equal(t, uint64(1), e.Stats().Stale)
	e.Round(ruleT0.Add(10*time.Second - 1))
	assert.True(t, e.Known(1))
	assert.False(t, e.Known(3))
	e.Round(ruleT0.Add(10 * time.Second))
	assert.False(t, e.Known(1))
}

// TestEngineCompactsItsOrderList: forgotten IDs stay in the arrival list
// until it holds more than twice the live rumors plus 16.
func TestEngineCompactsItsOrderList(t *testing.T) {
	for _, tc := range []struct{ published, wantOrder int }{{16, 16}, {17, 0}} {
		e, err := NewEngine(Config{Expiry: time.Second}, "a")
		require.NoError(t, err)
		for range tc.published {
			_, err := e.Publish(ruleT0, nil)
			require.NoError(t, err)
		}
		e.Round(ruleT0.Add(time.Second))
		assert.Equal(t, 0, e.Len())
		assert.Len(t, e.order, tc.wantOrder, "%d published", tc.published)
	}
	// Live rumors are kept, in order, when the list is compacted.
	e, err := NewEngine(Config{Expiry: time.Second}, "a")
	require.NoError(t, err)
	for range 20 {
		_, err := e.Publish(ruleT0, nil)
		require.NoError(t, err)
	}
	live, err := e.Publish(ruleT0.Add(time.Second/2), nil)
	require.NoError(t, err)
	e.Round(ruleT0.Add(time.Second))
	assert.Equal(t, []RumorID{live}, e.order)
}

// TestEngineMessagesFillMaxMessageExactly: a payload of exactly
// MaxPayload() is accepted and pushed in one message of MaxMessage bytes
// with its remaining TTL; a digest holds exactly as many IDs as fit,
// newest first; a feedback reply is cut to what fits.
func TestEngineMessagesFillMaxMessageExactly(t *testing.T) {
	const max = headerSize + idsHeader + rumorHeader + 20
	e, err := NewEngine(Config{MaxMessage: max, Peers: []string{"b"}, Fanout: 1, Expiry: time.Minute}, "a")
	require.NoError(t, err)
	assert.Equal(t, 20, e.MaxPayload())
	_, err = e.Publish(ruleT0, make([]byte, 21))
	require.ErrorIs(t, err, ErrTooLarge)
	assert.EqualError(t, err, "gossip: datagram too large: payload 21 bytes, at most 20 fit in Config.MaxMessage 41")
	id, err := e.Publish(ruleT0, make([]byte, 20))
	require.NoError(t, err)
	out := e.Round(ruleT0.Add(time.Second))
	require.Len(t, out, 1)
	require.Len(t, out[0].Msg.Rumors, 1)
	assert.Equal(t, id, out[0].Msg.Rumors[0].ID)
	assert.Equal(t, 59*time.Second, out[0].Msg.Rumors[0].TTL)

	// Pull: the digest of 5 rumors in room for exactly 3 IDs.
	const idsMax = headerSize + idsHeader + 3*idSize + rumorHeader
	p, err := NewEngine(Config{Mode: Pull, MaxMessage: idsMax, Peers: []string{"b"}, Fanout: 1}, "a")
	require.NoError(t, err)
	var ids []RumorID
	for range 5 {
		id, err := p.Publish(ruleT0, nil)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	out = p.Round(ruleT0)
	require.Len(t, out, 1)
	assert.Equal(t, []RumorID{ids[4], ids[3], ids[2], ids[1]}, out[0].Msg.IDs,
		"room for 3 IDs and a rumor header: 4 IDs (%d bytes of room)", idsMax-headerSize-idsHeader)

	// Feedback: a push of 5 known rumors is answered with the IDs that fit.
	f, err := NewEngine(Config{Stop: Feedback(3), MaxMessage: headerSize + idsHeader + 2*idSize + rumorHeader}, "a")
	require.NoError(t, err)
	var known []Rumor
	for range 5 {
		id, err := f.Publish(ruleT0, nil)
		require.NoError(t, err)
		known = append(known, Rumor{ID: id, TTL: time.Minute})
	}
	reply, fresh := f.Receive(ruleT0, "b", Message{Kind: KindPush, Rumors: known})
	assert.Empty(t, fresh)
	require.Len(t, reply, 1)
	assert.Equal(t, KindReply, reply[0].Msg.Kind)
	assert.Equal(t, []RumorID{known[0].ID, known[1].ID, known[2].ID}, reply[0].Msg.IDs)
}

// TestEngineAntiEntropyIsDueAtItsTime: the first round only schedules the
// exchange; a digest goes out at exactly AntiEntropy later, not before.
func TestEngineAntiEntropyIsDueAtItsTime(t *testing.T) {
	e, err := NewEngine(Config{AntiEntropy: time.Second, Peers: []string{"b"}}, "a")
	require.NoError(t, err)
	digests := func(out []Envelope) int {
		n := 0
		for _, env := range out {
			if env.Msg.Kind == KindDigest {
				n++
			}
		}
		return n
	}
	assert.Zero(t, digests(e.Round(ruleT0)))
	assert.Zero(t, digests(e.Round(ruleT0.Add(time.Second-1))))
	assert.Equal(t, 1, digests(e.Round(ruleT0.Add(time.Second))))
	assert.Zero(t, digests(e.Round(ruleT0.Add(time.Second+1))))
}

// TestEnginePicksDistinctPeers: Fanout below the peer count picks that many
// distinct peers; at or above it, every peer.
func TestEnginePicksDistinctPeers(t *testing.T) {
	peers := []string{"b", "c", "d", "e"}
	for _, fanout := range []int{1, 3, 4, 9} {
		e, err := NewEngine(Config{Fanout: fanout, Peers: append(peers, "a", "b")}, "a")
		require.NoError(t, err)
		assert.Equal(t, peers, e.Peers(), "self and duplicates dropped")
		for round := range 20 {
			got := e.pickPeers(fanout)
			assert.Len(t, got, min(fanout, len(peers)), "fanout %d round %d", fanout, round)
			seen := map[string]bool{}
			for _, p := range got {
				assert.False(t, seen[p], "fanout %d: %s twice", fanout, p)
				seen[p] = true
			}
		}
	}
	e, err := NewEngine(Config{}, "a")
	require.NoError(t, err)
	_, err = e.Publish(ruleT0, nil)
	require.NoError(t, err)
	assert.Nil(t, e.Round(ruleT0), "no peers: nothing to send")
}
