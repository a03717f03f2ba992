package capture

import (
	"testing"

	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzFlowKey checks that the key the prefetch reads straight from a
// frame's bytes is the key the decoder looks the frame up by, whenever
// both have one: a wrong guess would only cost speed, but a guess that is
// always wrong would cost all of it unnoticed.
func FuzzFlowKey(f *testing.F) {
	f.Add(udpDNS(f, macA, macB, ipA, ipB, 5000, 53))
	f.Add(tcp4(f, macA, macB, ipA, ipB, 1, 8080, []byte("GET / HTTP/1.1\r\n\r\n")))
	f.Add(vlanUDP(f))
	f.Add(icmp4(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := newFrameDecoder(newFlowTable(16), newStreamTable(4))
		d.decode(data, layers.LinkTypeEthernet, false)
		k, fromFirst, ok := quickFlowKey(data, layers.LinkTypeEthernet)
		for i := len(d.taps) - 1; i >= 0; i-- {
			tp := &d.taps[i]
			if tp.kind != ConvTCP && tp.kind != ConvUDP {
				continue
			}
			if ok && !tp.v6 {
				if want, wantFirst := flowKey4(tp); want != k || wantFirst != fromFirst {
					t.Fatalf("prefetch key %x (from the first endpoint: %v), decoder's %x (%v)", k, fromFirst, want, wantFirst)
				}
			}
			break
		}
	})
}

func TestFlowTableNumbersInOrderAndBoundsEachKind(t *testing.T) {
	ft := newFlowTable(3)
	mk := func(kind ConvKind, src byte, sport, dport uint16) *tap {
		tp := &tap{kind: kind, sport: sport, dpt: dport}
		tp.src[3], tp.dst[3] = src, 99
		return tp
	}
	ids := map[int32]bool{}
	for i := range 3 {
		r := ft.find(mk(ConvTCP, byte(i), 1000, 80))
		require.NotNil(t, r)
		assert.Equal(t, int32(i), r.id, "numbered in order of appearance")
		ids[r.id] = true
	}
	assert.Nil(t, ft.find(mk(ConvTCP, 7, 1000, 80)), "a fourth TCP conversation: the table is full")
	r := ft.find(mk(ConvUDP, 7, 1000, 80))
	require.NotNil(t, r, "UDP has a table of its own")
	assert.Equal(t, int32(3), r.id)
	// Both directions of a conversation are one flow.
	back := &tap{kind: ConvTCP, sport: 80, dpt: 1000}
	back.src[3], back.dst[3] = 99, 1
	assert.Equal(t, int32(1), ft.find(back).id)
	// Growing keeps every flow.
	big := newFlowTable(1 << 20)
	for i := range 5000 {
		require.Equal(t, int32(i), big.find(mk(ConvUDP, byte(i), uint16(i>>8), 53)).id)
	}
	for i := range 5000 {
		require.Equal(t, int32(i), big.find(mk(ConvUDP, byte(i), uint16(i>>8), 53)).id)
	}
	// IPv6 conversations too.
	v6 := mk(ConvTCP, 1, 5, 6)
	v6.v6 = true
	v6.src[0] = 0x20
	r6 := big.find(v6)
	require.NotNil(t, r6)
	rev := &tap{kind: ConvTCP, v6: true, src: v6.dst, dst: v6.src, sport: 6, dpt: 5}
	assert.Equal(t, r6.id, big.find(rev).id)
}

func TestStreamTableTakesBackTheOldestWhenFull(t *testing.T) {
	st := newStreamTable(2)
	f0, f1, f2 := &flowRef{id: 0}, &flowRef{id: 1}, &flowRef{id: 2}
	s0 := st.get(f0)
	s0.half[0].next = 42
	st.get(f1)
	assert.Equal(t, uint32(42), st.get(f0).half[0].next, "a flow finds its stream again")
	st.get(f2) // no room: f0's slot, the oldest, is taken back
	assert.Equal(t, uint32(0), st.get(f0).half[0].next, "f0 starts over")
	st.drop(f1)
	assert.Equal(t, int32(0), f1.stream)
	assert.Len(t, st.slots, 2, "never more slots than MaxStreams")
}
