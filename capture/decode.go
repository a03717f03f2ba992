package capture

import (
	"encoding/binary"
	"errors"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Layer types of our own: two decodable pseudo-layers, and a base from
// which "name only" types are numbered (nameBase + proto). A name-only type
// has no decoder, so the DecodingLayerParser stops there and reports it as
// unsupported; the decoder then adds that protocol's row.
const (
	layerTypePWCW   gopacket.LayerType = 190
	layerTypeDNSTCP gopacket.LayerType = 191
	nameBase        gopacket.LayerType = 200
)

func nameOnly(p proto) gopacket.LayerType { return nameBase + gopacket.LayerType(p) }

// ConvKind names a conversation table: [ConvEth], [ConvIPv4], [ConvIPv6], [ConvTCP]
// or [ConvUDP].
type ConvKind uint8

// The conversation tables, as tshark's -z conv,TYPE names them.
const (
	ConvEth  ConvKind = iota // Ethernet: MAC address pairs
	ConvIPv4                 // IPv4: address pairs ("ip")
	ConvIPv6                 // IPv6: address pairs
	ConvTCP                  // TCP: (address, port) pairs over IPv4 or IPv6
	ConvUDP                  // UDP: (address, port) pairs over IPv4 or IPv6
	convKinds
)

// tap is one layer's contribution to a conversation table, collected while
// a frame is decoded (an encapsulated frame can contribute twice).
type tap struct {
	kind       ConvKind
	v6         bool
	src, dst   [16]byte
	sport, dpt uint16
	// flow is, on a TCP or UDP tap, 1 + the conversation's number in the
	// flow table, or -1 when the table had no room for it; 0 on the others.
	flow int32
}

// frameDecoder turns a frame's bytes into the path of protocols Wireshark
// would put on it and the conversation taps, with a DecodingLayerParser per
// link type over one shared set of layers: nothing is allocated per frame.
type frameDecoder struct {
	path    []proto
	taps    []tap
	apps    []appFact    // what the statistics of HTTP, DNS and TLS need of this frame
	flows   *flowTable   // the TCP and UDP conversations, shared by the Analyzer's decoders
	flow    *flowRef     // the innermost TCP or UDP header's; nil when its table is full
	streams *streamTable // TCP reassembly, shared by the Analyzer's decoders; nil: no payload dissection
	lone    tcpStream    // the stream of a segment whose conversation has no flow
	strs    interner     // HTTP's strings
	sink    uint64       // keeps the loads of prefetchFlows
	decoded []gopacket.LayerType
	parsers map[layers.LinkType]*gopacket.DecodingLayerParser

	container  gopacket.DecodingLayerContainer
	lastLT     layers.LinkType
	lastParser *gopacket.DecodingLayerParser

	curIP        tap    // addresses of the innermost IP header, for TCP/UDP taps
	sport, dport uint16 // ports of the innermost TCP or UDP header
	extNext      layers.IPProtocol

	eth     ethLayer
	vlan    vlanLayer
	sll     sllLayer
	null    nullLayer
	raw     rawLayer
	arp     arpLayer
	ip4     ip4Layer
	ip6     ip6Layer
	ext     ip6ExtLayer
	icmp4   icmp4Layer
	icmp6   icmp6Layer
	tcp     tcpLayer
	udp     udpLayer
	dns     dnsLayer
	dnsTCP  dnsTCPLayer
	mpls    mplsLayer
	llc     llcLayer
	sll2    sll2Layer
	pwcw    pwcwLayer
	loop    loopLayer
	payload payloadLayer
}

// rawLinkTypes are link types whose frames start with an IP header.
var rawLinkTypes = map[layers.LinkType]bool{layers.LinkTypeRaw: true, layers.LinkTypeIPv4: true, layers.LinkTypeIPv6: true, 12: true, 14: true}

func newFrameDecoder(flows *flowTable, streams *streamTable) *frameDecoder {
	d := &frameDecoder{
		flows:   flows,
		streams: streams,
		strs:    interner{},
		path:    make([]proto, 0, 32),
		taps:    make([]tap, 0, 8),
		decoded: make([]gopacket.LayerType, 0, 32),
		parsers: map[layers.LinkType]*gopacket.DecodingLayerParser{},
	}
	d.eth.d, d.vlan.d, d.sll.d, d.null.d, d.raw.d = d, d, d, d, d
	d.arp.d, d.ip4.d, d.ip6.d, d.ext.d, d.icmp4.d, d.icmp6.d = d, d, d, d, d, d
	d.tcp.d, d.udp.d, d.dns.d, d.dnsTCP.d, d.mpls.d, d.pwcw.d, d.payload.d, d.loop.d, d.llc.d, d.sll2.d = d, d, d, d, d, d, d, d, d, d
	return d
}

func (d *frameDecoder) parser(lt layers.LinkType) *gopacket.DecodingLayerParser {
	if d.lastParser != nil && lt == d.lastLT {
		return d.lastParser
	}
	p, ok := d.parsers[lt]
	if !ok {
		var first gopacket.LayerType
		switch {
		case lt == layers.LinkTypeEthernet:
			first = layers.LayerTypeEthernet
		case lt == layers.LinkTypeLinuxSLL:
			first = layers.LayerTypeLinuxSLL
		case lt == linkTypeLinuxSLL2:
			first = layerTypeSLL2
		case lt == layers.LinkTypeNull || lt == layers.LinkTypeLoop:
			first = layers.LayerTypeLoopback
		case rawLinkTypes[lt]:
			first = layerTypeRaw
		default:
			first = nameOnly(protoData)
		}
		p = gopacket.NewDecodingLayerParser(first)
		if d.container == nil {
			// A slice indexed by layer type, shared by the parsers of
			// every link type: the fastest container. gopacket's own
			// types stop below 150, ours are 190 to 193, so it is short.
			var sparse gopacket.DecodingLayerContainer = gopacket.DecodingLayerSparse(nil)
			for _, l := range d.layers() {
				sparse = sparse.Put(l)
			}
			d.container = sparse
		}
		p.SetDecodingLayerContainer(d.container)
		d.parsers[lt] = p
	}
	d.lastLT, d.lastParser = lt, p
	return p
}

func (d *frameDecoder) layers() []gopacket.DecodingLayer {
	return []gopacket.DecodingLayer{&d.eth, &d.vlan, &d.sll, &d.null, &d.raw, &d.arp, &d.ip4, &d.ip6, &d.ext,
		&d.icmp4, &d.icmp6, &d.tcp, &d.udp, &d.dns, &d.dnsTCP, &d.mpls, &d.pwcw, &d.payload, &d.loop, &d.llc, &d.sll2}
}

// decode fills d.path and d.taps for one frame and reports whether a layer
// failed to decode (the frame is malformed).
func (d *frameDecoder) decode(data []byte, lt layers.LinkType, truncated bool) (malformed bool) {
	d.path, d.taps, d.apps = d.path[:0], d.taps[:0], d.apps[:0]
	p := d.parser(lt)
	err := p.DecodeLayers(data, &d.decoded)
	unsupported, isUnsupported := err.(gopacket.UnsupportedLayerType)
	switch {
	case err == nil:
	case isUnsupported:
		t := gopacket.LayerType(unsupported)
		if t > nameBase && t < nameBase+gopacket.LayerType(numProtos) {
			d.push(proto(t - nameBase))
		} else {
			d.push(protoData)
		}
	default:
		malformed = true
		if truncated {
			d.push(protoShort)
		} else {
			d.push(protoMalformed)
		}
	}
	if truncated && !malformed {
		d.push(protoShort)
	}
	return malformed
}

func (d *frameDecoder) push(p proto) {
	if len(d.path) < cap(d.path) {
		d.path = append(d.path, p)
	}
}

func (d *frameDecoder) addApp(f appFact) {
	if len(d.apps) < 16 {
		d.apps = append(d.apps, f)
	}
}

func (d *frameDecoder) addTap(t tap) {
	if len(d.taps) < cap(d.taps) {
		d.taps = append(d.taps, t)
	}
}

// payloadOr returns next when the payload is not empty, LayerTypeZero
// (stop, no row) when it is.
func payloadOr(payload []byte, next gopacket.LayerType) gopacket.LayerType {
	if len(payload) == 0 {
		return gopacket.LayerTypeZero
	}
	return next
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

// ipNext chooses what follows an IP header (or IPv6 extension header).
func (d *frameDecoder) ipNext(p layers.IPProtocol, payload []byte, v6 bool) gopacket.LayerType {
	switch p {
	case layers.IPProtocolNoNextHeader:
		return payloadOr(payload, gopacket.LayerTypePayload)
	case layers.IPProtocolIPv6HopByHop, layers.IPProtocolIPv6Routing, layers.IPProtocolIPv6Fragment, layers.IPProtocolIPv6Destination:
		if v6 {
			d.extNext = p
			return layers.LayerTypeIPv6Routing // any type ip6ExtLayer claims
		}
	}
	if len(payload) == 0 {
		return gopacket.LayerTypeZero
	}
	switch p {
	case layers.IPProtocolTCP:
		return layers.LayerTypeTCP
	case layers.IPProtocolUDP:
		return layers.LayerTypeUDP
	case layers.IPProtocolICMPv4:
		return layers.LayerTypeICMPv4
	case layers.IPProtocolICMPv6:
		return layers.LayerTypeICMPv6
	case layers.IPProtocolIPv4:
		return layers.LayerTypeIPv4
	case layers.IPProtocolIPv6:
		return layers.LayerTypeIPv6
	}
	if name, ok := ipProtoNames[uint8(p)]; ok {
		return nameOnly(name)
	}
	return gopacket.LayerTypePayload
}

// --- link layers ---

type ethLayer struct {
	layers.Ethernet
	d *frameDecoder
}

func (l *ethLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoEth)
	if err := l.Ethernet.DecodeFromBytes(data, df); err != nil {
		return err
	}
	t := tap{kind: ConvEth}
	copy(t.src[:], data[6:12])
	copy(t.dst[:], data[0:6])
	l.d.addTap(t)
	return nil
}
func (l *ethLayer) NextLayerType() gopacket.LayerType { return etherNext(l.EthernetType, l.Payload) }

type vlanLayer struct {
	layers.Dot1Q
	d *frameDecoder
}

func (l *vlanLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoVLAN)
	return l.Dot1Q.DecodeFromBytes(data, df)
}
func (l *vlanLayer) NextLayerType() gopacket.LayerType {
	t := l.Type
	if t < 0x0600 {
		t = layers.EthernetTypeLLC
	}
	return etherNext(t, l.Payload)
}

