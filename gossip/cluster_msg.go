package gossip

import (
	"encoding/binary"
	"fmt"
)

// Cluster messages travel as memberlist user messages: piggy-backed on UDP
// gossip (broadcasts, announcements) or over a TCP stream (everything sent
// to one member). They share one layout:
//
//	version 1 | type | id [16] | request u64 | status u8 | size u32 |
//	len u8 | origin | len u8 | peer | len u8 | addr | payload (the rest)
//
// type is one of the cm* constants below; which fields matter depends on it.
// peer and addr name the member to answer (its name and host:port), so
// that an answer never depends on the receiver's membership view.
const (
	cmBroadcast = 'B' // id, origin, payload: a small broadcast, gossiped
	cmAnnounce  = 'A' // id, origin, size, peer+addr=holder: "I have large broadcast id"
	cmWant      = 'W' // id, peer+addr=requester: "send me its body" (stream)
	cmBody      = 'L' // id, origin, payload: the body of a large broadcast (stream)
	cmDirect    = 'D' // peer+addr=sender, payload: a direct message (stream)
	cmRequest   = 'Q' // request, peer+addr=sender, payload (stream)
	cmResponse  = 'R' // request, status, payload (stream)

	cmVersion    = 1
	cmFixedSize  = 1 + 1 + 16 + 8 + 1 + 4
	cmMinSize    = cmFixedSize + 3
	maxNameBytes = 255
)

// Response status codes.
const (
	statusOK    = 0
	statusError = 1
)

// msgID names a broadcast cluster-wide.
type msgID [16]byte

type clusterMsg struct {
	typ     byte
	id      msgID
	request uint64
	status  byte
	size    uint32
	origin  string
	peer    string
	addr    string
	payload []byte
}

func (m clusterMsg) encode() []byte {
	b := make([]byte, 0, cmMinSize+len(m.origin)+len(m.peer)+len(m.addr)+len(m.payload))
	b = append(b, cmVersion, m.typ)
	b = append(b, m.id[:]...)
	b = binary.BigEndian.AppendUint64(b, m.request)
	b = append(b, m.status)
	b = binary.BigEndian.AppendUint32(b, m.size)
	b = append(b, byte(len(m.origin)))
	b = append(b, m.origin...)
	b = append(b, byte(len(m.peer)))
	b = append(b, m.peer...)
	b = append(b, byte(len(m.addr)))
	b = append(b, m.addr...)
	return append(b, m.payload...)
}

// decodeClusterMsg parses a cluster message. It never panics; errors wrap
// ErrMalformed and say where the input went wrong. The payload aliases b.
func decodeClusterMsg(b []byte) (clusterMsg, error) {
	bad := func(format string, args ...any) (clusterMsg, error) {
		return clusterMsg{}, fmt.Errorf("%w: cluster message: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	if len(b) < cmMinSize {
		return bad("%d bytes, shorter than the %d-byte minimum", len(b), cmMinSize)
	}
	if b[0] != cmVersion {
		return bad("byte 0: version %d, want %d", b[0], cmVersion)
	}
	m := clusterMsg{typ: b[1]}
	switch m.typ {
	case cmBroadcast, cmAnnounce, cmWant, cmBody, cmDirect, cmRequest, cmResponse:
	default:
		return bad("byte 1: unknown type %#x", b[1])
	}
	copy(m.id[:], b[2:18])
	m.request = binary.BigEndian.Uint64(b[18:26])
	m.status = b[26]
	m.size = binary.BigEndian.Uint32(b[27:31])
	off, err := readNames(b, cmFixedSize, &m.origin, &m.peer, &m.addr)
	if err != nil {
		return bad("%v", err)
	}
	m.payload = b[off:]
	return m, nil
}

// readNames reads names from b at off, each a length byte and that many
// bytes, into dst in order, and returns the offset after the last. Its
// errors name the byte at fault; the caller wraps them.
func readNames(b []byte, off int, dst ...*string) (int, error) {
	for _, s := range dst {
		if off >= len(b) {
			return off, fmt.Errorf("byte %d: name length missing", off)
		}
		n := int(b[off])
		off++
		if n > len(b)-off {
			return off, fmt.Errorf("byte %d: name of %d bytes, %d left", off-1, n, len(b)-off)
		}
		*s = string(b[off : off+n])
		off += n
	}
	return off, nil
}
