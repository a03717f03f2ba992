package capture

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHierarchyExactCounts(t *testing.T) {
	dns1 := udpDNS(t, macA, macB, ipA, ipB, 5000, 53)
	dns2 := udpDNS(t, macB, macA, ipB, ipA, 53, 5000)
	tcpData := tcp4(t, macA, macB, ipA, ipB, 40000, 40001, []byte("some bytes"))
	tcpAck := tcp4(t, macB, macA, ipB, ipA, 40001, 40000, nil)
	t6 := tcp6(t, 40002, 40003)
	arp := arpFrame(t)
	ping := icmp4(t)
	ping6 := icmp6HopByHop(t)
	vlan := vlanUDP(t)
	bad := append(append([]byte(nil), dns1[:14]...), 0x45, 0, 0) // IPv4 header cut to 3 bytes
	cut := udpDNS(t, macA, macB, ipA, ipB, 5001, 53)
	file := writePcap(t, layers.LinkTypeEthernet,
		frame{data: dns1}, frame{data: dns2}, frame{data: tcpData}, frame{data: tcpAck}, frame{data: t6},
		frame{data: arp}, frame{data: ping}, frame{data: ping6}, frame{data: vlan}, frame{data: bad},
		frame{data: cut[:40], length: len(cut)})
	a, err := analyze(t, file)
	require.NoError(t, err)
	h := a.Hierarchy()
	L := func(rows ...[]byte) uint64 {
		var n uint64
		for _, r := range rows {
			n += uint64(len(r))
		}
		return n
	}
	check := func(frames int, bytes uint64, path ...string) {
		t.Helper()
		n := h.Lookup(path...)
		require.NotNil(t, n, "row %v", path)
		assert.Equal(t, uint64(frames), n.Frames, "frames of %v", path)
		assert.Equal(t, bytes, n.Bytes, "bytes of %v", path)
	}
	all := L(dns1, dns2, tcpData, tcpAck, t6, arp, ping, ping6, vlan, bad, cut)
	check(11, all, "eth")
	check(7, L(dns1, dns2, tcpData, tcpAck, ping, bad, cut), "eth", "ip")
	check(3, L(dns1, dns2, cut), "eth", "ip", "udp")
	check(2, L(dns1, dns2), "eth", "ip", "udp", "dns")
	check(1, L(cut), "eth", "ip", "udp", "_ws.short")
	check(2, L(tcpData, tcpAck), "eth", "ip", "tcp")
	check(1, L(tcpData), "eth", "ip", "tcp", "data")
	check(1, L(ping), "eth", "ip", "icmp")
	check(1, L(bad), "eth", "ip", "_ws.malformed")
	check(2, L(t6, ping6), "eth", "ipv6")
	check(1, L(t6), "eth", "ipv6", "tcp")
	check(1, L(ping6), "eth", "ipv6", "icmpv6")
	check(1, L(arp), "eth", "arp")
	check(1, L(vlan), "eth", "vlan", "ip", "udp", "data")
	assert.Nil(t, h.Lookup("eth", "ipv6", "tcp", "data"), "a bare SYN carries no data row")
	assert.Equal(t, ProtocolCount{"tcp", 3, L(tcpData, tcpAck, t6)}, h.Total("tcp"), "tcp under ip plus tcp under ipv6")
	pf, pb := h.Percent(h.Lookup("eth", "arp"))
	assert.InDelta(t, 100.0/11, pf, 1e-9)
	assert.InDelta(t, 100*float64(len(arp))/float64(all), pb, 1e-9)

	s := a.Summary()
	assert.Equal(t, uint64(11), s.Frames)
	assert.Equal(t, all, s.Bytes)
	assert.Equal(t, uint64(2), s.Malformed, "the cut IPv4 header and the snaplen-truncated DNS")
	assert.Equal(t, uint64(1), s.Truncated)
	assert.Equal(t, t0, s.First)
	assert.Equal(t, t0.Add(10*time.Millisecond), s.Last)

	var out bytes.Buffer
	require.NoError(t, h.WritePHS(&out))
	assert.Contains(t, out.String(), "\neth                                      frames:11 bytes:")
	assert.Contains(t, out.String(), "\n      dns                                frames:2 bytes:")
	out.Reset()
	require.NoError(t, h.WriteTree(&out))
	assert.Contains(t, out.String(), "\nframe                              100.0%         11 ")
	assert.Contains(t, out.String(), "\n    arp                              9.1%          1 ")
}