type sllLayer struct {
	layers.LinuxSLL
	d *frameDecoder
}

func (l *sllLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoSLL)
	return l.LinuxSLL.DecodeFromBytes(data, df)
}
func (l *sllLayer) NextLayerType() gopacket.LayerType { return etherNext(l.EthernetType, l.Payload) }

// linkTypeLinuxSLL2 is DLT_LINUX_SLL2 (276), the "any" device's pseudo-header
// since libpcap 1.10, which gopacket does not know: a 20-byte header
//
//	protocol (EtherType) | reserved | interface index | ARPHRD type |
//	packet type | address length | address (8 bytes)
//
// that Wireshark shows as the same "sll" row as version 1. gopacket's
// LinkType has 8 bits, so pcapgo hands over 276 as 276 mod 256 = 20, a
// value no link type uses.
const (
	linkTypeLinuxSLL2 layers.LinkType    = 276 & 0xff
	layerTypeSLL2     gopacket.LayerType = 195
)

type sll2Layer struct {
	layers.BaseLayer
	proto layers.EthernetType
	d     *frameDecoder
}

func (l *sll2Layer) CanDecode() gopacket.LayerClass { return layerTypeSLL2 }
func (l *sll2Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoSLL)
	if len(data) < 20 {
		return errors.New("cooked header v2 (Linux SLL2) shorter than 20 bytes")
	}
	l.proto = layers.EthernetType(binary.BigEndian.Uint16(data))
	l.BaseLayer = layers.BaseLayer{Contents: data[:20], Payload: data[20:]}
	return nil
}
func (l *sll2Layer) NextLayerType() gopacket.LayerType { return etherNext(l.proto, l.Payload) }

