package pdu

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"io"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	require.NoError(t, err)
	return b
}

var (
	alice   = "616c696365 0000000000" // "alice" NUL-padded to 10 bytes
	song    = "736f6e67 000000000000" // "song"
	film    = "66696c6d 000000000000" // "film"
	lo5000  = "7f000001 1388"         // 127.0.0.1:5000
	addr    = netip.MustParseAddrPort("127.0.0.1:5000")
	hundred = bytes.Repeat([]byte{'x'}, 100)
)

// classicGolden is the lab layout of every PDU type, byte for byte.
var classicGolden = []struct {
	name string
	dir  Direction
	p    PDU
	hex  string
}{
	{"R", Request, PDU{Type: Register, Peer: "alice", Content: "song", Addr: addr}, "52" + alice + song + lo5000},
	{"S request", Request, PDU{Type: Search, Peer: "alice", Content: "song"}, "53" + alice + song},
	{"S short request", Request, PDU{Type: Search, Content: "song"}, "53" + song},
	{"S reply", Reply, PDU{Type: Search, Reply: true, Addr: addr}, "53" + lo5000},
	{"D", Request, PDU{Type: Download, Peer: "alice", Content: "song"}, "44" + alice + song},
	{"D short", Request, PDU{Type: Download, Content: "song"}, "44" + song},
	{"C", Reply, PDU{Type: Content, Data: hundred}, "43" + strings.Repeat("78", 100)},
	{"F", Reply, PDU{Type: Final, Data: []byte("abc")}, "46 616263"},
	{"F empty", Reply, PDU{Type: Final, Data: []byte{}}, "46"},
	{"O request", Request, PDU{Type: List}, "4f"},
	{"O request with peer", Request, PDU{Type: List, Peer: "alice"}, "4f" + alice},
	{"O reply", Reply, PDU{Type: List, Reply: true, Names: []string{"song", "film"}}, "4f" + song + film},
	{"O reply end", Reply, PDU{Type: List, Reply: true, Names: []string{}}, "4f"},
	{"T", Request, PDU{Type: Deregister, Peer: "alice", Content: "song"}, "54" + alice + song},
	{"A", Reply, PDU{Type: Ack, Peer: "alice", Text: "alice"}, "41" + alice},
	{"A empty", Reply, PDU{Type: Ack}, "41"},
	{"E", Reply, PDU{Type: Error, Text: "content not found"}, "45 636f6e74656e74206e6f7420666f756e64"},
	{"ten-byte names", Request, PDU{Type: Deregister, Peer: "0123456789", Content: "abcdefghij"},
		"54 30313233343536373839 6162636465666768696a"},
}

func TestClassicGolden(t *testing.T) {
	for _, tc := range classicGolden {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, tc.hex)
			got, err := Classic{}.Append(nil, &tc.p)
			require.NoError(t, err)
			assert.Equal(t, hex.EncodeToString(want), hex.EncodeToString(got))

			var back PDU
			require.NoError(t, Classic{}.Decode(want, tc.dir, &back))
			assertSamePDU(t, tc.p, back)
		})
	}
}

// assertSamePDU compares PDUs treating nil and empty slices alike.
func assertSamePDU(t *testing.T, want, got PDU) {
	t.Helper()
	if len(want.Names) == 0 && len(got.Names) == 0 {
		want.Names, got.Names = nil, nil
	}
	if len(want.Data) == 0 && len(got.Data) == 0 {
		want.Data, got.Data = nil, nil
	}
	assert.Equal(t, want, got)
}

func TestClassicDecodeLenientCPeers(t *testing.T) {
	var p PDU
	// A C peer sends its whole struct: type byte plus 100 data bytes, NUL-padded.
	whole := make([]byte, 101)
	copy(whole, unhex(t, "52"+alice+song+lo5000))
	require.NoError(t, Classic{}.Decode(whole, Request, &p))
	assert.Equal(t, PDU{Type: Register, Peer: "alice", Content: "song", Addr: addr}, p)

	// Short-form S in a whole struct: the second field is empty.
	whole = make([]byte, 101)
	copy(whole, unhex(t, "53"+song))
	require.NoError(t, Classic{}.Decode(whole, Request, &p))
	assert.Equal(t, PDU{Type: Search, Content: "song"}, p)

	// Garbage after the terminating NUL of a name is ignored (strcpy into a dirty buffer).
	b := unhex(t, "54 616c69636500ffffffff"+song)
	require.NoError(t, Classic{}.Decode(b, Request, &p))
	assert.Equal(t, "alice", p.Peer)

	// O reply of a whole struct: three names then empty slots.
	whole = make([]byte, 101)
	copy(whole, unhex(t, "4f"+song+film+song))
	require.NoError(t, Classic{}.Decode(whole, Reply, &p))
	assert.Equal(t, []string{"song", "film", "song"}, p.Names)
}

