package capture

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// GenerateConfig describes a synthetic capture: a small LAN of hosts that
// resolve names (some queries answered by an ICMP port unreachable), open
// TCP connections over IPv4 and IPv6, ping, ARP, and send VLAN-tagged
// datagrams. The addresses are made up (02:00:... MACs,
// 10.0.0.0/24, fd00::/64); nothing is sent anywhere, frames only go to the
// file.
type GenerateConfig struct {
	Hosts       int           // number of hosts, at least 2
	Frames      int           // number of frames to write
	PayloadSize int           // largest TCP/UDP payload; 0 means 512
	Seed        uint64        // makes the capture repeatable
	Start       time.Time     // timestamp of the first frame; zero means 2024-01-01 UTC
	Gap         time.Duration // time between frames; 0 means 1ms
}

// GenerateStats is what [Generate] wrote, counted independently of the
// decoder, so tests can check the analysis against it.
type GenerateStats struct {
	Frames uint64
	Bytes  uint64
	// Protocols counts frames per protocol name on each frame's path
	// ("eth", "vlan", "arp", "ip", "ipv6", "icmp", "icmpv6", "tcp", "udp",
	// "dns", "data").
	Protocols map[string]uint64
}

// Generate writes a synthetic pcap file (Ethernet link type) to w.
func Generate(w io.Writer, cfg GenerateConfig) (GenerateStats, error) {
	if cfg.Hosts < 2 || cfg.Hosts > 250 {
		return GenerateStats{}, fmt.Errorf("capture: GenerateConfig.Hosts %d is outside [2, 250]", cfg.Hosts)
	}
	if cfg.Frames < 0 {
		return GenerateStats{}, fmt.Errorf("capture: GenerateConfig.Frames %d is negative", cfg.Frames)
	}
	if cfg.PayloadSize == 0 {
		cfg.PayloadSize = 512
	}
	if cfg.PayloadSize < 1 || cfg.PayloadSize > 8000 {
		return GenerateStats{}, fmt.Errorf("capture: GenerateConfig.PayloadSize %d is outside [1, 8000]", cfg.PayloadSize)
	}
	if cfg.Start.IsZero() {
		cfg.Start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if cfg.Gap == 0 {
		cfg.Gap = time.Millisecond
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	pw := pcapgo.NewWriter(bw)
	if err := pw.WriteFileHeader(uint32(defaultMaxPacket), layers.LinkTypeEthernet); err != nil {
		return GenerateStats{}, fmt.Errorf("capture: generate: %w", err)
	}
	g := &generator{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x636170)), buf: gopacket.NewSerializeBuffer(),
		stats: GenerateStats{Protocols: map[string]uint64{}}, payload: make([]byte, cfg.PayloadSize)}
	for i := range g.payload {
		g.payload[i] = byte('a' + i%26)
	}
	ts := cfg.Start
	for i := 0; i < cfg.Frames; i++ {
		frame, protos := g.next()
		if g.err != nil {
			return g.stats, g.err
		}
		ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(frame), Length: len(frame)}
		if err := pw.WritePacket(ci, frame); err != nil {
			return g.stats, fmt.Errorf("capture: generate: %w", err)
		}
		g.stats.Frames++
		g.stats.Bytes += uint64(len(frame))
		for _, p := range protos {
			g.stats.Protocols[p]++
		}
		ts = ts.Add(cfg.Gap)
	}
	if err := bw.Flush(); err != nil {
		return g.stats, fmt.Errorf("capture: generate: %w", err)
	}
	return g.stats, nil
}

type generator struct {
	cfg     GenerateConfig
	rng     *rand.Rand
	buf     gopacket.SerializeBuffer
	stats   GenerateStats
	payload []byte
	err     error
	seqs    map[[3]int]uint32 // next sequence number per host pair and IP version
}

func hostMAC(i int) net.HardwareAddr { return net.HardwareAddr{2, 0, 0, 0, 0, byte(i + 1)} }
func hostIP4(i int) net.IP           { return net.IP{10, 0, 0, byte(i + 1)} }
func hostIP6(i int) net.IP {
	ip := make(net.IP, 16)
	ip[0], ip[1], ip[15] = 0xfd, 0x00, byte(i+1)
	return ip
}

// tcpPort is the generated TCP traffic's server port: one that Wireshark
// gives to no dissector, so its random payloads are "data" there too.
const tcpPort = 40999

// seq returns the sequence number of the next n bytes from host a to host
// b over IPv4 or IPv6 (v), so that no segment looks like a retransmission.
func (g *generator) seq(a, b, v, n int) uint32 {
	if g.seqs == nil {
		g.seqs = map[[3]int]uint32{}
	}
	k := [3]int{a, b, v}
	s := g.seqs[k]
	g.seqs[k] = s + uint32(n)
	return s
}