type nullLayer struct {
	layers.Loopback
	d *frameDecoder
}

func (l *nullLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoNull)
	return l.Loopback.DecodeFromBytes(data, df)
}
func (l *nullLayer) NextLayerType() gopacket.LayerType {
	switch l.Family {
	case layers.ProtocolFamilyIPv4:
		return payloadOr(l.Payload, layers.LayerTypeIPv4)
	case layers.ProtocolFamilyIPv6BSD, layers.ProtocolFamilyIPv6FreeBSD, layers.ProtocolFamilyIPv6Darwin, 10:
		return payloadOr(l.Payload, layers.LayerTypeIPv6)
	}
	return payloadOr(l.Payload, gopacket.LayerTypePayload)
}

// llcLayer is IEEE 802.2 LLC (DSAP, SSAP, control). Behind the OSI SAP
// 0xFE with NLPID 0x83 is IS-IS (ISO 10589), whose PDU type Wireshark
// shows as a row of its own (isis.hello, isis.lsp, isis.csnp, isis.psnp).
const layerTypeLLC gopacket.LayerType = 194

type llcLayer struct {
	layers.BaseLayer
	d *frameDecoder
}

func (l *llcLayer) CanDecode() gopacket.LayerClass { return layerTypeLLC }
func (l *llcLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoLLC)
	if len(data) < 3 {
		return errors.New("LLC header shorter than 3 bytes")
	}
	l.BaseLayer = layers.BaseLayer{Contents: data[:3], Payload: data[3:]}
	if data[0] == 0xfe && data[1] == 0xfe && data[2] == 0x03 && len(data) >= 8 && data[3] == 0x83 {
		l.d.push(protoISIS)
		switch data[7] & 0x1f {
		case 15, 16, 17:
			l.d.push(protoISISHello)
		case 18, 20:
			l.d.push(protoISISLSP)
		case 24, 25:
			l.d.push(protoISISCSNP)
		case 26, 27:
			l.d.push(protoISISPSNP)
		}
		l.Payload = nil
	}
	return nil
}
func (l *llcLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

// loopLayer is the Ethernet configuration testing protocol (EtherType
// 0x9000); Wireshark shows what follows its header as data.
const layerTypeLoop gopacket.LayerType = 193

type loopLayer struct {
	layers.BaseLayer
	d *frameDecoder
}

func (l *loopLayer) CanDecode() gopacket.LayerClass { return layerTypeLoop }
func (l *loopLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoLoop)
	l.BaseLayer = layers.BaseLayer{Payload: data}
	return nil
}
func (l *loopLayer) NextLayerType() gopacket.LayerType {
	return payloadOr(l.Payload, gopacket.LayerTypePayload)
}

