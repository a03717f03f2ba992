package gossip

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// RumorID names a rumor cluster-wide. [Node.Publish] draws it at random (64
// bits, so collisions are negligible); it is the key of duplicate detection.
type RumorID uint64

// Rumor is one update being spread: an ID, the time it may still live, and
// an opaque payload.
type Rumor struct {
	ID RumorID
	// TTL is how much longer nodes should remember the rumor. A node that
	// receives it remembers it for TTL from the moment of receipt and sends on
	// its own remaining time, so a rumor's lifetime shrinks along every path
	// and no copy outlives the original (see "Forgetting" in the package doc).
	TTL     time.Duration
	Payload []byte
}

// Kind is the type of a rumor-protocol message.
type Kind uint8

// The message kinds of the rumor protocol; see "Wire format" in the package
// documentation for who sends which and what the answer is.
const (
	KindPush     Kind = 1 // hot rumors, unasked
	KindPull     Kind = 2 // "send me your hot rumors I lack": IDs is my digest
	KindPushPull Kind = 3 // both at once
	KindReply    Kind = 4 // answer: rumors the asker lacked, IDs it sent that I already knew (feedback)
	KindDigest   Kind = 5 // anti-entropy: IDs of everything I know
	KindSync     Kind = 6 // anti-entropy answer: rumors you lack, IDs I want from you
)

// String names the message kind.
func (k Kind) String() string { return enumName(kindNames[:], uint8(k), "kind") }

var kindNames = [...]string{KindPush: "push", KindPull: "pull", KindPushPull: "push-pull",
	KindReply: "reply", KindDigest: "digest", KindSync: "sync"}

// Message is one datagram of the rumor protocol.
type Message struct {
	Kind   Kind
	Rumors []Rumor
	IDs    []RumorID
}

// Wire-format constants.
const (
	wireMagic   = 'G'
	wireVersion = 1
	headerSize  = 5  // magic, version, kind, rumor count (2)
	rumorHeader = 14 // id (8), ttl ms (4), payload length (2)
	idsHeader   = 2  // id count
	idSize      = 8
	// MaxPayload is the largest rumor payload the wire format carries.
	MaxPayload = 65535
)

// ErrMalformed is wrapped by every [DecodeMessage] error.
var ErrMalformed = errors.New("gossip: malformed message")

// encodedSize returns the size of m on the wire.
func (m Message) encodedSize() int {
	n := headerSize + idsHeader + idSize*len(m.IDs)
	for _, r := range m.Rumors {
		n += rumorHeader + len(r.Payload)
	}
	return n
}

// Encode returns the wire form of m:
//
//	'G' | version 1 | kind | nrumors u16 |
//	nrumors × ( id u64 | ttl-ms u32 | len u16 | payload ) |
//	nids u16 | nids × id u64
//
// All integers are big-endian.
func (m Message) Encode() ([]byte, error) {
	if len(m.Rumors) > 0xffff || len(m.IDs) > 0xffff {
		return nil, fmt.Errorf("gossip: encode %s: %d rumors and %d ids, at most 65535 each", m.Kind, len(m.Rumors), len(m.IDs))
	}
	b := make([]byte, 0, m.encodedSize())
	b = append(b, wireMagic, wireVersion, byte(m.Kind))
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.Rumors)))
	for _, r := range m.Rumors {
		if len(r.Payload) > MaxPayload {
			return nil, fmt.Errorf("gossip: encode %s: rumor %016x payload %d bytes, at most %d", m.Kind, uint64(r.ID), len(r.Payload), MaxPayload)
		}
		b = binary.BigEndian.AppendUint64(b, uint64(r.ID))
		b = binary.BigEndian.AppendUint32(b, ttlMillis(r.TTL))
		b = binary.BigEndian.AppendUint16(b, uint16(len(r.Payload)))
		b = append(b, r.Payload...)
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(m.IDs)))
	for _, id := range m.IDs {
		b = binary.BigEndian.AppendUint64(b, uint64(id))
	}
	return b, nil
}

func ttlMillis(d time.Duration) uint32 {
	ms := d.Milliseconds()
	switch {
	case ms < 0:
		return 0
	case ms > 0xffffffff:
		return 0xffffffff
	}
	return uint32(ms)
}

// DecodeMessage parses one datagram. It never panics and allocates only
// what the datagram's own length allows; every error wraps [ErrMalformed] and
// says where the input went wrong. Payloads are copied out of b.
func DecodeMessage(b []byte) (Message, error) {
	bad := func(format string, args ...any) (Message, error) {
		return Message{}, fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	if len(b) < headerSize+idsHeader {
		return bad("%d bytes, shorter than the %d-byte minimum", len(b), headerSize+idsHeader)
	}
	if b[0] != wireMagic {
		return bad("byte 0: magic %#x, want %#x", b[0], wireMagic)
	}
	if b[1] != wireVersion {
		return bad("byte 1: version %d, want %d", b[1], wireVersion)
	}
	m := Message{Kind: Kind(b[2])}
	if m.Kind < KindPush || m.Kind > KindSync {
		return bad("byte 2: unknown kind %d", b[2])
	}
	nr := int(binary.BigEndian.Uint16(b[3:5]))
	off := headerSize
	if nr > (len(b)-off)/rumorHeader {
		return bad("%d rumors cannot fit in %d bytes", nr, len(b)-off)
	}
	if nr > 0 {
		m.Rumors = make([]Rumor, 0, nr)
	}
	for i := range nr {
		if len(b)-off < rumorHeader {
			return bad("rumor %d at byte %d: header truncated", i, off)
		}
		id := RumorID(binary.BigEndian.Uint64(b[off:]))
		ttl := time.Duration(binary.BigEndian.Uint32(b[off+8:])) * time.Millisecond
		pl := int(binary.BigEndian.Uint16(b[off+12:]))
		off += rumorHeader
		if pl > len(b)-off {
			return bad("rumor %d at byte %d: payload length %d exceeds the %d bytes left", i, off-2, pl, len(b)-off)
		}
		m.Rumors = append(m.Rumors, Rumor{ID: id, TTL: ttl, Payload: append([]byte(nil), b[off:off+pl]...)})
		off += pl
	}
	if len(b)-off < idsHeader {
		return bad("byte %d: id count truncated", off)
	}
	ni := int(binary.BigEndian.Uint16(b[off:]))
	off += idsHeader
	if ni*idSize != len(b)-off {
		return bad("byte %d: %d ids need %d bytes, %d left", off-2, ni, ni*idSize, len(b)-off)
	}
	if ni > 0 {
		m.IDs = make([]RumorID, ni)
		for i := range m.IDs {
			m.IDs[i] = RumorID(binary.BigEndian.Uint64(b[off:]))
			off += idSize
		}
	}
	return m, nil
}