func TestConversationsAndEndpoints(t *testing.T) {
	q := udpDNS(t, macA, macB, ipA, ipB, 5000, 53)
	r := udpDNS(t, macB, macA, ipB, ipA, 53, 5000)
	q2 := udpDNS(t, macA, macB, ipA, ipB, 5000, 53)
	other := tcp4(t, macA, macB, ipA, ipB, 1234, 80, []byte("GET /"))
	file := writePcap(t, layers.LinkTypeEthernet, frame{data: q}, frame{data: r}, frame{data: q2}, frame{data: other})
	a, err := analyze(t, file)
	require.NoError(t, err)

	udp := a.Conversations(ConvUDP)
	require.Len(t, udp, 1)
	c := udp[0]
	assert.Equal(t, "192.0.2.1:5000", c.A, "A sent the first frame")
	assert.Equal(t, "192.0.2.2:53", c.B)
	assert.Equal(t, uint64(2), c.AtoBFrames)
	assert.Equal(t, uint64(len(q)+len(q2)), c.AtoBBytes)
	assert.Equal(t, uint64(1), c.BtoAFrames)
	assert.Equal(t, uint64(len(r)), c.BtoABytes)
	assert.Equal(t, t0, c.First)
	assert.Equal(t, t0.Add(2*time.Millisecond), c.Last)
	assert.Equal(t, time.Duration(0), c.Start)

	ip := a.Conversations(ConvIPv4)
	require.Len(t, ip, 1, "one unordered pair, both directions")
	assert.Equal(t, uint64(4), ip[0].Frames())
	assert.Equal(t, "dns", ip[0].Dominant(false), "three DNS frames beat one TCP frame")
	require.Less(t, len(other), 3*len(q))
	assert.Equal(t, "dns", ip[0].Dominant(true))

	eth := a.Conversations(ConvEth)
	require.Len(t, eth, 1)
	assert.Equal(t, "02:00:00:00:00:0a", eth[0].A)
	tcp := a.Conversations(ConvTCP)
	require.Len(t, tcp, 1)
	assert.Equal(t, 3*time.Millisecond, tcp[0].Start)

	eps := a.Endpoints(ConvIPv4)
	require.Len(t, eps, 2)
	assert.Equal(t, "192.0.2.1", eps[0].Address)
	assert.Equal(t, uint64(3), eps[0].TxFrames)
	assert.Equal(t, uint64(1), eps[0].RxFrames)
	assert.Equal(t, eps[0].TxBytes, eps[1].RxBytes)

	var out bytes.Buffer
	require.NoError(t, WriteConversations(&out, ConvUDP, udp))
	assert.Contains(t, out.String(), "192.0.2.1:5000             <-> 192.0.2.2:53                     1 71 bytes        2 142 bytes       3 213 bytes     0.000000000         0.0020\n")
	out.Reset()
	require.NoError(t, WriteEndpoints(&out, ConvIPv4, eps))
	assert.Contains(t, out.String(), "IPv4 Endpoints")
}

func TestConversationTableLimit(t *testing.T) {
	a, err := New(Config{MaxPacketSize: 65535, MaxConversations: 1})
	require.NoError(t, err)
	a.Add(Packet{Data: udpDNS(t, macA, macB, ipA, ipB, 1, 53), Length: 0, LinkType: layers.LinkTypeEthernet, Timestamp: t0})
	a.Add(Packet{Data: udpDNS(t, macA, macB, ipA, ipB, 2, 53), LinkType: layers.LinkTypeEthernet, Timestamp: t0})
	assert.Len(t, a.Conversations(ConvUDP), 1)
	assert.Equal(t, uint64(1), a.Summary().ConversationsDropped)
	assert.Equal(t, uint64(2), a.Hierarchy().Lookup("eth", "ip", "udp", "dns").Frames, "the hierarchy still counts every frame")
}

func TestConfigValidation(t *testing.T) {
	_, err := New(Config{MaxPacketSize: 10, MaxConversations: 5})
	assert.ErrorContains(t, err, "MaxPacketSize")
	_, err = New(Config{MaxPacketSize: 1000})
	assert.ErrorContains(t, err, "MaxConversations")
	_, err = ParseConvKind("ipx")
	assert.Error(t, err)
	k, err := ParseConvKind("ipv6")
	require.NoError(t, err)
	assert.Equal(t, ConvIPv6, k)
}

