package pdu

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFramedLargestPDUsFitTheirBounds: the largest R (two 255-byte names
// and an IPv6 address: 531 payload bytes) decodes from bytes and from a
// stream, and a payload length of 532 is refused before any byte is read;
// the largest O reply fits MaxDatagram and the largest C frame MaxFrame.
func TestFramedLargestPDUsFitTheirBounds(t *testing.T) {
	big := PDU{Type: Register, Peer: strings.Repeat("p", FramedMaxName), Content: strings.Repeat("c", FramedMaxName),
		Addr: netip.MustParseAddrPort("[2001:db8::1]:5000")}
	b, err := Framed{}.Append(nil, &big)
	require.NoError(t, err)
	require.Equal(t, []byte{'R', 0x93, 0x04}, b[:3], "payload length 531") // varint(531)
	require.Len(t, b, 3+531)
	var p PDU
	require.NoError(t, Framed{}.Decode(b, Request, &p))
	assert.Equal(t, big.Peer, p.Peer)
	assert.Equal(t, big.Addr, p.Addr)
	p = PDU{}
	require.NoError(t, Framed{}.ReadPDU(NewReader(bytes.NewReader(b)), Request, &p))
	assert.Equal(t, big.Content, p.Content)

	over := binary.AppendUvarint([]byte{'R'}, 532)
	over = append(over, make([]byte, 532)...)
	err = Framed{}.Decode(over, Request, &p)
	require.ErrorIs(t, err, ErrTooLong)
	assert.EqualError(t, err, "pdu: R PDU: too long: payload of 532 bytes, at most 531")
	err = Framed{}.ReadPDU(NewReader(bytes.NewReader(over[:3])), Request, &p) // the length alone
	require.ErrorIs(t, err, ErrTooLong)
	assert.EqualError(t, err, "pdu: R PDU: too long: payload of 532 bytes, at most 531")

	// The largest D: two 255-byte names, a part and the largest chunk index.
	d := PDU{Type: Download, Peer: big.Peer, Content: big.Content, Part: PartChunk, Chunk: MaxChunks}
	b, err = Framed{}.Append(nil, &d)
	require.NoError(t, err)
	p = PDU{}
	require.NoError(t, Framed{}.ReadPDU(NewReader(bytes.NewReader(b)), Request, &p))
	assert.Equal(t, MaxChunks, p.Chunk)

	names := make([]string, FramedMaxNames)
	for i := range names {
		names[i] = strings.Repeat(string(rune('a'+i%26)), FramedMaxName-1) + string(rune('0'+i%10))
	}
	list := PDU{Type: List, Reply: true, Names: names}
	b, err = Framed{}.Append(nil, &list)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(b), Framed{}.Limits().MaxDatagram)
	p = PDU{}
	require.NoError(t, Framed{}.ReadPDU(NewReader(bytes.NewReader(b)), Reply, &p))
	assert.Equal(t, names, p.Names)

	c := PDU{Type: Content, Announce: true, Size: 1 << 62, Data: make([]byte, FramedMaxData)}
	b, err = Framed{}.Append(nil, &c)
	require.NoError(t, err)
	assert.LessOrEqual(t, len(b), Framed{}.Limits().MaxFrame)
	assert.LessOrEqual(t, Framed{}.Limits().MaxFrame, ReaderSize)
}

// TestFramedHoldersAtTheLimit: an S reply holds Addr and up to 15 Others;
// 16 Others are refused with the true count of holders.
func TestFramedHoldersAtTheLimit(t *testing.T) {
	others := make([]netip.AddrPort, FramedMaxHolders)
	for i := range others {
		others[i] = netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 2)}), 5000)
	}
	addr := netip.MustParseAddrPort("10.0.0.1:5000")
	at := PDU{Type: Search, Reply: true, Addr: addr, Others: others[:FramedMaxHolders-1]}
	b, err := Framed{}.Append(nil, &at)
	require.NoError(t, err)
	var p PDU
	require.NoError(t, Framed{}.Decode(b, Reply, &p))
	assert.Equal(t, at.Others, p.Others)

	_, err = Framed{}.Append(nil, &PDU{Type: Search, Reply: true, Addr: addr, Others: others})
	require.ErrorIs(t, err, ErrTooLong)
	assert.EqualError(t, err, "pdu: S PDU: too long: 17 holders, at most 16 per PDU")
}

// TestFramedValidatesEveryName: an A may carry a peer or a text (the same
// one twice is fine); an O request checks its peer and its start; an O
// reply checks every name, not only the first.
func TestFramedValidatesEveryName(t *testing.T) {
	long := strings.Repeat("n", FramedMaxName+1)
	for _, tc := range []struct {
		p   PDU
		err error
	}{
		{PDU{Type: Ack, Peer: "alice"}, nil},
		{PDU{Type: Ack, Text: "alice"}, nil},
		{PDU{Type: Ack, Peer: "alice", Text: "alice"}, nil},
		{PDU{Type: Ack, Peer: "alice", Text: "bob"}, ErrMalformed},
		{PDU{Type: List, Peer: "alice", Content: "start"}, nil},
		{PDU{Type: List, Peer: "alice", Content: long}, ErrBadName},
		{PDU{Type: List, Peer: "al\x00ice", Content: "start"}, ErrBadName},
		{PDU{Type: List, Reply: true, Names: []string{"a", "b"}}, nil},
		{PDU{Type: List, Reply: true, Names: []string{"a", ""}}, ErrBadName},
		{PDU{Type: List, Reply: true, Names: []string{"a", "b", long}}, ErrBadName},
	} {
		_, err := Framed{}.Append(nil, &tc.p)
		if tc.err == nil {
			assert.NoError(t, err, "%+v", tc.p)
		} else {
			assert.ErrorIs(t, err, tc.err, "%+v", tc.p)
		}
	}
}