// layerTypeRaw is the first layer of link types that carry bare IP.
const layerTypeRaw gopacket.LayerType = 192

type rawLayer struct {
	gopacket.Payload
	d *frameDecoder
}

func (l *rawLayer) CanDecode() gopacket.LayerClass { return layerTypeRaw }
func (l *rawLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoRaw)
	l.Payload = data
	return nil
}
func (l *rawLayer) NextLayerType() gopacket.LayerType {
	if len(l.Payload) == 0 {
		return gopacket.LayerTypeZero
	}
	switch l.Payload[0] >> 4 {
	case 4:
		return layers.LayerTypeIPv4
	case 6:
		return layers.LayerTypeIPv6
	}
	return gopacket.LayerTypePayload
}
func (l *rawLayer) LayerPayload() []byte { return l.Payload }

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
	return l.ARP.DecodeFromBytes(data, df)
}

// atmARPLength is the length an ATM ARP packet (RFC 2225) claims.
func atmARPLength(b []byte) int {
	return 12 + int(b[4]&0x3f) + int(b[5]&0x3f) + int(b[8]) + int(b[9]&0x3f) + int(b[10]&0x3f) + int(b[11])
}
func (l *arpLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

// mplsLayer decodes one MPLS label stack entry (RFC 3032). Wireshark shows
// each entry as a row; after the bottom of the stack it guesses the payload
// from its first nibble: 4 IPv4, 6 IPv6, 0 a pseudowire control word.
type mplsLayer struct {
	layers.BaseLayer
	bottom bool
	d      *frameDecoder
}

func (l *mplsLayer) CanDecode() gopacket.LayerClass { return layers.LayerTypeMPLS }
func (l *mplsLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoMPLS)
	if len(data) < 4 {
		return errors.New("MPLS label stack entry shorter than 4 bytes")
	}
	l.bottom = data[2]&1 == 1
	l.BaseLayer = layers.BaseLayer{Contents: data[:4], Payload: data[4:]}
	return nil
}
func (l *mplsLayer) NextLayerType() gopacket.LayerType {
	if len(l.Payload) == 0 {
		return gopacket.LayerTypeZero
	}
	if !l.bottom {
		return layers.LayerTypeMPLS
	}
	switch l.Payload[0] >> 4 {
	case 4:
		return layers.LayerTypeIPv4
	case 6:
		return layers.LayerTypeIPv6
	case 0:
		return layerTypePWCW
	}
	return gopacket.LayerTypePayload
}

