package capture

import (
	"encoding/binary"
	"errors"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// The link layers: Ethernet, 802.1Q, Linux cooked (SLL and SLL2), BSD
// loopback, raw IP, LLC with IS-IS, the configuration testing protocol,
// ARP, and MPLS with Ethernet pseudowires.

// linkTypeLinuxSLL2 is DLT_LINUX_SLL2 (276), the "any" device's pseudo-header
// since libpcap 1.10, which gopacket does not know: a 20-byte header
//
//	protocol (EtherType) | reserved | interface index | ARPHRD type |
//	packet type | address length | address (8 bytes)
//
// that Wireshark shows as the same "sll" row as version 1. gopacket's
// LinkType has 8 bits, so pcapgo hands over 276 as 276 mod 256 = 20, a
// value no link type uses.
const linkTypeLinuxSLL2 layers.LinkType = 276 & 0xff

func (d *frameDecoder) linkLayers() []gopacket.DecodingLayer {
	eth := &gpLayer{DecodingLayer: &d.eth, d: d, row: protoEth,
		after: func(data []byte) {
			t := tap{kind: ConvEth}
			copy(t.src[:], data[6:12])
			copy(t.dst[:], data[0:6])
			d.addTap(t)
		},
		next: func() gopacket.LayerType { return etherNext(d.eth.EthernetType, d.eth.Payload) }}
	vlan := &gpLayer{DecodingLayer: &d.dot1q, d: d, row: protoVLAN,
		next: func() gopacket.LayerType {
			t := d.dot1q.Type
			if t < 0x0600 {
				t = layers.EthernetTypeLLC // a length: 802.3 with LLC
			}
			return etherNext(t, d.dot1q.Payload)
		}}
	sll := &gpLayer{DecodingLayer: &d.sll, d: d, row: protoSLL,
		next: func() gopacket.LayerType { return etherNext(d.sll.EthernetType, d.sll.Payload) }}
	null := &gpLayer{DecodingLayer: &d.loopback, d: d, row: protoNull,
		next: func() gopacket.LayerType {
			switch d.loopback.Family {
			case layers.ProtocolFamilyIPv4:
				return payloadOr(d.loopback.Payload, layers.LayerTypeIPv4)
			case layers.ProtocolFamilyIPv6BSD, layers.ProtocolFamilyIPv6FreeBSD, layers.ProtocolFamilyIPv6Darwin, 10:
				return payloadOr(d.loopback.Payload, layers.LayerTypeIPv6)
			}
			return payloadOr(d.loopback.Payload, gopacket.LayerTypePayload)
		}}
	sll2 := &ownLayer{typ: layerTypeSLL2, d: d, rows: []proto{protoSLL},
		measure: func(data []byte) (int, error) {
			if len(data) < 20 {
				return 0, errors.New("cooked header v2 (Linux SLL2) shorter than 20 bytes")
			}
			d.sll2Proto = layers.EthernetType(binary.BigEndian.Uint16(data))
			return 20, nil
		},
		next: func(payload []byte) gopacket.LayerType { return etherNext(d.sll2Proto, payload) }}
	// The Ethernet configuration testing protocol (EtherType 0x9000):
	// Wireshark shows what follows its header as data.
	loop := &ownLayer{typ: layerTypeLoop, d: d, rows: []proto{protoLoop}, measure: header(0, ""),
		next: func(payload []byte) gopacket.LayerType { return payloadOr(payload, gopacket.LayerTypePayload) }}
	raw := &ownLayer{typ: layerTypeRaw, d: d, rows: []proto{protoRaw}, measure: header(0, ""), next: ipByVersion}
	return []gopacket.DecodingLayer{eth, vlan, sll, null, sll2, loop, raw, d.llcLayer(), &arpLayer{d: d}, d.mplsLayer(), d.pwcwLayer()}
}

// etherNext chooses what follows an EtherType (Ethernet, 802.1Q, SLL).
func etherNext(t layers.EthernetType, payload []byte) gopacket.LayerType {
	if len(payload) == 0 {
		return gopacket.LayerTypeZero
	}
	switch t {
	case layers.EthernetTypeIPv4:
		return layers.LayerTypeIPv4
	case layers.EthernetTypeIPv6:
		return layers.LayerTypeIPv6
	case layers.EthernetTypeARP:
		return layers.LayerTypeARP
	case layers.EthernetTypeDot1Q, layers.EthernetTypeQinQ:
		return layers.LayerTypeDot1Q
	case layers.EthernetTypeMPLSUnicast, layers.EthernetTypeMPLSMulticast:
		return layers.LayerTypeMPLS
	case layers.EthernetTypeLLC:
		return layerTypeLLC
	case layers.EthernetTypeEthernetCTP:
		return layerTypeLoop
	case layers.EthernetTypeLinkLayerDiscovery:
		return nameOnly(protoLLDP)
	}
	return gopacket.LayerTypePayload
}

// ipByVersion guesses what payload holds from its first nibble, as
// Wireshark does for raw IP and after an MPLS label stack: 4 IPv4, 6 IPv6.
func ipByVersion(payload []byte) gopacket.LayerType {
	if len(payload) == 0 {
		return gopacket.LayerTypeZero
	}
	switch payload[0] >> 4 {
	case 4:
		return layers.LayerTypeIPv4
	case 6:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypePayload
}

// llcLayer is IEEE 802.2 LLC (DSAP, SSAP, control). Behind the OSI SAP
// 0xFE with NLPID 0x83 is IS-IS (ISO 10589), whose PDU type Wireshark
// shows as a row of its own (isis.hello, isis.lsp, isis.csnp, isis.psnp).
func (d *frameDecoder) llcLayer() *ownLayer {
	return &ownLayer{typ: layerTypeLLC, d: d, rows: []proto{protoLLC}, next: stop,
		measure: func(data []byte) (int, error) {
			if len(data) < 3 {
				return 0, errors.New("LLC header shorter than 3 bytes")
			}
			if data[0] == 0xfe && data[1] == 0xfe && data[2] == 0x03 && len(data) >= 8 && data[3] == 0x83 {
				d.push(protoISIS)
				switch data[7] & 0x1f {
				case 15, 16, 17:
					d.push(protoISISHello)
				case 18, 20:
					d.push(protoISISLSP)
				case 24, 25:
					d.push(protoISISCSNP)
				case 26, 27:
					d.push(protoISISPSNP)
				}
			}
			return 3, nil
		}}
}

type arpLayer struct {
	layers.ARP
	d *frameDecoder
}

func (l *arpLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) >= 12 && binary.BigEndian.Uint16(data) == 19 && atmARPLength(data) > len(data) {
		// Hardware type 19 is ATM ARP (RFC 2225), whose lengths live
		// elsewhere; Wireshark gives up on a short one before it adds the
		// arp row, so the frame is malformed right under eth.
		return errors.New("ATM ARP packet longer than the frame")
	}
	l.d.push(protoARP)
	if err := l.ARP.DecodeFromBytes(data, df); err != nil {
		return err
	}
	if l.d.arp != nil {
		for range l.d.arp.check(binary.BigEndian.Uint16(data), &l.ARP) {
			l.d.push(protoText)
		}
	}
	return nil
}

// atmARPLength is the length an ATM ARP packet (RFC 2225) claims.
func atmARPLength(b []byte) int {
	return 12 + int(b[4]&0x3f) + int(b[5]&0x3f) + int(b[8]) + int(b[9]&0x3f) + int(b[10]&0x3f) + int(b[11])
}
func (l *arpLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

// mplsLayer decodes one MPLS label stack entry (RFC 3032). Wireshark shows
// each entry as a row; after the bottom of the stack it guesses the payload
// from its first nibble: 4 IPv4, 6 IPv6, 0 a pseudowire control word.
func (d *frameDecoder) mplsLayer() *ownLayer {
	return &ownLayer{typ: layers.LayerTypeMPLS, d: d, rows: []proto{protoMPLS},
		measure: func(data []byte) (int, error) {
			if len(data) < 4 {
				return 0, errors.New("MPLS label stack entry shorter than 4 bytes")
			}
			d.mplsBottom = data[2]&1 == 1
			return 4, nil
		},
		next: func(payload []byte) gopacket.LayerType {
			switch {
			case len(payload) == 0:
				return gopacket.LayerTypeZero
			case !d.mplsBottom:
				return layers.LayerTypeMPLS
			case payload[0]>>4 == 0:
				return layerTypePWCW
			}
			return ipByVersion(payload)
		}}
}

// pwcwLayer is the 4-byte control word of an Ethernet pseudowire (RFC
// 4448), followed by an Ethernet frame.
func (d *frameDecoder) pwcwLayer() *ownLayer {
	return &ownLayer{typ: layerTypePWCW, d: d, rows: []proto{protoPWCW, protoPWCWData},
		measure: header(4, "pseudowire control word"),
		next:    func(payload []byte) gopacket.LayerType { return payloadOr(payload, layers.LayerTypeEthernet) }}
}