func TestPcapNGMixedLinkTypes(t *testing.T) {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{Name: "eth0", LinkType: layers.LinkTypeEthernet, SnapLength: 0}, pcapgo.NgWriterOptions{})
	require.NoError(t, err)
	lo, err := w.AddInterface(pcapgo.NgInterface{Name: "lo0", LinkType: layers.LinkTypeNull, SnapLength: 65535})
	require.NoError(t, err)
	dns := udpDNS(t, macA, macB, ipA, ipB, 5000, 53)
	require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: t0, CaptureLength: len(dns), Length: len(dns), InterfaceIndex: 0}, dns))
	// BSD loopback: a 4-byte host-order family (24 = IPv6 on BSD), then IPv6.
	v6 := tcp6(t, 1, 2)[14:]
	null := append([]byte{24, 0, 0, 0}, v6...)
	for i := 0; i < 2; i++ {
		require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: t0.Add(time.Second), CaptureLength: len(null), Length: len(null), InterfaceIndex: lo}, null))
	}
	require.NoError(t, w.Flush())

	r, err := NewReader(bytes.NewReader(buf.Bytes()), 0)
	require.NoError(t, err)
	assert.Equal(t, FormatPcapNG, r.Format())
	a, err := New(DefaultConfig())
	require.NoError(t, err)
	require.NoError(t, a.ReadFrom(context.Background(), r))
	assert.Equal(t, uint64(1), a.Hierarchy().Lookup("eth", "ip", "udp", "dns").Frames)
	assert.Equal(t, uint64(2), a.Hierarchy().Lookup("null", "ipv6", "tcp").Frames, "frames of the second link type are kept")
	assert.Equal(t, uint64(3), a.Summary().Frames)
}

func TestGzipAndLinkTypes(t *testing.T) {
	v4 := udpDNS(t, macA, macB, ipA, ipB, 5000, 53)[14:]
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	_, err := zw.Write(writePcap(t, layers.LinkTypeRaw, frame{data: v4}))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	a, err := analyze(t, z.Bytes())
	require.NoError(t, err)
	assert.Equal(t, uint64(1), a.Hierarchy().Lookup("raw", "ip", "udp", "dns").Frames)
	// Bare IP has no MAC addresses: the graph falls back to IP nodes.
	g, err := a.Graph(GraphConfig{})
	require.NoError(t, err)
	assert.Equal(t, ConvIPv4, g.Kind)
	require.Len(t, g.Nodes, 2)
	assert.ElementsMatch(t, []string{ipA.String(), ipB.String()}, []string{g.Nodes[0].Label, g.Nodes[1].Label})
	require.Len(t, g.Edges, 1)
	assert.Equal(t, "dns", g.Edges[0].Protocol)

	sll := append([]byte{0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0xa, 0, 0, 0x08, 0x00}, v4...)
	a, err = analyze(t, writePcap(t, layers.LinkTypeLinuxSLL, frame{data: sll}))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), a.Hierarchy().Lookup("sll", "ip", "udp", "dns").Frames)

	a, err = analyze(t, writePcap(t, layers.LinkType(147), frame{data: v4}))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), a.Hierarchy().Lookup("data").Frames, "an unknown link type is data")
	// Neither MAC nor IP addresses: an empty graph, not an error.
	g, err = a.Graph(GraphConfig{})
	require.NoError(t, err)
	assert.Empty(t, g.Nodes)
}

func TestReaderPacketsAndOffsets(t *testing.T) {
	d := udpDNS(t, macA, macB, ipA, ipB, 5000, 53)
	file := writePcap(t, layers.LinkTypeEthernet, frame{data: d}, frame{data: d[:20], length: len(d)})
	r, err := NewReader(bytes.NewReader(file), 0)
	require.NoError(t, err)
	p, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, int64(24), p.Offset)
	assert.Equal(t, d, p.Data)
	assert.False(t, p.Truncated())
	p, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, int64(24+16+len(d)), p.Offset)
	assert.True(t, p.Truncated())
	_, err = r.Next()
	assert.ErrorIs(t, err, io.EOF)
}

