package capture

import (
	"encoding/binary"
	"errors"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// The transport layers and what follows them: TCP (its payload goes to
// reassembly, stream.go), UDP (by port, then by heuristics), DNS over UDP
// and TCP, and "data" for what nothing claims.

func (d *frameDecoder) transportLayers() []gopacket.DecodingLayer {
	tcp := &gpLayer{DecodingLayer: &d.tcp, d: d, row: protoTCP,
		after: func([]byte) { d.transportTap(ConvTCP, uint16(d.tcp.SrcPort), uint16(d.tcp.DstPort)) },
		next: func() gopacket.LayerType {
			l := &d.tcp
			switch {
			case len(l.Payload) == 0:
				return gopacket.LayerTypeZero
			case l.SrcPort == 53 || l.DstPort == 53:
				return layerTypeDNSTCP
			case d.streams == nil:
				return gopacket.LayerTypePayload
			}
			d.tcpSegment(d.flow, &d.curIP, uint16(l.SrcPort), uint16(l.DstPort), l.Seq, l.SYN, l.FIN, l.RST, l.Payload)
			return gopacket.LayerTypeZero
		}}
	udp := &gpLayer{DecodingLayer: &d.udp, d: d, row: protoUDP,
		after: func([]byte) { d.transportTap(ConvUDP, uint16(d.udp.SrcPort), uint16(d.udp.DstPort)) },
		next: func() gopacket.LayerType {
			l := &d.udp
			if len(l.Payload) == 0 {
				return gopacket.LayerTypeZero
			}
			next := udpNext(uint16(l.SrcPort), uint16(l.DstPort))
			if next == gopacket.LayerTypePayload && d.streams != nil {
				// No port claims it: Wireshark's heuristics, DNS before QUIC.
				switch {
				case dnsHeuristic(l.Payload):
					return layers.LayerTypeDNS
				case quicHeuristic(l.Payload):
					return nameOnly(protoQUIC)
				}
			}
			return next
		}}
	d.dnsLayer = &gpLayer{DecodingLayer: &d.dns, d: d, row: protoDNS, after: d.dnsFact,
		next: func() gopacket.LayerType { return gopacket.LayerTypeZero }}
	// DNS over TCP (RFC 1035 section 4.2.2): a two-byte length before each
	// message.
	dnsTCP := &ownLayer{typ: layerTypeDNSTCP, d: d, next: stop,
		measure: func(data []byte) (int, error) {
			if len(data) < 2 {
				d.push(protoDNS)
				return 0, errors.New("DNS over TCP: length prefix cut short")
			}
			n := int(binary.BigEndian.Uint16(data))
			msg := data[2:]
			if n < len(msg) {
				msg = msg[:n]
			}
			if err := d.dnsLayer.DecodeFromBytes(msg, gopacket.NilDecodeFeedback); err != nil {
				return 0, err
			}
			if n := len(d.apps); n > 0 && d.apps[n-1].kind == factDNS {
				d.apps[n-1].dns.size += 2 // Wireshark counts the length prefix
			}
			return len(data), nil
		}}
	// Whatever no decoder claims: Wireshark's "data".
	payload := &gpLayer{DecodingLayer: &d.payload, d: d, row: protoData}
	return []gopacket.DecodingLayer{tcp, udp, d.dnsLayer, dnsTCP, payload}
}

// transportTap notes a TCP or UDP header's conversation, numbered in the
// flow table.
func (d *frameDecoder) transportTap(kind ConvKind, sport, dport uint16) {
	d.sport, d.dport = sport, dport
	t := d.curIP
	t.kind, t.sport, t.dpt = kind, sport, dport
	t.flow = -1
	if d.flow = d.flows.find(&t); d.flow != nil {
		t.flow = d.flow.id + 1
	}
	d.addTap(t)
}

// udpNext follows Wireshark: try the lower port first, then the higher.
func udpNext(sport, dport uint16) gopacket.LayerType {
	lo, hi := min(sport, dport), max(sport, dport)
	for _, port := range [2]uint16{lo, hi} {
		if port == 53 {
			return layers.LayerTypeDNS
		}
		if name, ok := udpPortNames[port]; ok {
			return nameOnly(name)
		}
	}
	return gopacket.LayerTypePayload
}

// safeDNS is gopacket's DNS decoder behind decodeDNS, which turns its
// panics into errors.
type safeDNS struct{ layers.DNS }

func (s *safeDNS) DecodeFromBytes(data []byte, _ gopacket.DecodeFeedback) error {
	return decodeDNS(&s.DNS, data)
}

// dnsFact notes what the DNS statistics need of the message just decoded.
func (d *frameDecoder) dnsFact(data []byte) {
	l := &d.dns
	f := appFact{kind: factDNS, dns: dnsFact{id: l.ID, src: d.curIP.src, dst: d.curIP.dst, sport: d.sport, dport: d.dport, qr: l.QR, opcode: uint8(l.OpCode), rcode: uint8(l.ResponseCode),
		qd: l.QDCount, an: l.ANCount, ns: l.NSCount, ar: l.ARCount, size: len(data), v6: d.curIP.v6}}
	if len(l.Questions) > 0 {
		q := l.Questions[0]
		f.dns.qname, f.dns.qtype, f.dns.qclass, f.dns.hasQ = d.strs.str(q.Name), uint16(q.Type), uint16(q.Class), true
	}
	d.addApp(f)
}