// next returns one frame and the protocols on its path.
func (g *generator) next() ([]byte, []string) {
	a := g.rng.IntN(g.cfg.Hosts)
	b := (a + 1 + g.rng.IntN(g.cfg.Hosts-1)) % g.cfg.Hosts
	eth := &layers.Ethernet{SrcMAC: hostMAC(a), DstMAC: hostMAC(b), EthernetType: layers.EthernetTypeIPv4}
	ip4 := &layers.IPv4{Version: 4, TTL: 64, SrcIP: hostIP4(a), DstIP: hostIP4(b)}
	ip6 := &layers.IPv6{Version: 6, HopLimit: 64, SrcIP: hostIP6(a), DstIP: hostIP6(b)}
	payload := gopacket.Payload(g.payload[:1+g.rng.IntN(len(g.payload))])
	sport := layers.TCPPort(40000 + a)
	switch k := g.rng.IntN(100); {
	case k < 20: // a DNS query
		ip4.Protocol = layers.IPProtocolUDP
		udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: 53}
		_ = udp.SetNetworkLayerForChecksum(ip4)
		dns := &layers.DNS{ID: uint16(k), RD: true, Questions: []layers.DNSQuestion{{Name: []byte("host.example"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
		return g.ser(eth, ip4, udp, dns), []string{"eth", "ip", "udp", "dns"}
	case k < 55: // TCP over IPv4, sometimes a bare ACK
		ip4.Protocol = layers.IPProtocolTCP
		tcp := &layers.TCP{SrcPort: sport, DstPort: tcpPort, ACK: true, Window: 65535}
		_ = tcp.SetNetworkLayerForChecksum(ip4)
		if k < 30 {
			tcp.Seq = g.seq(a, b, 4, 0)
			return g.ser(eth, ip4, tcp), []string{"eth", "ip", "tcp"}
		}
		tcp.Seq = g.seq(a, b, 4, len(payload))
		return g.ser(eth, ip4, tcp, payload), []string{"eth", "ip", "tcp", "data"}
	case k < 70: // TCP over IPv6
		eth.EthernetType = layers.EthernetTypeIPv6
		ip6.NextHeader = layers.IPProtocolTCP
		tcp := &layers.TCP{SrcPort: sport, DstPort: tcpPort, PSH: true, ACK: true, Window: 65535, Seq: g.seq(a, b, 6, len(payload))}
		_ = tcp.SetNetworkLayerForChecksum(ip6)
		return g.ser(eth, ip6, tcp, payload), []string{"eth", "ipv6", "tcp", "data"}
	case k < 78: // UDP that no dissector claims
		ip4.Protocol = layers.IPProtocolUDP
		udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: 40000}
		_ = udp.SetNetworkLayerForChecksum(ip4)
		return g.ser(eth, ip4, udp, payload), []string{"eth", "ip", "udp", "data"}
	case k < 81: // a port unreachable that quotes a DNS query
		ip4.Protocol = layers.IPProtocolUDP
		udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: 53}
		_ = udp.SetNetworkLayerForChecksum(ip4)
		dns := &layers.DNS{ID: 9, RD: true, Questions: []layers.DNSQuestion{{Name: []byte("gone.example"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
		quoted := g.ser(ip4, udp, dns)
		reply := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: hostIP4(b), DstIP: hostIP4(a)}
		eth.SrcMAC, eth.DstMAC = hostMAC(b), hostMAC(a)
		icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)}
		return g.ser(eth, reply, icmp, gopacket.Payload(quoted)), []string{"eth", "ip", "icmp", "dns"}
	case k < 84: // ICMP echo
		ip4.Protocol = layers.IPProtocolICMPv4
		icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeEchoRequest, 0), Id: 1, Seq: uint16(k)}
		return g.ser(eth, ip4, icmp, gopacket.Payload(g.payload[:32])), []string{"eth", "ip", "icmp"}
	case k < 89: // ICMPv6 echo
		eth.EthernetType = layers.EthernetTypeIPv6
		ip6.NextHeader = layers.IPProtocolICMPv6
		icmp := &layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(layers.ICMPv6TypeEchoRequest, 0)}
		_ = icmp.SetNetworkLayerForChecksum(ip6)
		echo := &layers.ICMPv6Echo{Identifier: 1, SeqNumber: uint16(k)}
		return g.ser(eth, ip6, icmp, echo, gopacket.Payload(g.payload[:16])), []string{"eth", "ipv6", "icmpv6"}
	case k < 95: // ARP request, padded to the Ethernet minimum
		eth.EthernetType = layers.EthernetTypeARP
		eth.DstMAC = layers.EthernetBroadcast
		arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: layers.ARPRequest, SourceHwAddress: hostMAC(a), SourceProtAddress: hostIP4(a),
			DstHwAddress: make([]byte, 6), DstProtAddress: hostIP4(b)}
		frame := g.ser(eth, arp)
		for len(frame) < 60 {
			frame = append(frame, 0)
		}
		return frame, []string{"eth", "arp"}
	default: // a DNS query on VLAN 10
		eth.EthernetType = layers.EthernetTypeDot1Q
		vlan := &layers.Dot1Q{VLANIdentifier: 10, Type: layers.EthernetTypeIPv4}
		ip4.Protocol = layers.IPProtocolUDP
		udp := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: 53}
		_ = udp.SetNetworkLayerForChecksum(ip4)
		dns := &layers.DNS{ID: 7, RD: true, Questions: []layers.DNSQuestion{{Name: []byte("vlan.example"), Type: layers.DNSTypeAAAA, Class: layers.DNSClassIN}}}
		return g.ser(eth, vlan, ip4, udp, dns), []string{"eth", "vlan", "ip", "udp", "dns"}
	}
}

func (g *generator) ser(ls ...gopacket.SerializableLayer) []byte {
	if err := gopacket.SerializeLayers(g.buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		g.err = fmt.Errorf("capture: generate: %w", err)
		return nil
	}
	return append([]byte(nil), g.buf.Bytes()...)
}