func TestClassicDecodeErrors(t *testing.T) {
	cases := []struct {
		name, hex string
		dir       Direction
		target    error
		text      string
	}{
		{"empty", "", Request, ErrEmpty, "pdu: empty PDU"},
		{"unknown type", "58 00", Request, ErrUnknownType, "pdu: unknown PDU type 'X'"},
		{"R truncated", "52" + alice + "00", Request, ErrTruncated, "pdu: R PDU: truncated: 11 data bytes, want 26"},
		{"R empty peer", "52 00000000000000000000" + song + lo5000, Request, ErrBadName, "pdu: R PDU: bad name: empty peer name"},
		{"R port 0", "52" + alice + song + "7f000001 0000", Request, ErrBadAddr, "pdu: R PDU: bad address: port 0"},
		{"R trailing junk", "52" + alice + song + lo5000 + "ff", Request, ErrMalformed, "pdu: R PDU: malformed: 27 data bytes, want 26 (extra bytes are not NUL padding)"},
		{"S truncated", "53 616263", Request, ErrTruncated, "pdu: S PDU: truncated: 3 data bytes, want 10 or 20"},
		{"S 15 bytes", "53" + song + "6162636465", Request, ErrTruncated, "pdu: S PDU: truncated: 15 data bytes, want 10 or 20"},
		{"S reply truncated", "53 7f0000", Reply, ErrTruncated, "pdu: S PDU: truncated: 3 data bytes, want 6"},
		{"T truncated", "54" + alice, Request, ErrTruncated, "pdu: T PDU: truncated: 10 data bytes, want 20"},
		{"T empty content", "54" + alice + "00000000000000000000", Request, ErrBadName, "pdu: T PDU: bad name: empty content name"},
		{"C short", "43 616263", Reply, ErrTruncated, "pdu: C PDU: truncated: 3 data bytes, want 100"},
		{"F full", "46" + strings.Repeat("61", 100), Reply, ErrTooLong, "pdu: F PDU: too long: 100 data bytes, an F frame holds 0 to 99"},
		{"too long", "45" + strings.Repeat("61", 101), Reply, ErrTooLong, "pdu: E PDU: too long: 101 data bytes, at most 100"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var p PDU
			err := Classic{}.Decode(unhex(t, tc.hex), tc.dir, &p)
			require.ErrorIs(t, err, tc.target)
			assert.EqualError(t, err, tc.text, "the whole message")
		})
	}
}

func TestClassicEncodeErrors(t *testing.T) {
	cases := []struct {
		name   string
		p      PDU
		target error
		text   string
	}{
		{"long peer", PDU{Type: Register, Peer: "abcdefghijk", Content: "x", Addr: addr}, ErrBadName, "pdu: R PDU: bad name: peer name longer than 10 bytes"},
		{"empty content", PDU{Type: Register, Peer: "a", Addr: addr}, ErrBadName, "pdu: R PDU: bad name: empty content name"},
		{"NUL in name", PDU{Type: Deregister, Peer: "a\x00b", Content: "x"}, ErrBadName, "pdu: T PDU: bad name: peer name contains NUL"},
		{"IPv6", PDU{Type: Register, Peer: "a", Content: "x", Addr: netip.MustParseAddrPort("[::1]:80")}, ErrBadAddr, "pdu: R PDU: bad address: ::1 is not an IPv4 address"},
		{"C short", PDU{Type: Content, Data: []byte("abc")}, ErrMalformed, "pdu: C PDU: malformed: 3 data bytes, a C frame holds exactly 100"},
		{"F full", PDU{Type: Final, Data: hundred}, ErrTooLong, "pdu: F PDU: too long: 100 data bytes, an F frame holds 0 to 99"},
		{"E long", PDU{Type: Error, Text: strings.Repeat("e", 101)}, ErrTooLong, "pdu: E PDU: too long: text of 101 bytes, at most 100"},
		{"O 11 names", PDU{Type: List, Reply: true, Names: make([]string, 11)}, ErrTooLong, "pdu: O PDU: too long: 11 names, at most 10 per PDU"},
		{"unknown", PDU{Type: 'X'}, ErrUnknownType, "pdu: unknown PDU type 'X'"},
		{"announce", PDU{Type: Content, Announce: true, Data: hundred}, ErrMalformed, "pdu: C PDU: malformed: the classic layout cannot announce size and sum"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Classic{}.Append(nil, &tc.p)
			require.ErrorIs(t, err, tc.target)
			assert.EqualError(t, err, tc.text, "the whole message")
		})
	}
	// An IPv4-mapped IPv6 address is an IPv4 address.
	b, err := Classic{}.Append(nil, &PDU{Type: Search, Reply: true, Addr: netip.MustParseAddrPort("[::ffff:127.0.0.1]:5000")})
	require.NoError(t, err)
	assert.Equal(t, unhex(t, "53"+lo5000), b)
}

