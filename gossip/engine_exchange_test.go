package gossip

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// publishN publishes one rumor per payload and returns their IDs.
func publishN(t *testing.T, e *Engine, now time.Time, payloads ...[]byte) []RumorID {
	t.Helper()
	var ids []RumorID
	for _, p := range payloads {
		id, err := e.Publish(now, p)
		require.NoError(t, err)
		ids = append(ids, id)
	}
	return ids
}

// TestEngineStatsCount: Rounds, Published, Learned, Duplicates and Stale
// count exactly what happened.
func TestEngineStatsCount(t *testing.T) {
	e, err := NewEngine(Config{Peers: []string{"b"}, Expiry: time.Minute}, "a")
	require.NoError(t, err)
	publishN(t, e, ruleT0, []byte("x"), []byte("y"))
	for i := range 3 {
		e.Round(ruleT0.Add(time.Duration(i) * time.Second))
	}
	_, fresh := e.Receive(ruleT0, "b", Message{Kind: KindPush, Rumors: []Rumor{
		{ID: 7, TTL: time.Minute}, {ID: 7, TTL: time.Minute}, {ID: 8, TTL: 0}, {ID: 9, TTL: -1}, {ID: 10, TTL: time.Hour},
	}})
	require.Len(t, fresh, 2)
	assert.Equal(t, time.Minute, fresh[1].TTL, "a TTL longer than Expiry is cut to it")
	assert.Equal(t, EngineStats{Rounds: 3, Published: 2, Learned: 2, Duplicates: 1, Stale: 2}, e.Stats())
}

// TestEngineRoundBudgets: what a round sends fits Config.MaxMessage, and
// holds as much as fits: whole rumors in order, then (push-pull) the IDs
// that fit in the bytes left; an anti-entropy digest as many IDs as fit.
func TestEngineRoundBudgets(t *testing.T) {
	// 61 bytes of room after the message and ID-list headers: two rumors
	// of 14+10 bytes fit, and 13 bytes are left, one short of a third,
	// empty rumor, enough for one ID.
	const max = headerSize + idsHeader + 2*(rumorHeader+10) + rumorHeader - 1
	payloads := [][]byte{make([]byte, 10), make([]byte, 10), nil}
	for _, mode := range []Mode{Push, PushPull} {
		e, err := NewEngine(Config{Mode: mode, MaxMessage: max, Peers: []string{"b", "c"}, Fanout: 2, Expiry: time.Minute}, "a")
		require.NoError(t, err)
		ids := publishN(t, e, ruleT0, payloads...)
		out := e.Round(ruleT0.Add(time.Second))
		require.Len(t, out, 2, "%v", mode)
		for _, env := range out {
			require.Len(t, env.Msg.Rumors, 2, "%v", mode)
			assert.Equal(t, ids[0], env.Msg.Rumors[0].ID)
			assert.Equal(t, ids[1], env.Msg.Rumors[1].ID)
			assert.Equal(t, 59*time.Second, env.Msg.Rumors[1].TTL)
			assert.LessOrEqual(t, env.Msg.encodedSize(), max)
			if mode == PushPull {
				assert.Equal(t, []RumorID{ids[2]}, env.Msg.IDs, "the newest ID in the 13 bytes left")
			} else {
				assert.Empty(t, env.Msg.IDs)
			}
		}
	}

	// Anti-entropy: 31 bytes of room hold 3 of the 5 IDs, newest first.
	const aeMax = headerSize + idsHeader + 3*idSize + idSize - 1
	e, err := NewEngine(Config{MaxMessage: aeMax, Peers: []string{"b"}, Fanout: 1, AntiEntropy: time.Second}, "a")
	require.NoError(t, err)
	ids := publishN(t, e, ruleT0, nil, nil, nil, nil, nil)
	e.Round(ruleT0)
	var digest []Envelope
	for _, env := range e.Round(ruleT0.Add(time.Second)) {
		if env.Msg.Kind == KindDigest {
			digest = append(digest, env)
		}
	}
	require.Len(t, digest, 1)
	assert.Equal(t, []RumorID{ids[4], ids[3], ids[2]}, digest[0].Msg.IDs)
	assert.LessOrEqual(t, digest[0].Msg.encodedSize(), aeMax)
}

