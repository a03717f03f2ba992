package capture

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	code := m.Run()
	removeBenchFiles()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

type frame struct {
	data   []byte
	length int // wire length; 0 means len(data)
}

func ser(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...))
	return append([]byte(nil), buf.Bytes()...)
}

var (
	macA = net.HardwareAddr{2, 0, 0, 0, 0, 0xa}
	macB = net.HardwareAddr{2, 0, 0, 0, 0, 0xb}
	ipA  = net.IP{192, 0, 2, 1}
	ipB  = net.IP{192, 0, 2, 2}
	ip6A = net.ParseIP("2001:db8::a")
	ip6B = net.ParseIP("2001:db8::b")
)

func udpDNS(t testing.TB, src, dst net.HardwareAddr, sip, dip net.IP, sport, dport layers.UDPPort) []byte {
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: sip, DstIP: dip}
	udp := &layers.UDP{SrcPort: sport, DstPort: dport}
	require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
	dns := &layers.DNS{ID: 1, RD: true, Questions: []layers.DNSQuestion{{Name: []byte("example.org"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
	return ser(t, eth, ip, udp, dns)
}

func tcp4(t testing.TB, src, dst net.HardwareAddr, sip, dip net.IP, sport, dport layers.TCPPort, payload []byte) []byte {
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: sip, DstIP: dip}
	tcp := &layers.TCP{SrcPort: sport, DstPort: dport, ACK: true, Window: 1000}
	require.NoError(t, tcp.SetNetworkLayerForChecksum(ip))
	if len(payload) == 0 {
		return ser(t, eth, ip, tcp)
	}
	return ser(t, eth, ip, tcp, gopacket.Payload(payload))
}

func tcp6(t testing.TB, sport, dport layers.TCPPort) []byte {
	eth := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv6}
	ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: ip6A, DstIP: ip6B}
	tcp := &layers.TCP{SrcPort: sport, DstPort: dport, SYN: true, Window: 1000}
	require.NoError(t, tcp.SetNetworkLayerForChecksum(ip))
	return ser(t, eth, ip, tcp)
}

func arpFrame(t testing.TB) []byte {
	eth := &layers.Ethernet{SrcMAC: macA, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP}
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: layers.ARPRequest, SourceHwAddress: macA, SourceProtAddress: ipA, DstHwAddress: make([]byte, 6), DstProtAddress: ipB}
	b := ser(t, eth, arp)
	return append(b, make([]byte, 60-len(b))...)
}

func icmp4(t testing.TB) []byte {
	eth := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: ipA, DstIP: ipB}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 7, Seq: 1}
	return ser(t, eth, ip, icmp, gopacket.Payload("ping"))
}

// icmp6HopByHop is an ICMPv6 echo behind a hop-by-hop and a destination
// options header: extension headers that add no row.
func icmp6HopByHop(t testing.TB) []byte {
	eth := &layers.Ethernet{SrcMAC: macB, DstMAC: macA, EthernetType: layers.EthernetTypeIPv6}
	ip := &layers.IPv6{Version: 6, HopLimit: 1, NextHeader: layers.IPProtocolIPv6HopByHop, SrcIP: ip6B, DstIP: ip6A}
	icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
	require.NoError(t, icmp.SetNetworkLayerForChecksum(ip))
	body := ser(t, icmp, &layers.ICMPv6Echo{Identifier: 1, SeqNumber: 1})
	// hop-by-hop (8 bytes: next=60 destination options, len 0, PadN) then
	// destination options (next=58 ICMPv6, PadN).
	ext := []byte{60, 0, 1, 4, 0, 0, 0, 0, 58, 0, 1, 4, 0, 0, 0, 0}
	return ser(t, eth, ip, gopacket.Payload(append(ext, body...)))
}

func vlanUDP(t testing.TB) []byte {
	eth := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeDot1Q}
	vlan := &layers.Dot1Q{VLANIdentifier: 5, Type: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: ipA, DstIP: ipB}
	udp := &layers.UDP{SrcPort: 33333, DstPort: 44444}
	require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
	return ser(t, eth, vlan, ip, udp, gopacket.Payload("hello"))
}

// writePcap writes frames (all Ethernet unless lt says otherwise) one
// millisecond apart.
func writePcap(t testing.TB, lt layers.LinkType, frames ...frame) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	require.NoError(t, w.WriteFileHeader(65535, lt))
	for i, f := range frames {
		l := f.length
		if l == 0 {
			l = len(f.data)
		}
		require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(f.data), Length: l}, f.data))
	}
	return buf.Bytes()
}

func analyze(t testing.TB, file []byte) (*Analyzer, error) {
	t.Helper()
	a, err := New(DefaultConfig())
	require.NoError(t, err)
	r, err := NewReader(bytes.NewReader(file), 0)
	if err != nil {
		return a, err
	}
	return a, a.ReadFrom(context.Background(), r)
}

// requireSharedCaptures returns [sharedCaptures] or, when it is not there,
// skips t (fails it under NETLAB_REQUIRE_TOOLS=1, as in CI, so that the
// tshark comparisons on the public samples cannot pass by comparing
// nothing).
func requireSharedCaptures(t testing.TB) string {
	t.Helper()
	dir := sharedCaptures(t)
	if dir == "" {
		missingSharedCaptures(t, "../shared/captures")
	}
	return dir
}

// missingSharedCaptures reports that what (the folder or one sample) is not
// there: a failure under NETLAB_REQUIRE_TOOLS=1, unless .ci/run found no
// shared/captures beside the clone and said so (NETLAB_NO_SHARED_CAPTURES=1),
// and a skip otherwise.
func missingSharedCaptures(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("NETLAB_NO_SHARED_CAPTURES") == "1" {
		t.Skipf("%s is missing (NETLAB_NO_SHARED_CAPTURES=1)", what)
	}
	testenv.Missing(t, what, "put the project's shared/captures beside the module root")
}

// sharedCaptures finds ../shared/captures beside the module root, as CI
// lays it out; "" when it is not there.
func sharedCaptures(t testing.TB) string {
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
	for _, c := range []string{filepath.Join(dir, "..", "shared", "captures"), filepath.Join(dir, "shared", "captures")} {
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c
		}
	}
	return ""
}