func TestClassicReadPDUStream(t *testing.T) {
	// Frames are cut by their fixed sizes, whatever the read boundaries.
	var stream []byte
	stream = append(stream, 'C')
	stream = append(stream, hundred...)
	stream = append(stream, 'C')
	stream = append(stream, bytes.Repeat([]byte{'y'}, 100)...)
	stream = append(stream, 'F', 'z', 'z')
	r := bufio.NewReaderSize(iotestOneByte(stream), ReaderSize)

	var p PDU
	require.NoError(t, Classic{}.ReadPDU(r, Reply, &p))
	assert.Equal(t, Content, p.Type)
	assert.Equal(t, hundred, p.Data)
	require.NoError(t, Classic{}.ReadPDU(r, Reply, &p))
	assert.Equal(t, bytes.Repeat([]byte{'y'}, 100), p.Data)
	require.NoError(t, Classic{}.ReadPDU(r, Reply, &p))
	assert.Equal(t, Final, p.Type)
	assert.Equal(t, []byte("zz"), p.Data)
	assert.ErrorIs(t, Classic{}.ReadPDU(r, Reply, &p), io.EOF)

	// A C frame cut short is truncated, naming the expected length.
	r = NewReader(bytes.NewReader([]byte("Cabc")))
	err := Classic{}.ReadPDU(r, Reply, &p)
	require.ErrorIs(t, err, ErrTruncated)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.EqualError(t, err, "pdu: C PDU: truncated: 3 data bytes, want 100: unexpected EOF")

	// A D request is what arrived with its type byte.
	r = NewReader(bytes.NewReader(unhex(t, "44"+alice+song)))
	require.NoError(t, Classic{}.ReadPDU(r, Request, &p))
	assert.Equal(t, PDU{Type: Download, Peer: "alice", Content: "song"}, p)
	r = NewReader(bytes.NewReader(unhex(t, "44 616263")))
	require.ErrorIs(t, Classic{}.ReadPDU(r, Request, &p), ErrTruncated)
}

// iotestOneByte returns a reader that returns one byte per Read.
func iotestOneByte(b []byte) io.Reader { return &oneByte{b} }

type oneByte struct{ b []byte }

func (o *oneByte) Read(p []byte) (int, error) {
	if len(o.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = o.b[0]
	o.b = o.b[1:]
	return 1, nil
}

func TestPDUString(t *testing.T) {
	cases := map[string]PDU{
		`R peer="alice" content="song" addr=127.0.0.1:5000`: {Type: Register, Peer: "alice", Content: "song", Addr: addr},
		`S content="song"`:                           {Type: Search, Content: "song"},
		`S reply addr=127.0.0.1:5000`:                {Type: Search, Reply: true, Addr: addr},
		`D peer="bob" content="song"`:                {Type: Download, Peer: "bob", Content: "song"},
		`C 100 bytes`:                                {Type: Content, Data: hundred},
		`C announce size=5 sha256=00000000… 0 bytes`: {Type: Content, Announce: true, Size: 5},
		`F 3 bytes`:                                  {Type: Final, Data: []byte("abc")},
		`O reply names=["a" "b"]`:                    {Type: List, Reply: true, Names: []string{"a", "b"}},
		`O`:                                          {Type: List},
		`T peer="alice" content="song"`:              {Type: Deregister, Peer: "alice", Content: "song"},
		`A peer="alice"`:                             {Type: Ack, Peer: "alice"},
		`E "content not found"`:                      {Type: Error, Text: "content not found"},
	}
	for want, p := range cases {
		assert.Equal(t, want, p.String())
	}
}