// pwcwLayer is the 4-byte control word of an Ethernet pseudowire (RFC 4448),
// followed by an Ethernet frame.
type pwcwLayer struct {
	layers.BaseLayer
	d *frameDecoder
}

func (l *pwcwLayer) CanDecode() gopacket.LayerClass { return layerTypePWCW }
func (l *pwcwLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoPWCW)
	l.d.push(protoPWCWData)
	if len(data) < 4 {
		return errors.New("pseudowire control word shorter than 4 bytes")
	}
	l.BaseLayer = layers.BaseLayer{Contents: data[:4], Payload: data[4:]}
	return nil
}
func (l *pwcwLayer) NextLayerType() gopacket.LayerType {
	return payloadOr(l.Payload, layers.LayerTypeEthernet)
}

// --- network layers ---

type ip4Layer struct {
	layers.IPv4
	d *frameDecoder
}

func (l *ip4Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoIP)
	if err := l.IPv4.DecodeFromBytes(data, df); err != nil {
		return err
	}
	t := tap{kind: ConvIPv4}
	copy(t.src[:], data[12:16])
	copy(t.dst[:], data[16:20])
	l.d.curIP = t
	l.d.addTap(t)
	return nil
}
func (l *ip4Layer) NextLayerType() gopacket.LayerType {
	if l.Flags&layers.IPv4MoreFragments != 0 || l.FragOffset != 0 {
		// A fragment: without reassembly its payload is just data.
		return payloadOr(l.Payload, gopacket.LayerTypePayload)
	}
	return l.d.ipNext(l.Protocol, l.Payload, false)
}

type ip6Layer struct {
	layers.IPv6
	d *frameDecoder
}

