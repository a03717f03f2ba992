package capture

import (
	"fmt"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// Decoding a frame: a gopacket DecodingLayerParser per link type walks the
// layers (decode_link.go, decode_ip.go, decode_transport.go), each of which
// pushes its row of the protocol hierarchy and notes its conversation tap;
// TCP payloads go to reassembly (stream.go), UDP payloads to DNS and the
// heuristics (heuristics.go).

// Layer types of our own: decodable pseudo-layers (190 to 195), and a base
// from which "name only" types are numbered (nameBase + proto). A name-only
// type has no decoder, so the DecodingLayerParser stops there and reports
// it as unsupported; the decoder then adds that protocol's row.
const (
	layerTypePWCW   gopacket.LayerType = 190
	layerTypeDNSTCP gopacket.LayerType = 191
	layerTypeRaw    gopacket.LayerType = 192 // the first layer of link types that carry bare IP
	layerTypeLoop   gopacket.LayerType = 193
	layerTypeLLC    gopacket.LayerType = 194
	layerTypeSLL2   gopacket.LayerType = 195
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
	arp     *arpBindings // ARP's duplicate address detection, shared likewise; nil: none
	lone    tcpStream    // the stream of a segment whose conversation has no flow
	strs    interner     // HTTP's strings
	ahead   flowRun      // the flow slots prefetchFlows prefetched for the next run
	decoded []gopacket.LayerType
	parsers map[layers.LinkType]*gopacket.DecodingLayerParser

	container  gopacket.DecodingLayerContainer
	lastLT     layers.LinkType
	lastParser *gopacket.DecodingLayerParser
	parserOnly bool // decodeFast off: the tests compare the two paths

	curIP        tap    // addresses of the innermost IP header, for TCP/UDP taps
	sport, dport uint16 // ports of the innermost TCP or UDP header

	// gopacket's decoders, wrapped in gpLayer by the functions that list
	// the layers.
	eth      layers.Ethernet
	dot1q    layers.Dot1Q
	sll      layers.LinuxSLL
	loopback layers.Loopback
	ip4      layers.IPv4
	ip6      layers.IPv6
	icmp4    layers.ICMPv4
	icmp6    layers.ICMPv6
	tcp      layers.TCP
	udp      layers.UDP
	dns      safeDNS
	payload  gopacket.Payload
	dnsLayer *gpLayer // the DNS decoder, which DNS over TCP calls too

	// What the layers of our own (ownLayer) and the ICMP errors found.
	sll2Proto  layers.EthernetType
	mplsBottom bool
	extNext    layers.IPProtocol // the IPv6 extension header to decode next
	extFrag    bool              // it is a fragment of a later offset
	quoted     quotedUDP         // the UDP datagram an ICMP error quotes
}

// maxPath and maxTaps bound the rows and the conversation taps of one
// frame (push and addTap drop what is past them).
const (
	maxPath = 32
	maxTaps = 8
)

// rawLinkTypes are link types whose frames start with an IP header.
var rawLinkTypes = map[layers.LinkType]bool{layers.LinkTypeRaw: true, layers.LinkTypeIPv4: true, layers.LinkTypeIPv6: true, 12: true, 14: true}

func newFrameDecoder(flows *flowTable, streams *streamTable) *frameDecoder {
	d := &frameDecoder{
		flows:   flows,
		streams: streams,
		strs:    interner{},
		path:    make([]proto, 0, maxPath),
		taps:    make([]tap, 0, maxTaps),
		decoded: make([]gopacket.LayerType, 0, 32),
		parsers: map[layers.LinkType]*gopacket.DecodingLayerParser{},
	}
	d.parser(layers.LinkTypeEthernet) // makes the layers, which decodeFast calls too (dnsLayer)
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
			// types stop below 150, ours are 190 to 195, so it is short.
			var sparse gopacket.DecodingLayerContainer = gopacket.DecodingLayerSparse(nil)
			for _, ls := range [][]gopacket.DecodingLayer{d.linkLayers(), d.ipLayers(), d.transportLayers()} {
				for _, l := range ls {
					sparse = sparse.Put(l)
				}
			}
			d.container = sparse
		}
		p.SetDecodingLayerContainer(d.container)
		d.parsers[lt] = p
	}
	d.lastLT, d.lastParser = lt, p
	return p
}

// decode fills d.path and d.taps for one frame and reports whether a layer
// failed to decode (the frame is malformed).
func (d *frameDecoder) decode(data []byte, lt layers.LinkType, truncated bool) (malformed bool) {
	d.path, d.taps, d.apps = d.path[:0], d.taps[:0], d.apps[:0]
	// Whatever lies past the frame in its buffer is no part of it: a
	// decoder that slices past the end (gopacket's DNS does on some
	// malformed records) must fail the same way wherever the frame sits.
	data = data[:len(data):len(data)]
	var fast bool
	var err error
	if !d.parserOnly {
		fast, err = d.decodeFast(data, lt)
	}
	if !fast {
		err = d.parser(lt).DecodeLayers(data, &d.decoded)
	}
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

// gpLayer is one of gopacket's decoders with what this package adds to
// it: the row it pushes first, what it notes once the header decoded
// (a tap, a fact), and the choice of what follows where Wireshark's
// differs from gopacket's.
type gpLayer struct {
	gopacket.DecodingLayer
	d       *frameDecoder
	row     proto
	after   func(data []byte)         // nil: nothing to note
	next    func() gopacket.LayerType // nil: gopacket's choice
	payload func() []byte             // nil: gopacket's payload
}

func (l *gpLayer) DecodeFromBytes(data []byte, df gopacket.DecodeFeedback) error {
	l.d.push(l.row)
	if err := l.DecodingLayer.DecodeFromBytes(data, df); err != nil {
		return err
	}
	if l.after != nil {
		l.after(data)
	}
	return nil
}

func (l *gpLayer) NextLayerType() gopacket.LayerType {
	if l.next != nil {
		return l.next()
	}
	return l.DecodingLayer.NextLayerType()
}

func (l *gpLayer) LayerPayload() []byte {
	if l.payload != nil {
		return l.payload()
	}
	return l.DecodingLayer.LayerPayload()
}

// ownLayer is a header gopacket has no decoder for: its layer type, its
// rows, a function that measures the header (and notes what follows from
// it), and one that chooses the next layer from the payload.
type ownLayer struct {
	layers.BaseLayer
	typ     gopacket.LayerClass
	d       *frameDecoder
	rows    []proto // pushed before the header is measured
	measure func(data []byte) (headerLen int, err error)
	next    func(payload []byte) gopacket.LayerType
}

func (l *ownLayer) CanDecode() gopacket.LayerClass { return l.typ }

func (l *ownLayer) DecodeFromBytes(data []byte, _ gopacket.DecodeFeedback) error {
	for _, p := range l.rows {
		l.d.push(p)
	}
	n, err := l.measure(data)
	if err != nil {
		return err
	}
	l.BaseLayer = layers.BaseLayer{Contents: data[:n], Payload: data[n:]}
	return nil
}

func (l *ownLayer) NextLayerType() gopacket.LayerType { return l.next(l.Payload) }

// stop is the next layer of a layer after which Wireshark adds no row.
func stop([]byte) gopacket.LayerType { return gopacket.LayerTypeZero }

// header returns a measure for a header of n bytes, whose absence is the
// error "what shorter than n bytes".
func header(n int, what string) func([]byte) (int, error) {
	return func(data []byte) (int, error) {
		if len(data) < n {
			return 0, fmt.Errorf("%s shorter than %d bytes", what, n)
		}
		return n, nil
	}
}
