package capture

import (
	"net"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gopacket's DNS decoder panics on this message (a slice bound past its
// end in a resource record); the fuzzer found it through the heuristics.
// On port 53, and on a port only the heuristic claims, it must count as a
// malformed frame, not crash the analysis.
var dnsDecoderPanic = []byte("00 0\x00\x01\x00\x00\x00\x00\x000\x000\x00\x01\x00\x00")

func TestDNSDecoderPanicIsAMalformedFrame(t *testing.T) {
	src, dst := net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}
	frameTo := func(port layers.UDPPort) []byte {
		eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IP{10, 0, 0, 1}, DstIP: net.IP{10, 0, 0, 2}}
		udp := &layers.UDP{SrcPort: 40000, DstPort: port}
		require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
		return ser(t, eth, ip, udp, gopacket.Payload(dnsDecoderPanic))
	}
	// With no spare capacity behind the message the decoder's over-read
	// panics (with spare capacity it reads bytes that are not the message).
	exact := dnsDecoderPanic[:len(dnsDecoderPanic):len(dnsDecoderPanic)]
	assert.False(t, dnsHeuristic(exact), "the heuristic refuses it")
	var d layers.DNS
	assert.ErrorContains(t, decodeDNS(&d, exact), "malformed")
	a, err := analyze(t, writePcap(t, layers.LinkTypeEthernet, frame{data: frameTo(53)}, frame{data: frameTo(40001)}))
	require.NoError(t, err)
	s := a.Summary()
	assert.Equal(t, uint64(2), s.Frames)
	assert.Equal(t, uint64(1), s.Malformed, "the port-53 frame is malformed DNS")
}
