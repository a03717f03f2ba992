package capture

import (
	"net"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/require"
)

// TestRolledUpFlowsCountAsFrameByFrame checks the eth and IP tables when
// flows are counted on the flow alone and added to their parents on
// export: a flow whose MACs change half-way, a second flow between the same
// hosts whose eth and IP directions are opposite, and tables read half-way
// (reading must not change what is counted next).
func TestRolledUpFlowsCountAsFrameByFrame(t *testing.T) {
	m1 := net.HardwareAddr{2, 0, 0, 0, 0, 1}
	m2 := net.HardwareAddr{2, 0, 0, 0, 0, 2}
	m3 := net.HardwareAddr{2, 0, 0, 0, 0, 3}
	ip1, ip2 := net.IP{10, 0, 0, 1}, net.IP{10, 0, 0, 2}
	frames := [][]byte{
		tcp4(t, m1, m2, ip1, ip2, 1000, 80, []byte("x")),    // 0: eth A->B, ip A->B
		tcp4(t, m2, m1, ip2, ip1, 80, 1000, nil),            // 1: eth B->A, ip B->A
		udpDNS(t, m1, m2, ip2, ip1, 53, 5353),               // 2: eth A->B, ip B->A
		tcp4(t, m1, m2, ip1, ip2, 1000, 80, []byte("yyyy")), // 3: eth A->B, ip A->B
		tcp4(t, m3, m2, ip1, ip2, 1000, 80, []byte("zz")),   // 4: new eth conversation, ip A->B
		tcp4(t, m2, m1, ip2, ip1, 80, 1000, nil),            // 5: eth B->A, ip B->A
	}
	a, err := New(DefaultConfig())
	require.NoError(t, err)
	add := func(i int) {
		a.Add(Packet{Data: frames[i], Length: len(frames[i]), LinkType: layers.LinkTypeEthernet, Timestamp: t0.Add(time.Duration(i) * time.Millisecond)})
	}
	sum := func(is ...int) (n uint64) {
		for _, i := range is {
			n += uint64(len(frames[i]))
		}
		return n
	}
	for i := range 3 {
		add(i)
	}
	eth := a.Conversations(ConvEth)
	require.Len(t, eth, 1)
	require.Equal(t, [4]uint64{2, sum(0, 2), 1, sum(1)}, [4]uint64{eth[0].AtoBFrames, eth[0].AtoBBytes, eth[0].BtoAFrames, eth[0].BtoABytes})
	ip := a.Conversations(ConvIPv4)
	require.Len(t, ip, 1)
	require.Equal(t, "10.0.0.1", ip[0].A)
	require.Equal(t, [4]uint64{1, sum(0), 2, sum(1, 2)}, [4]uint64{ip[0].AtoBFrames, ip[0].AtoBBytes, ip[0].BtoAFrames, ip[0].BtoABytes})
	require.Equal(t, eth, a.Conversations(ConvEth), "reading the tables changed them")

	for i := 3; i < len(frames); i++ {
		add(i)
	}
	eth = a.Conversations(ConvEth)
	require.Len(t, eth, 2)
	require.Equal(t, "02:00:00:00:00:01", eth[0].A)
	require.Equal(t, [4]uint64{3, sum(0, 2, 3), 2, sum(1, 5)}, [4]uint64{eth[0].AtoBFrames, eth[0].AtoBBytes, eth[0].BtoAFrames, eth[0].BtoABytes})
	require.Equal(t, [4]uint64{1, sum(4), 0, 0}, [4]uint64{eth[1].AtoBFrames, eth[1].AtoBBytes, eth[1].BtoAFrames, eth[1].BtoABytes})
	require.Equal(t, t0, eth[0].First)
	require.Equal(t, t0.Add(5*time.Millisecond), eth[0].Last)
	require.Equal(t, t0.Add(4*time.Millisecond), eth[1].First)

	ip = a.Conversations(ConvIPv4)
	require.Len(t, ip, 1)
	require.Equal(t, [4]uint64{3, sum(0, 3, 4), 3, sum(1, 2, 5)}, [4]uint64{ip[0].AtoBFrames, ip[0].AtoBBytes, ip[0].BtoAFrames, ip[0].BtoABytes})
	require.Equal(t, t0, ip[0].First)
	require.Equal(t, t0.Add(5*time.Millisecond), ip[0].Last)

	// The IP conversation's protocols are its flows' ones, in the order
	// of their first frames, with the same counts.
	tcp, udp := a.Conversations(ConvTCP), a.Conversations(ConvUDP)
	require.Len(t, tcp, 1)
	require.Len(t, udp, 1)
	want := map[string]ProtocolCount{}
	var order []string
	for _, p := range append(append([]ProtocolCount(nil), tcp[0].Protocols...), udp[0].Protocols...) {
		w, ok := want[p.Name]
		if !ok {
			order = append(order, p.Name)
		}
		w.Name, w.Frames, w.Bytes = p.Name, w.Frames+p.Frames, w.Bytes+p.Bytes
		want[p.Name] = w
	}
	var got []string
	for _, p := range ip[0].Protocols {
		got = append(got, p.Name)
		require.Equal(t, want[p.Name], p)
	}
	require.Equal(t, order, got)

	var eps []Endpoint
	for _, e := range a.Endpoints(ConvIPv4) {
		if e.Address == "10.0.0.1" {
			eps = append(eps, e)
		}
	}
	require.Len(t, eps, 1)
	require.Equal(t, [4]uint64{3, sum(0, 3, 4), 3, sum(1, 2, 5)}, [4]uint64{eps[0].TxFrames, eps[0].TxBytes, eps[0].RxFrames, eps[0].RxBytes})
}
