package capture

import (
	"encoding/binary"

	"github.com/google/gopacket/layers"
)

// Wireshark's heuristics for a UDP payload on a port no dissector claims:
// DNS first, then QUIC. Each looks at the first bytes, which reject nearly
// every other payload, before anything is parsed. (HTTP's and TLS's, for
// TCP, are in http.go and tls.go.)

// dnsHeuristic is a DNS message on a port no dissector claims, as
// Wireshark's heuristic finds it: a sane header with one question that
// decodes completely.
func dnsHeuristic(b []byte) bool {
	if len(b) < 17 {
		return false
	}
	flags := binary.BigEndian.Uint16(b[2:4])
	op := flags >> 11 & 0xf
	if flags&0x0040 != 0 || (op != 0 && op != 2 && op != 4 && op != 5) {
		return false
	}
	qd, an, ns, ar := binary.BigEndian.Uint16(b[4:]), binary.BigEndian.Uint16(b[6:]), binary.BigEndian.Uint16(b[8:]), binary.BigEndian.Uint16(b[10:])
	if qd != 1 || an > 64 || ns > 64 || ar > 64 {
		return false
	}
	var d layers.DNS
	return decodeDNS(&d, b) == nil
}

// quicHeuristic recognises a QUIC long-header packet of a known version,
// as Wireshark's heuristic does: header form and fixed bit set, version 1
// (RFC 9000), 2 (RFC 9369) or a draft, connection IDs of at most 20 bytes.
func quicHeuristic(b []byte) bool {
	if len(b) < 7 || b[0]&0xc0 != 0xc0 {
		return false
	}
	v := binary.BigEndian.Uint32(b[1:5])
	switch {
	case v == 1, v == 0x6b3343cf, v>>8 == 0xff0000 && v&0xff >= 29 && v&0xff <= 34:
	default:
		return false
	}
	dcid := int(b[5])
	if dcid > 20 || len(b) < 7+dcid {
		return false
	}
	return int(b[6+dcid]) <= 20
}
