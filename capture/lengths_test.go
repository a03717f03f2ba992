package capture

import (
	"fmt"
	"testing"

	"github.com/google/gopacket/layers"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFrameLengths feeds frames of known lengths and checks that each lands
// in its bin, the long ones in the open last bin, and that the bins add up
// to the frame count.
func TestFrameLengths(t *testing.T) {
	a, err := New(DefaultConfig())
	require.NoError(t, err)
	assert.Empty(t, a.FrameLengths(), "nothing counted yet")
	lengths := map[int]int{60: 3, 64: 2, 1514: 5, 70000: 1}
	for n, times := range lengths {
		for range times {
			a.Add(Packet{Data: make([]byte, min(n, 128)), Length: n, LinkType: layers.LinkTypeEthernet})
		}
	}
	bins := a.FrameLengths()
	require.Equal(t, []LengthBin{
		{Lo: 48, Hi: 64, Frames: 3},
		{Lo: 64, Hi: 80, Frames: 2},
		{Lo: 1504, Hi: 1520, Frames: 5},
		{Lo: 65536, Hi: 0, Frames: 1},
	}, bins)
	var sum uint64
	for _, b := range bins {
		sum += b.Frames
	}
	assert.Equal(t, a.Summary().Frames, sum)
}

// Frames of 60, 60 and 1,514 bytes (two minimum-size Ethernet frames and a
// full one) land in two 16-byte bins: from and to (bytes), then frames.
func ExampleAnalyzer_FrameLengths() {
	a, err := New(DefaultConfig())
	if err != nil {
		panic(err)
	}
	for _, n := range []int{60, 60, 1514} {
		a.Add(Packet{Data: make([]byte, 60), Length: n, LinkType: layers.LinkTypeEthernet})
	}
	for _, b := range a.FrameLengths() {
		fmt.Printf("[%d, %d) bytes: %d\n", b.Lo, b.Hi, b.Frames)
	}
	// Output:
	// [48, 64) bytes: 2
	// [1504, 1520) bytes: 1
}
