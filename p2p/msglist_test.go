package p2p

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func gossipKey(seq int) MessageKey {
	return KeyOf(Message{Kind: KindGossip, Time: 1, From: netip.MustParseAddrPort("10.0.0.1:1"), Seq: seq})
}

func TestMessageListDeduplicates(t *testing.T) {
	l := NewMessageList(time.Minute, 10)
	t0 := time.Unix(1000, 0)
	assert.True(t, l.Add(gossipKey(1), t0))
	assert.False(t, l.Add(gossipKey(1), t0.Add(time.Second)), "a repeat is not new")
	assert.True(t, l.Add(gossipKey(2), t0), "another message is")
	assert.Equal(t, 2, l.Len())
}

func TestMessageListExpires(t *testing.T) {
	l := NewMessageList(time.Minute, 10)
	t0 := time.Unix(1000, 0)
	l.Add(gossipKey(1), t0)
	l.Add(gossipKey(2), t0.Add(30*time.Second))
	assert.False(t, l.Add(gossipKey(1), t0.Add(59*time.Second)))
	assert.True(t, l.Add(gossipKey(1), t0.Add(60*time.Second)), "an entry lasts exactly TTL")
	assert.Equal(t, 2, l.Len(), "the expired entry was dropped, its replacement added")
	l.Add(gossipKey(3), t0.Add(200*time.Second))
	assert.Equal(t, 1, l.Len(), "everything older expired")
}

func TestMessageListIsBounded(t *testing.T) {
	l := NewMessageList(time.Hour, 100)
	t0 := time.Unix(1000, 0)
	for i := range 1000 {
		assert.True(t, l.Add(gossipKey(i), t0))
		assert.LessOrEqual(t, l.Len(), 100)
	}
	assert.True(t, l.Add(gossipKey(0), t0), "the oldest was evicted to make room")
	assert.False(t, l.Add(gossipKey(999), t0), "the newest is still there")
	assert.LessOrEqual(t, len(l.order)-l.head, 2*100+64, "the FIFO is compacted")
}

func TestKeyOfDependsOnEveryField(t *testing.T) {
	base := Message{Kind: KindGossip, Time: 5, From: netip.MustParseAddrPort("10.0.0.1:1"), Seq: 1}
	other := []Message{base, base, base}
	other[0].Time = 6
	other[1].From = netip.MustParseAddrPort("10.0.0.1:2")
	other[2].Seq = 2
	for _, o := range other {
		assert.NotEqual(t, KeyOf(base), KeyOf(o))
	}
	assert.Equal(t, KeyOf(base), KeyOf(base))
}
