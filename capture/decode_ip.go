package capture

import (
	"encoding/binary"
	"errors"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// The network layers: IPv4, IPv6 with its extension headers, and ICMP,
// whose error messages quote a UDP datagram.

func (d *frameDecoder) ipLayers() []gopacket.DecodingLayer {
	ip4 := &gpLayer{DecodingLayer: &d.ip4, d: d, row: protoIP,
		after: func(data []byte) { d.ipTap(ConvIPv4, data[12:16], data[16:20]) },
		next: func() gopacket.LayerType {
			if d.ip4.Flags&layers.IPv4MoreFragments != 0 || d.ip4.FragOffset != 0 {
				// A fragment: without reassembly its payload is just data.
				return payloadOr(d.ip4.Payload, gopacket.LayerTypePayload)
			}
			return d.ipNext(d.ip4.Protocol, d.ip4.Payload, false)
		}}
	ip6 := &gpLayer{DecodingLayer: &d.ip6, d: d, row: protoIPv6,
		after: func(data []byte) { d.ipTap(ConvIPv6, data[8:24], data[24:40]) },
		next: func() gopacket.LayerType {
			next := d.ip6.NextHeader
			if d.ip6.HopByHop != nil {
				next = d.ip6.HopByHop.NextHeader
			}
			return d.ipNext(next, d.ip6.Payload, true)
		}}
	// ICMP error messages quote the start of the packet that caused them
	// (RFC 792, RFC 4443 section 3). Wireshark dissects the quoted IP and
	// UDP headers inside the icmp row, but what the quoted UDP payload
	// holds (dns, data, ...) lands as a row below icmp; quoted TCP
	// payloads add no row.
	icmp4 := &gpLayer{DecodingLayer: &d.icmp4, d: d, row: protoICMP,
		after: func([]byte) {
			d.quoted = quotedUDP{}
			switch d.icmp4.TypeCode.Type() {
			case layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4TypeSourceQuench, layers.ICMPv4TypeRedirect,
				layers.ICMPv4TypeTimeExceeded, layers.ICMPv4TypeParameterProblem:
				d.quoted.parse(d.icmp4.Payload, false)
			}
		},
		next: d.quoted.next, payload: d.quotedPayload}
	icmp6 := &gpLayer{DecodingLayer: &d.icmp6, d: d, row: protoICMPv6,
		after: func([]byte) {
			d.quoted = quotedUDP{}
			// Types 1 to 4 are the errors; 4 bytes of type-specific data
			// precede the quoted packet.
			if t := d.icmp6.TypeCode.Type(); t >= 1 && t <= 4 && len(d.icmp6.Payload) >= 4 {
				d.quoted.parse(d.icmp6.Payload[4:], true)
			}
		},
		next: d.quoted.next, payload: d.quotedPayload}
	return []gopacket.DecodingLayer{ip4, ip6, d.ip6ExtLayer(), icmp4, icmp6}
}

// ipTap notes the innermost IP header's addresses, for its own table and
// for the TCP or UDP header that may follow.
func (d *frameDecoder) ipTap(kind ConvKind, src, dst []byte) {
	t := tap{kind: kind, v6: kind == ConvIPv6}
	copy(t.src[:], src)
	copy(t.dst[:], dst)
	d.curIP = t
	d.addTap(t)
}

func (d *frameDecoder) quotedPayload() []byte { return d.quoted.payload }

// ipNext chooses what follows an IP header (or IPv6 extension header).
func (d *frameDecoder) ipNext(p layers.IPProtocol, payload []byte, v6 bool) gopacket.LayerType {
	switch p {
	case layers.IPProtocolNoNextHeader:
		return payloadOr(payload, gopacket.LayerTypePayload)
	case layers.IPProtocolIPv6HopByHop, layers.IPProtocolIPv6Routing, layers.IPProtocolIPv6Fragment, layers.IPProtocolIPv6Destination:
		if v6 {
			d.extNext = p
			return layers.LayerTypeIPv6Routing // any type the extension layer claims
		}
	}
	if len(payload) == 0 {
		return gopacket.LayerTypeZero
	}
	if t := ipNextTypes[p]; t != 0 {
		return t
	}
	return gopacket.LayerTypePayload
}

// ipNextTypes is what follows an IP header, by protocol number: a decoder,
// or a row of its own name (ipProtoNames); 0 for data.
var ipNextTypes = func() (t [256]gopacket.LayerType) {
	for p, name := range ipProtoNames {
		t[p] = nameOnly(name)
	}
	t[layers.IPProtocolTCP], t[layers.IPProtocolUDP] = layers.LayerTypeTCP, layers.LayerTypeUDP
	t[layers.IPProtocolICMPv4], t[layers.IPProtocolICMPv6] = layers.LayerTypeICMPv4, layers.LayerTypeICMPv6
	t[layers.IPProtocolIPv4], t[layers.IPProtocolIPv6] = layers.LayerTypeIPv4, layers.LayerTypeIPv6
	return t
}()

// ip6ExtLayer walks IPv6 extension headers (RFC 8200 section 4). Wireshark
// shows them inside the ipv6 row, so they add no row of their own.
func (d *frameDecoder) ip6ExtLayer() *ownLayer {
	var next layers.IPProtocol // the header after this one
	return &ownLayer{d: d,
		typ: gopacket.NewLayerClass([]gopacket.LayerType{layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing,
			layers.LayerTypeIPv6Fragment, layers.LayerTypeIPv6Destination}),
		measure: func(data []byte) (int, error) {
			if len(data) < 8 {
				return 0, errors.New("IPv6 extension header shorter than 8 bytes")
			}
			n := 8
			d.extFrag = false
			if d.extNext == layers.IPProtocolIPv6Fragment {
				off := binary.BigEndian.Uint16(data[2:4])
				d.extFrag = off>>3 != 0 || off&1 != 0
			} else {
				n = (int(data[1]) + 1) * 8
			}
			if len(data) < n {
				return 0, errors.New("IPv6 extension header longer than the packet")
			}
			next = layers.IPProtocol(data[0])
			return n, nil
		},
		next: func(payload []byte) gopacket.LayerType {
			if d.extFrag {
				return payloadOr(payload, gopacket.LayerTypePayload)
			}
			return d.ipNext(next, payload, true)
		}}
}

// quotedUDP is the UDP datagram quoted in an ICMP error, if there is one.
type quotedUDP struct {
	sport, dport uint16
	payload      []byte
}

func (q *quotedUDP) parse(pkt []byte, v6 bool) {
	var hl int
	if v6 {
		if len(pkt) < 40 || pkt[0]>>4 != 6 || layers.IPProtocol(pkt[6]) != layers.IPProtocolUDP {
			return
		}
		hl = 40
	} else {
		if len(pkt) < 20 || pkt[0]>>4 != 4 || layers.IPProtocol(pkt[9]) != layers.IPProtocolUDP {
			return
		}
		if binary.BigEndian.Uint16(pkt[6:8])&0x1fff != 0 {
			return // a later fragment quotes no UDP header
		}
		hl = int(pkt[0]&0x0f) * 4
		if hl < 20 {
			return
		}
	}
	if len(pkt) < hl+8 {
		return
	}
	udp := pkt[hl:]
	end := len(udp)
	if n := int(binary.BigEndian.Uint16(udp[4:6])); n >= 8 && n < end {
		end = n
	}
	q.sport, q.dport = binary.BigEndian.Uint16(udp[0:2]), binary.BigEndian.Uint16(udp[2:4])
	q.payload = udp[8:end]
}

func (q *quotedUDP) next() gopacket.LayerType {
	if len(q.payload) == 0 {
		return gopacket.LayerTypeZero
	}
	return udpNext(q.sport, q.dport)
}
