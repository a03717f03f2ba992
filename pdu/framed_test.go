package pdu

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// roundTripCases are PDUs both codecs can carry.
var roundTripCases = []struct {
	name string
	dir  Direction
	p    PDU
}{
	{"R", Request, PDU{Type: Register, Peer: "alice", Content: "song", Addr: addr}},
	{"S", Request, PDU{Type: Search, Peer: "bob", Content: "song"}},
	{"S reply", Reply, PDU{Type: Search, Reply: true, Addr: addr}},
	{"D", Request, PDU{Type: Download, Peer: "bob", Content: "song"}},
	{"C", Reply, PDU{Type: Content, Data: hundred}},
	{"F", Reply, PDU{Type: Final, Data: []byte("tail")}},
	{"O request", Request, PDU{Type: List, Peer: "carol"}},
	{"O reply", Reply, PDU{Type: List, Reply: true, Names: []string{"a", "bb", "ccc"}}},
	{"T", Request, PDU{Type: Deregister, Peer: "alice", Content: "song"}},
	{"A", Reply, PDU{Type: Ack, Peer: "alice", Text: "alice"}},
	{"A empty", Reply, PDU{Type: Ack}},
	{"E", Reply, PDU{Type: Error, Text: "content not found"}},
}

func TestRoundTripBothCodecs(t *testing.T) {
	for _, c := range []Codec{Classic{}, Framed{}} {
		for _, tc := range roundTripCases {
			t.Run(c.Name()+"/"+tc.name, func(t *testing.T) {
				b, err := c.Append([]byte("prefix"), &tc.p)
				require.NoError(t, err)
				require.Equal(t, "prefix", string(b[:6]), "Append appends")
				var back PDU
				require.NoError(t, c.Decode(b[6:], tc.dir, &back))
				assertSamePDU(t, tc.p, back)

				// The same bytes read from a stream give the same PDU.
				if tc.p.Type != Content && tc.p.Type != Final && tc.p.Type != Error && c.Name() == "classic" {
					return // Classic streams only carry D and content frames by size
				}
				var fromStream PDU
				require.NoError(t, c.ReadPDU(NewReader(bytes.NewReader(b[6:])), tc.dir, &fromStream))
				assertSamePDU(t, tc.p, fromStream)
			})
		}
	}
}

func TestFramedLayout(t *testing.T) {
	b, err := Framed{}.Append(nil, &PDU{Type: Register, Peer: "alice", Content: "song", Addr: addr})
	require.NoError(t, err)
	// type, payload length 18, name "alice", name "song", IPv4 127.0.0.1, port 5000
	assert.Equal(t, unhex(t, "52 12 05616c696365 04736f6e67 04 7f000001 1388"), b)

	v6 := netip.MustParseAddrPort("[2001:db8::1]:443")
	b, err = Framed{}.Append(nil, &PDU{Type: Search, Reply: true, Addr: v6})
	require.NoError(t, err)
	assert.Equal(t, unhex(t, "53 13 06 20010db8000000000000000000000001 01bb"), b)
	var p PDU
	require.NoError(t, Framed{}.Decode(b, Reply, &p))
	assert.Equal(t, v6, p.Addr)

	long := strings.Repeat("n", 255)
	b, err = Framed{}.Append(nil, &PDU{Type: Deregister, Peer: long, Content: long})
	require.NoError(t, err)
	require.NoError(t, Framed{}.Decode(b, Request, &p))
	assert.Equal(t, long, p.Peer)
}

func TestFramedAnnounce(t *testing.T) {
	sum := sha256.Sum256([]byte("hello"))
	in := PDU{Type: Content, Announce: true, Size: 5, Sum: sum, Data: []byte("he")}
	b, err := Framed{}.Append(nil, &in)
	require.NoError(t, err)
	var p PDU
	require.NoError(t, Framed{}.Decode(b, Reply, &p))
	assert.Equal(t, in, p)

	big := PDU{Type: Content, Data: make([]byte, FramedMaxData)}
	b, err = Framed{}.Append(nil, &big)
	require.NoError(t, err)
	require.NoError(t, Framed{}.ReadPDU(NewReader(bytes.NewReader(b)), Reply, &p))
	assert.Len(t, p.Data, FramedMaxData)
}

func TestFramedErrors(t *testing.T) {
	huge := binary.AppendUvarint([]byte{'F'}, 1<<40)
	cases := []struct {
		name   string
		b      []byte
		target error
		text   string
	}{
		{"unknown", []byte{'X', 0}, ErrUnknownType, "pdu: unknown PDU type 'X'"},
		{"no length", []byte{'R'}, ErrTruncated, "pdu: R PDU: truncated: no complete payload length"},
		{"truncated", unhex(t, "52 12 05616c696365"), ErrTruncated, "pdu: R PDU: truncated: 6 payload bytes, want 18"},
		{"trailing", unhex(t, "41 00 ff"), ErrMalformed, "pdu: A PDU: malformed: 1 bytes after a payload of 0"},
		{"huge length", huge, ErrTooLong, "pdu: F PDU: too long: payload of 1099511627776 bytes, at most 65536"},
		{"name overruns", unhex(t, "54 03 05616c"), ErrTruncated, "pdu: T PDU: truncated: peer name of 5 bytes, 2 present"},
		{"bad family", unhex(t, "53 07 05 7f000001 1388"), ErrBadAddr, "pdu: S PDU: bad address: address family 5, want 4 or 6"},
		{"bad flags", unhex(t, "43 01 80"), ErrMalformed, "pdu: C PDU: malformed: unknown flags 0x80"},
		{"NUL name", unhex(t, "54 04 01 00 01 61"), ErrBadName, "pdu: T PDU: bad name: peer name contains NUL"},
		{"empty content", unhex(t, "54 04 01 61 00 00"), ErrBadName, "pdu: T PDU: bad name: empty content name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var p PDU
			err := Framed{}.Decode(tc.b, Reply, &p)
			require.ErrorIs(t, err, tc.target)
			assert.EqualError(t, err, tc.text, "the whole message")
		})
	}
	_, err := Framed{}.Append(nil, &PDU{Type: Register, Peer: strings.Repeat("n", 256), Content: "x", Addr: addr})
	require.ErrorIs(t, err, ErrBadName)
	_, err = Framed{}.Append(nil, &PDU{Type: Register, Peer: "a", Content: "x"})
	require.ErrorIs(t, err, ErrBadAddr)
	_, err = Framed{}.Append(nil, &PDU{Type: Final, Data: make([]byte, FramedMaxData+1)})
	require.ErrorIs(t, err, ErrTooLong)

	// A stream with a length beyond the bound fails before reading the payload.
	err = Framed{}.ReadPDU(NewReader(bytes.NewReader(huge)), Reply, new(PDU))
	require.ErrorIs(t, err, ErrTooLong)
}
