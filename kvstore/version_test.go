package kvstore

import (
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/fakeclock"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHLCNowNeverGoesBackwards(t *testing.T) {
	c := fakeclock.New(time.Unix(100, 0))
	h := NewHLC(c.Now, time.Second)
	w1, l1 := h.Now()
	assert.Equal(t, int64(100e9), w1)
	assert.Equal(t, uint32(0), l1)
	w2, l2 := h.Now() // same physical time: the counter ticks
	assert.Equal(t, w1, w2)
	assert.Equal(t, uint32(1), l2)
	c.Set(time.Unix(99, 0)) // the physical clock steps back
	w3, l3 := h.Now()
	assert.Equal(t, w1, w3, "the HLC holds its wall time")
	assert.Equal(t, uint32(2), l3)
	c.Set(time.Unix(101, 0))
	w4, l4 := h.Now()
	assert.Equal(t, int64(101e9), w4)
	assert.Equal(t, uint32(0), l4)
}

func TestHLCObserveFollowsKulkarni(t *testing.T) {
	cases := []struct {
		name         string
		local        [2]int64 // wall, logical before
		pt           int64
		remote       [2]int64
		wantW, wantL int64
	}{
		{"remote ahead of both", [2]int64{10, 3}, 10, [2]int64{12, 5}, 12, 6},
		{"local ahead", [2]int64{15, 3}, 10, [2]int64{12, 5}, 15, 4},
		{"all equal", [2]int64{12, 3}, 10, [2]int64{12, 5}, 12, 6},
		{"physical ahead", [2]int64{10, 3}, 20, [2]int64{12, 5}, 20, 0},
	}
	for _, c := range cases {
		clk := fakeclock.New(time.Unix(0, c.pt))
		h := NewHLC(clk.Now, time.Second)
		h.wall, h.logical = c.local[0], uint32(c.local[1])
		require.NoError(t, h.Observe(c.remote[0], uint32(c.remote[1])), c.name)
		w, l := h.Last()
		assert.Equal(t, c.wantW, w, c.name)
		assert.Equal(t, uint32(c.wantL), l, c.name)
		nw, nl := h.Now()
		assert.True(t, Version{Wall: nw, Logical: nl}.Compare(Version{Wall: c.remote[0], Logical: uint32(c.remote[1])}) > 0,
			"%s: a later local event is after the observed one", c.name)
	}
}

func TestHLCRejectsClocksTooFarAhead(t *testing.T) {
	c := fakeclock.New(time.Unix(100, 0))
	h := NewHLC(c.Now, 500*time.Millisecond)
	err := h.Observe(time.Unix(101, 0).UnixNano(), 0)
	require.ErrorIs(t, err, ErrClockOffset)
	assert.Contains(t, err.Error(), "1s ahead, the limit is 500ms")
	w, _ := h.Last()
	assert.Zero(t, w, "a rejected timestamp does not move the clock")
	require.NoError(t, h.Observe(time.Unix(100, 400e6).UnixNano(), 0))
}

func TestVersionOrder(t *testing.T) {
	a := Version{Wall: 5, Logical: 1, Node: "a"}
	assert.Equal(t, 0, a.Compare(a))
	assert.Equal(t, -1, a.Compare(Version{Wall: 6}))
	assert.Equal(t, 1, a.Compare(Version{Wall: 5, Logical: 0, Node: "z"}))
	assert.Equal(t, -1, a.Compare(Version{Wall: 5, Logical: 1, Node: "b"}), "the node name breaks ties")
}