func (l *ip6Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoIPv6)
	if err := l.IPv6.DecodeFromBytes(data, df); err != nil {
		return err
	}
	t := tap{kind: ConvIPv6, v6: true}
	copy(t.src[:], data[8:24])
	copy(t.dst[:], data[24:40])
	l.d.curIP = t
	l.d.addTap(t)
	return nil
}
func (l *ip6Layer) NextLayerType() gopacket.LayerType {
	next := l.NextHeader
	if l.HopByHop != nil {
		next = l.HopByHop.NextHeader
	}
	return l.d.ipNext(next, l.Payload, true)
}

// ip6ExtLayer walks IPv6 extension headers (RFC 8200 section 4). Wireshark
// shows them inside the ipv6 row, so they add no row of their own.
type ip6ExtLayer struct {
	layers.BaseLayer
	next     layers.IPProtocol
	fragment bool
	d        *frameDecoder
}

func (l *ip6ExtLayer) CanDecode() gopacket.LayerClass {
	return gopacket.NewLayerClass([]gopacket.LayerType{layers.LayerTypeIPv6HopByHop, layers.LayerTypeIPv6Routing,
		layers.LayerTypeIPv6Fragment, layers.LayerTypeIPv6Destination})
}
func (l *ip6ExtLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 8 {
		return errors.New("IPv6 extension header shorter than 8 bytes")
	}
	n := 8
	l.fragment = false
	if l.d.extNext == layers.IPProtocolIPv6Fragment {
		off := binary.BigEndian.Uint16(data[2:4])
		l.fragment = off>>3 != 0 || off&1 != 0
	} else {
		n = (int(data[1]) + 1) * 8
	}
	if len(data) < n {
		return errors.New("IPv6 extension header longer than the packet")
	}
	l.next = layers.IPProtocol(data[0])
	l.BaseLayer = layers.BaseLayer{Contents: data[:n], Payload: data[n:]}
	return nil
}
func (l *ip6ExtLayer) NextLayerType() gopacket.LayerType {
	if l.fragment {
		return payloadOr(l.Payload, gopacket.LayerTypePayload)
	}
	return l.d.ipNext(l.next, l.Payload, true)
}

// ICMP error messages quote the start of the packet that caused them
// (RFC 792, RFC 4443 section 3). Wireshark dissects the quoted IP and UDP
// headers inside the icmp row, but what the quoted UDP payload holds (dns,
// data, ...) lands as a row below icmp; quoted TCP payloads add no row.
type icmp4Layer struct {
	layers.ICMPv4
	quoted quotedUDP
	d      *frameDecoder
}

func (l *icmp4Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoICMP)
	if err := l.ICMPv4.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.quoted = quotedUDP{}
	switch l.TypeCode.Type() {
	case layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4TypeSourceQuench, layers.ICMPv4TypeRedirect,
		layers.ICMPv4TypeTimeExceeded, layers.ICMPv4TypeParameterProblem:
		l.quoted.parse(l.ICMPv4.Payload, false)
	}
	return nil
}
func (l *icmp4Layer) NextLayerType() gopacket.LayerType { return l.quoted.next() }
func (l *icmp4Layer) LayerPayload() []byte              { return l.quoted.payload }

type icmp6Layer struct {
	layers.ICMPv6
	quoted quotedUDP
	d      *frameDecoder
}

func (l *icmp6Layer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoICMPv6)
	if err := l.ICMPv6.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.quoted = quotedUDP{}
	// Types 1 to 4 are the errors; 4 bytes of type-specific data precede
	// the quoted packet.
	if t := l.TypeCode.Type(); t >= 1 && t <= 4 && len(l.ICMPv6.Payload) >= 4 {
		l.quoted.parse(l.ICMPv6.Payload[4:], true)
	}
	return nil
}
func (l *icmp6Layer) NextLayerType() gopacket.LayerType { return l.quoted.next() }
func (l *icmp6Layer) LayerPayload() []byte              { return l.quoted.payload }

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

// --- transport and application layers ---

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

type tcpLayer struct {
	layers.TCP
	d *frameDecoder
}

