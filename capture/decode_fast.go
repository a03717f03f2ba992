package capture

import (
	"encoding/binary"
	"fmt"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Nearly every frame of a capture has the same shape: Ethernet (perhaps
// with one 802.1Q tag), IPv4 without options and not a fragment or IPv6
// without extension headers, then TCP or UDP. For those the DecodingLayerParser's generality (an interface call
// per layer, gopacket filling every field of every header, the wrappers'
// closures) costs more than the few fields the statistics read, so
// decodeFast reads them straight from the bytes. It gives exactly what the
// parser gives, the same rows, taps, facts and errors (FuzzDecodeFast
// compares the two), and it takes a frame only when every check gopacket
// would make passes, before it changes anything; any other frame takes the
// general path.

// decodeFast decodes frame data of link type lt if it has the usual shape
// and reports whether it did, with the error the parser would have
// returned (a DNS message that does not decode).
func (d *frameDecoder) decodeFast(data []byte, lt layers.LinkType) (ok bool, err error) {
	// The parser turns a panic (in a decoder or in reassembly) into an
	// error; so does this.
	defer func() {
		if r := recover(); r != nil {
			ok, err = true, fmt.Errorf("capture: panic decoding a frame: %v", r)
		}
	}()
	if lt != layers.LinkTypeEthernet || len(data) < 14+20+8 {
		return false, nil
	}
	off, et := 14, binary.BigEndian.Uint16(data[12:])
	vlan := et == uint16(layers.EthernetTypeDot1Q)
	if vlan {
		if len(data) < 18+20+8 {
			return false, nil
		}
		off, et = 18, binary.BigEndian.Uint16(data[16:])
	}
	ip := data[off:]
	var l4 []byte
	var proto layers.IPProtocol
	v6 := et == uint16(layers.EthernetTypeIPv6)
	switch {
	case et == uint16(layers.EthernetTypeIPv4):
		n := int(binary.BigEndian.Uint16(ip[2:]))
		// No options, a length within the frame (gopacket reads 0 as
		// "the rest", TSO), not a fragment (MF or an offset).
		if ip[0]&0x0f != 5 || n <= 20 || n > len(ip) || binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
			return false, nil
		}
		l4, proto = ip[20:n], layers.IPProtocol(ip[9])
	case v6:
		// No extension header (TCP or UDP next), a payload length that
		// is not 0 (a jumbogram's); gopacket cuts the payload there.
		n := int(binary.BigEndian.Uint16(ip[4:]))
		if len(ip) < 40 || n == 0 {
			return false, nil
		}
		l4, proto = ip[40:40+min(n, len(ip)-40)], layers.IPProtocol(ip[6])
	default:
		return false, nil
	}
	switch proto {
	case layers.IPProtocolTCP:
		return d.fastTCP(data, vlan, v6, ip, l4)
	case layers.IPProtocolUDP:
		return d.fastUDP(data, vlan, v6, ip, l4)
	}
	return false, nil
}

// fastLower pushes the rows and taps of the Ethernet, 802.1Q and IP
// headers, as their layers do.
func (d *frameDecoder) fastLower(frame []byte, vlan, v6 bool, ip []byte) {
	d.push(protoEth)
	t := tap{kind: ConvEth}
	copy(t.src[:], frame[6:12])
	copy(t.dst[:], frame[0:6])
	d.addTap(t)
	if vlan {
		d.push(protoVLAN)
	}
	if v6 {
		d.push(protoIPv6)
		d.ipTap(ConvIPv6, ip[8:24], ip[24:40])
		return
	}
	d.push(protoIP)
	d.ipTap(ConvIPv4, ip[12:16], ip[16:20])
}

func (d *frameDecoder) fastTCP(frame []byte, vlan, v6 bool, ip, seg []byte) (bool, error) {
	if len(seg) < 20 {
		return false, nil
	}
	hl := int(seg[12]>>4) * 4
	sport, dport := binary.BigEndian.Uint16(seg), binary.BigEndian.Uint16(seg[2:])
	// DNS over TCP has a layer of its own: the general path.
	if hl < 20 || hl > len(seg) || !tcpOptionsOK(seg[20:hl]) || sport == 53 || dport == 53 {
		return false, nil
	}
	d.fastLower(frame, vlan, v6, ip)
	d.push(protoTCP)
	d.transportTap(ConvTCP, sport, dport)
	payload := seg[hl:]
	switch {
	case len(payload) == 0:
	case d.streams == nil:
		d.push(protoData)
	default:
		flags := seg[13]
		d.tcpSegment(d.flow, &d.curIP, sport, dport, binary.BigEndian.Uint32(seg[4:]), flags&0x02 != 0, flags&0x01 != 0, flags&0x04 != 0, payload)
	}
	return true, nil
}

// tcpOptionsOK reports whether gopacket's TCP decoder accepts the options
// opts (layers.TCP.DecodeFromBytes): each kind other than end-of-list and
// no-operation has a length of at least 2 that fits.
func tcpOptionsOK(opts []byte) bool {
	for len(opts) > 0 {
		switch layers.TCPOptionKind(opts[0]) {
		case layers.TCPOptionKindEndList:
			return true
		case layers.TCPOptionKindNop:
			opts = opts[1:]
		default:
			if len(opts) < 2 || opts[1] < 2 || int(opts[1]) > len(opts) {
				return false
			}
			opts = opts[opts[1]:]
		}
	}
	return true
}

func (d *frameDecoder) fastUDP(frame []byte, vlan, v6 bool, ip, dgram []byte) (bool, error) {
	if len(dgram) < 8 {
		return false, nil
	}
	var payload []byte
	switch n := int(binary.BigEndian.Uint16(dgram[4:])); {
	case n >= 8:
		payload = dgram[8:min(n, len(dgram))]
	case n == 0: // a jumbogram: the rest
		payload = dgram[8:]
	default:
		return false, nil
	}
	sport, dport := binary.BigEndian.Uint16(dgram), binary.BigEndian.Uint16(dgram[2:])
	d.fastLower(frame, vlan, v6, ip)
	d.push(protoUDP)
	d.transportTap(ConvUDP, sport, dport)
	if len(payload) == 0 {
		return true, nil
	}
	next := udpNext(sport, dport)
	if next == gopacket.LayerTypePayload && d.streams != nil {
		switch {
		case dnsHeuristic(payload):
			next = layers.LayerTypeDNS
		case quicHeuristic(payload):
			next = nameOnly(protoQUIC)
		}
	}
	switch {
	case next == gopacket.LayerTypePayload:
		d.push(protoData)
	case next == layers.LayerTypeDNS:
		return true, d.dnsLayer.DecodeFromBytes(payload, gopacket.NilDecodeFeedback)
	case next > nameBase && next < nameBase+gopacket.LayerType(numProtos):
		d.push(proto(next - nameBase))
	default:
		d.push(protoData)
	}
	return true, nil
}