// TestEngineRepliesExactly: every kind of message gets exactly the reply the
// protocol asks for, and none when there is nothing to say.
func TestEngineRepliesExactly(t *testing.T) {
	newEngine := func(stop StopRule) (*Engine, []RumorID) {
		e, err := NewEngine(Config{Stop: stop, Peers: []string{"b"}, Expiry: time.Minute}, "a")
		require.NoError(t, err)
		return e, publishN(t, e, ruleT0, []byte("x"), []byte("y"))
	}
	now := ruleT0.Add(10 * time.Second)
	rumor := func(id RumorID, p string) Rumor { return Rumor{ID: id, TTL: 50 * time.Second, Payload: []byte(p)} }

	// Push of new rumors only, with feedback: nothing to report back.
	e, _ := newEngine(Feedback(2))
	out, fresh := e.Receive(now, "b", Message{Kind: KindPush, Rumors: []Rumor{{ID: 1, TTL: time.Minute}}})
	assert.Empty(t, out)
	assert.Len(t, fresh, 1)

	// Pull from a peer that has both hot rumors, no feedback: no reply.
	e, ids := newEngine(Coin(0.5))
	out, _ = e.Receive(now, "b", Message{Kind: KindPull, IDs: ids})
	assert.Empty(t, out)
	// A pull that lacks one: that rumor, with its remaining TTL.
	out, _ = e.Receive(now, "b", Message{Kind: KindPull, IDs: ids[:1]})
	require.Len(t, out, 1)
	assert.Equal(t, Envelope{"b", Message{Kind: KindReply, Rumors: []Rumor{rumor(ids[1], "y")}}}, out[0])

	// Push-pull with feedback from a peer that pushes what a already knows
	// and has everything a has: the reply is the known IDs only.
	e, ids = newEngine(Feedback(2))
	out, fresh = e.Receive(now, "b", Message{Kind: KindPushPull, Rumors: []Rumor{rumor(ids[0], "x")}, IDs: ids[1:]})
	assert.Empty(t, fresh)
	require.Len(t, out, 1)
	assert.Equal(t, Envelope{"b", Message{Kind: KindReply, IDs: []RumorID{ids[0]}}}, out[0])

	// Digest: give what the peer lacks, ask for what a lacks, in one sync.
	e, ids = newEngine(Coin(0.5))
	out, _ = e.Receive(now, "b", Message{Kind: KindDigest, IDs: []RumorID{ids[0], 99}})
	require.Len(t, out, 1)
	assert.Equal(t, Envelope{"b", Message{Kind: KindSync, Rumors: []Rumor{rumor(ids[1], "y")}, IDs: []RumorID{99}}}, out[0])
	out, _ = e.Receive(now, "b", Message{Kind: KindDigest, IDs: []RumorID{ids[1], ids[0]}})
	assert.Empty(t, out, "the same rumors on both sides")
	out, _ = e.Receive(now, "b", Message{Kind: KindDigest, IDs: []RumorID{ids[1], 98, ids[0]}})
	require.Len(t, out, 1)
	assert.Equal(t, Envelope{"b", Message{Kind: KindSync, IDs: []RumorID{98}}}, out[0])
	out, _ = e.Receive(now, "b", Message{Kind: KindDigest, IDs: []RumorID{ids[1]}})
	require.Len(t, out, 1)
	assert.Equal(t, Envelope{"b", Message{Kind: KindSync, Rumors: []Rumor{rumor(ids[0], "x")}}}, out[0])

	// Sync: learn its rumors, send those asked for that a has.
	out, fresh = e.Receive(now, "b", Message{Kind: KindSync, Rumors: []Rumor{rumor(5, "z")}, IDs: []RumorID{97, ids[1]}})
	assert.Equal(t, []Rumor{rumor(5, "z")}, fresh)
	require.Len(t, out, 1)
	assert.Equal(t, Envelope{"b", Message{Kind: KindSync, Rumors: []Rumor{rumor(ids[1], "y")}}}, out[0])
	out, _ = e.Receive(now, "b", Message{Kind: KindSync, IDs: []RumorID{96}})
	assert.Empty(t, out)
}

// TestModeNames: every mode by name; values without one (0, and past the
// last) by number.
func TestModeNames(t *testing.T) {
	for m, want := range map[Mode]string{Push: "push", Pull: "pull", PushPull: "push-pull", 0: "mode(0)", PushPull + 1: "mode(4)", 255: "mode(255)"} {
		assert.Equal(t, want, m.String())
	}
}

// TestEngineDigestEdges: a pull's digest lists every remembered rumor, the
// oldest included, when they fit; room for exactly three IDs holds three.
func TestEngineDigestEdges(t *testing.T) {
	for _, c := range []struct {
		max  int
		want int // newest IDs listed
	}{{DefaultConfig().MaxMessage, 4}, {headerSize + idsHeader + 3*idSize, 3}, {headerSize + idsHeader + 3*idSize - 1, 2}} {
		e, err := NewEngine(Config{Mode: Pull, MaxMessage: c.max, Peers: []string{"b"}, Fanout: 1}, "a")
		require.NoError(t, err, "MaxMessage %d", c.max)
		ids := publishN(t, e, ruleT0, nil, nil, nil, nil)
		out := e.Round(ruleT0)
		require.Len(t, out, 1)
		assert.Equal(t, []RumorID{ids[3], ids[2], ids[1], ids[0]}[:c.want], out[0].Msg.IDs, "MaxMessage %d", c.max)
	}
}