func (l *tcpLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoTCP)
	if err := l.TCP.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.d.transportTap(ConvTCP, uint16(l.SrcPort), uint16(l.DstPort))
	return nil
}
func (l *tcpLayer) NextLayerType() gopacket.LayerType {
	if len(l.Payload) == 0 {
		return gopacket.LayerTypeZero
	}
	if l.SrcPort == 53 || l.DstPort == 53 {
		return layerTypeDNSTCP
	}
	if l.d.streams == nil {
		return gopacket.LayerTypePayload
	}
	l.d.tcpSegment(l.d.flow, &l.d.curIP, uint16(l.SrcPort), uint16(l.DstPort), l.Seq, l.SYN, l.FIN, l.RST, l.Payload)
	return gopacket.LayerTypeZero
}

type udpLayer struct {
	layers.UDP
	d *frameDecoder
}

func (l *udpLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoUDP)
	if err := l.UDP.DecodeFromBytes(data, df); err != nil {
		return err
	}
	l.d.transportTap(ConvUDP, uint16(l.SrcPort), uint16(l.DstPort))
	return nil
}

func (l *udpLayer) NextLayerType() gopacket.LayerType {
	if len(l.Payload) == 0 {
		return gopacket.LayerTypeZero
	}
	next := udpNext(uint16(l.SrcPort), uint16(l.DstPort))
	if next == gopacket.LayerTypePayload && l.d.streams != nil {
		// No port claims it: Wireshark's heuristics, DNS before QUIC.
		switch {
		case dnsHeuristic(l.Payload):
			return layers.LayerTypeDNS
		case quicHeuristic(l.Payload):
			return nameOnly(protoQUIC)
		}
	}
	return next
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

type dnsLayer struct {
	layers.DNS
	d *frameDecoder
}

func (l *dnsLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoDNS)
	if err := decodeDNS(&l.DNS, data); err != nil {
		return err
	}
	f := appFact{kind: factDNS, dns: dnsFact{id: l.ID, src: l.d.curIP.src, dst: l.d.curIP.dst, sport: l.d.sport, dport: l.d.dport, qr: l.QR, opcode: uint8(l.OpCode), rcode: uint8(l.ResponseCode),
		qd: l.QDCount, an: l.ANCount, ns: l.NSCount, ar: l.ARCount, size: len(data), v6: l.d.curIP.v6}}
	if len(l.Questions) > 0 {
		q := l.Questions[0]
		f.dns.qname, f.dns.qtype, f.dns.qclass, f.dns.hasQ = string(q.Name), uint16(q.Type), uint16(q.Class), true
	}
	l.d.addApp(f)
	return nil
}
func (l *dnsLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

// dnsTCPLayer is DNS over TCP (RFC 1035 section 4.2.2): a two-byte length
// before each message.
type dnsTCPLayer struct {
	layers.BaseLayer
	d *frameDecoder
}

func (l *dnsTCPLayer) CanDecode() gopacket.LayerClass { return layerTypeDNSTCP }
func (l *dnsTCPLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	if len(data) < 2 {
		l.d.push(protoDNS)
		return errors.New("DNS over TCP: length prefix cut short")
	}
	n := int(binary.BigEndian.Uint16(data))
	msg := data[2:]
	if n < len(msg) {
		msg = msg[:n]
	}
	if err := l.d.dns.DecodeFromBytes(msg, df); err != nil {
		return err
	}
	if n := len(l.d.apps); n > 0 && l.d.apps[n-1].kind == factDNS {
		l.d.apps[n-1].dns.size += 2 // Wireshark counts the length prefix
	}
	return nil
}
func (l *dnsTCPLayer) NextLayerType() gopacket.LayerType { return gopacket.LayerTypeZero }

// payloadLayer is whatever no decoder claims: Wireshark's "data".
type payloadLayer struct {
	gopacket.Payload
	d *frameDecoder
}

func (l *payloadLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(protoData)
	return l.Payload.DecodeFromBytes(data, df)
}