// TestDecodeDoesNotAllocate holds the fast path to its promise: once the
// conversations exist, counting a frame allocates nothing.
func TestDecodeDoesNotAllocate(t *testing.T) {
	frames := [][]byte{
		udpDNS(t, macA, macB, ipA, ipB, 5000, 53), tcp4(t, macA, macB, ipA, ipB, 1, 2, []byte("x")),
		tcp6(t, 3, 4), arpFrame(t), icmp4(t), icmp6HopByHop(t), vlanUDP(t),
	}
	a, err := New(DefaultConfig())
	require.NoError(t, err)
	for _, f := range frames {
		a.Add(Packet{Data: f, Length: len(f), LinkType: layers.LinkTypeEthernet, Timestamp: t0})
	}
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		f := frames[i%len(frames)]
		i++
		a.Add(Packet{Data: f, Length: len(f), LinkType: layers.LinkTypeEthernet, Timestamp: t0})
	})
	assert.Zero(t, allocs)
}

// TestICMPErrorsQuoteUDP: what a quoted UDP datagram carries is a row below
// icmp, as Wireshark shows it; quoted TCP adds no row, and quoted packets
// start no conversation.
func TestICMPErrorsQuoteUDP(t *testing.T) {
	unreachable := func(quoted []byte) []byte {
		eth := &layers.Ethernet{SrcMAC: macB, DstMAC: macA, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: ipB, DstIP: ipA}
		icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)}
		return ser(t, eth, ip, icmp, gopacket.Payload(quoted))
	}
	dns := unreachable(udpDNS(t, macA, macB, ipA, ipB, 5000, 53)[14:])
	data := unreachable(vlanUDP(t)[18:])
	tcp := unreachable(tcp4(t, macA, macB, ipA, ipB, 1, 2, []byte("payload"))[14:])
	headerOnly := unreachable(vlanUDP(t)[18:46])
	a, err := analyze(t, writePcap(t, layers.LinkTypeEthernet, frame{data: dns}, frame{data: data}, frame{data: tcp}, frame{data: headerOnly}))
	require.NoError(t, err)
	h := a.Hierarchy()
	assert.Equal(t, uint64(4), h.Lookup("eth", "ip", "icmp").Frames)
	assert.Equal(t, uint64(len(dns)), h.Lookup("eth", "ip", "icmp", "dns").Bytes)
	assert.Equal(t, uint64(len(data)), h.Lookup("eth", "ip", "icmp", "data").Bytes)
	assert.Len(t, h.Lookup("eth", "ip", "icmp").Children, 2)
	assert.Empty(t, a.Conversations(ConvUDP), "a quoted datagram is not a conversation")
	assert.Len(t, a.Conversations(ConvIPv4), 1)
}

// TestLinuxSLL2 reads a pcap of link type 276 (Linux cooked v2, what
// tcpdump -i any writes), which gopacket does not know, and checks the rows
// against tshark when it is installed.
func TestLinuxSLL2(t *testing.T) {
	eth := udpDNS(t, macA, macB, ipA, ipB, 5000, 53)
	sll2 := append([]byte{0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0}, eth[14:]...)
	var file bytes.Buffer
	file.Write([]byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0})
	binary.Write(&file, binary.LittleEndian, uint32(276))
	for i := 0; i < 2; i++ {
		binary.Write(&file, binary.LittleEndian, [4]uint32{1700000000, uint32(i), uint32(len(sll2)), uint32(len(sll2))})
		file.Write(sll2)
	}
	a, err := analyze(t, file.Bytes())
	require.NoError(t, err)
	require.NotNil(t, a.Hierarchy().Lookup("sll", "ip", "udp", "dns"), "sll > ip > udp > dns")
	assert.Equal(t, uint64(2), a.Hierarchy().Lookup("sll", "ip", "udp", "dns").Frames)
	assert.Zero(t, a.Summary().Malformed)

	tshark := testenv.LookPath(t, "tshark", "apt-get install tshark")
	path := filepath.Join(t.TempDir(), "sll2.pcap")
	require.NoError(t, os.WriteFile(path, file.Bytes(), 0o644))
	out, err := exec.Command(tshark, "-n", "-r", path, "-q", "-z", "io,phs").Output()
	require.NoError(t, err)
	var phs bytes.Buffer
	require.NoError(t, a.Hierarchy().WritePHS(&phs))
	assert.Contains(t, string(out), phs.String(), "tshark's io,phs")
}
