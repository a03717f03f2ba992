package pdu

import (
	"bytes"
	"encoding/hex"
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// padded returns 'type' + data NUL-padded to the lab's 100 data bytes: what a
// C implementation sends when it writes its whole struct.
func padded(typ byte, data string) []byte {
	b := make([]byte, 1+ClassicMaxData)
	b[0] = typ
	copy(b[1:], data)
	return b
}

// TestClassicRepliesOfOtherServers: the variants other lab index servers
// send, each read as the package documentation says.
func TestClassicRepliesOfOtherServers(t *testing.T) {
	records := "peer1|fileA|192.168.1.10:5000;peer2|fileB|192.168.1.11:6000;"
	holders := []Holder{
		{Peer: "peer1", Content: "fileA", Addr: netip.MustParseAddrPort("192.168.1.10:5000")},
		{Peer: "peer2", Content: "fileB", Addr: netip.MustParseAddrPort("192.168.1.11:6000")},
	}
	cases := []struct {
		name string
		wire []byte
		want PDU
	}{
		{"A sentence, whole struct", padded('A', "Registration successful"), PDU{Type: Ack, Text: "Registration successful"}},
		{"A sentence, terminated", []byte("ADeregistration successful\x00"), PDU{Type: Ack, Text: "Deregistration successful"}},
		{"A sentence, bare", []byte("ARegistration successful"), PDU{Type: Ack, Text: "Registration successful"}},
		{"A 100 bytes", append([]byte{'A'}, bytes.Repeat([]byte("a"), 100)...), PDU{Type: Ack, Text: strings.Repeat("a", 100)}},
		{"A short text is also a name", padded('A', "OK"), PDU{Type: Ack, Peer: "OK", Text: "OK"}},
		{"A junk after the name's NUL", unhex(t, "41"+alice+"ff"), PDU{Type: Ack, Peer: "alice", Text: "alice"}},
		{"E sentence, whole struct", padded('E', "Peer name already in use"), PDU{Type: Error, Text: "Peer name already in use"}},
		{"O records", append([]byte{'O'}, records...), PDU{Type: List, Reply: true, Holders: holders}},
		{"O records, whole struct", padded('O', records), PDU{Type: List, Reply: true, Holders: holders}},
		{"O records, last ; missing", append([]byte{'O'}, strings.TrimSuffix(records, ";")...), PDU{Type: List, Reply: true, Holders: holders}},
		{"O text", []byte("ONo content registered"), PDU{Type: List, Reply: true, Text: "No content registered"}},
		{"O text, whole struct", padded('O', "No content registered"), PDU{Type: List, Reply: true, Text: "No content registered"}},
		{"O text of 10 bytes, whole struct", padded('O', "No content"), PDU{Type: List, Reply: true, Text: "No content"}},
		{"O 3 bytes", unhex(t, "4f 616263"), PDU{Type: List, Reply: true, Text: "abc"}},
		{"O slot hole", unhex(t, "4f"+song+"00000000000000000000"+film), PDU{Type: List, Reply: true, Text: "song"}},
		{"O netlab slots, whole struct", padded('O', "song\x00\x00\x00\x00\x00\x00film"), PDU{Type: List, Reply: true, Names: []string{"song", "film"}}},
		{"O netlab ten-byte names", unhex(t, "4f 30313233343536373839"+song), PDU{Type: List, Reply: true, Names: []string{"0123456789", "song"}}},
		{"O record with a bad address is text", []byte("Oa|b|300.1.1.1:5;"), PDU{Type: List, Reply: true, Text: "a|b|300.1.1.1:5;"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var p PDU
			require.NoError(t, Classic{}.Decode(tc.wire, Reply, &p))
			assertSamePDU(t, tc.want, p)
			// What was read encodes again, and reads back the same.
			b, err := Classic{}.Append(nil, &p)
			require.NoError(t, err)
			var q PDU
			require.NoError(t, Classic{}.Decode(b, Reply, &q))
			assertSamePDU(t, p, q)
		})
	}
}

// TestClassicRequestLayouts: S and D in both name orders, side by side.
func TestClassicRequestLayouts(t *testing.T) {
	peerFirst, contentFirst := Classic{}, Classic{Requests: ContentFirst}
	for _, typ := range []Type{Search, Download} {
		p := PDU{Type: typ, Peer: "alice", Content: "song"}
		b, err := peerFirst.Append(nil, &p)
		require.NoError(t, err)
		assert.Equal(t, hex.EncodeToString([]byte{byte(typ)})+strings.ReplaceAll(alice+song, " ", ""), hex.EncodeToString(b))
		b, err = contentFirst.Append(nil, &p)
		require.NoError(t, err)
		assert.Equal(t, hex.EncodeToString([]byte{byte(typ)})+strings.ReplaceAll(song+alice, " ", ""), hex.EncodeToString(b))
		var back PDU
		require.NoError(t, contentFirst.Decode(b, Request, &back))
		assert.Equal(t, p, back)
		// Read with the other layout, the names change places: the
		// index server's rule (package p2p/index) copes with that.
		require.NoError(t, peerFirst.Decode(b, Request, &back))
		assert.Equal(t, PDU{Type: typ, Peer: "song", Content: "alice"}, back)

		// The short form carries only the content name, in both layouts.
		short := PDU{Type: typ, Content: "song"}
		b1, err := peerFirst.Append(nil, &short)
		require.NoError(t, err)
		b2, err := contentFirst.Append(nil, &short)
		require.NoError(t, err)
		assert.Equal(t, b1, b2)
		require.NoError(t, contentFirst.Decode(padded(byte(typ), "song"), Request, &back))
		assert.Equal(t, short, back)
	}
	for _, l := range []RequestLayout{PeerFirst, ContentFirst} {
		got, err := ParseRequestLayout(l.String())
		require.NoError(t, err)
		assert.Equal(t, l, got)
	}
	_, err := ParseRequestLayout("sideways")
	assert.EqualError(t, err, `pdu: request layout "sideways": want peer-first or content-first`)
}

// TestClassicListPaging: an O request may name where its page starts.
func TestClassicListPaging(t *testing.T) {
	cases := []struct {
		p   PDU
		hex string
	}{
		{PDU{Type: List}, "4f"},
		{PDU{Type: List, Peer: "alice"}, "4f" + alice},
		{PDU{Type: List, Peer: "alice", Content: "song"}, "4f" + alice + song},
		{PDU{Type: List, Content: "song"}, "4f 00000000000000000000" + song},
	}
	for _, tc := range cases {
		for _, c := range []Codec{Classic{}, Framed{}} {
			b, err := c.Append(nil, &tc.p)
			require.NoError(t, err)
			if c.Name() == "classic" {
				assert.Equal(t, hex.EncodeToString(unhex(t, tc.hex)), hex.EncodeToString(b))
			}
			var back PDU
			require.NoError(t, c.Decode(b, Request, &back))
			assert.Equal(t, tc.p, back, c.Name())
		}
	}
	// A C peer's whole struct with a page start.
	var p PDU
	require.NoError(t, Classic{}.Decode(padded('O', "alice\x00\x00\x00\x00\x00song"), Request, &p))
	assert.Equal(t, PDU{Type: List, Peer: "alice", Content: "song"}, p)
	err := Classic{}.Decode(append(padded('O', "alice\x00\x00\x00\x00\x00song")[:21], 'x'), Request, &p)
	require.ErrorIs(t, err, ErrMalformed)
	assert.EqualError(t, err, "pdu: O PDU: malformed: 21 data bytes, want 0 to 20")
}

// TestClassicTextEncoding: texts encode so that they read back as texts,
// and what cannot be one is refused.
func TestClassicTextEncoding(t *testing.T) {
	for _, text := range []string{"x", "abcdefghij", strings.Repeat("t", 20), strings.Repeat("t", 99), "No content registered"} {
		p := PDU{Type: List, Reply: true, Text: text}
		b, err := Classic{}.Append(nil, &p)
		require.NoError(t, err)
		var back PDU
		require.NoError(t, Classic{}.Decode(b, Reply, &back))
		assertSamePDU(t, p, back)
	}
	cases := []struct {
		p      PDU
		target error
		text   string
	}{
		{PDU{Type: List, Reply: true, Text: strings.Repeat("t", 100)}, ErrTooLong, "pdu: O PDU: too long: a text of 100 bytes reads as 10 names"},
		{PDU{Type: List, Reply: true, Text: "a|b|1.2.3.4:5;"}, ErrMalformed, `pdu: O PDU: malformed: text "a|b|1.2.3.4:5;" reads as holder records`},
		{PDU{Type: List, Reply: true, Names: []string{"a"}, Text: "x"}, ErrMalformed, "pdu: O PDU: malformed: an O reply carries names, holders or a text, one of them"},
		{PDU{Type: Ack, Peer: "alice", Text: "hello"}, ErrMalformed, `pdu: A PDU: malformed: peer "alice" and text "hello": an A carries one of them`},
		{PDU{Type: Ack, Text: strings.Repeat("a", 101)}, ErrTooLong, "pdu: A PDU: too long: text of 101 bytes, at most 100"},
		{PDU{Type: Error, Text: "a\x00b"}, ErrMalformed, "pdu: E PDU: malformed: text contains NUL"},
		{PDU{Type: List, Reply: true, Holders: []Holder{{Peer: "a|b", Content: "c", Addr: addr}}}, ErrMalformed, `pdu: O PDU: malformed: holder "a|b"|"c"|127.0.0.1:5000 cannot be a record`},
		{PDU{Type: List, Reply: true, Holders: []Holder{
			{Peer: "peer-one", Content: "content-1", Addr: addr}, {Peer: "peer-two", Content: "content-2", Addr: addr},
			{Peer: "peer-three", Content: "content-3", Addr: addr}, {Peer: "peer-four", Content: "content-4", Addr: addr}}},
			ErrTooLong, "pdu: O PDU: too long: records of 139 bytes, at most 100"},
	}
	for _, tc := range cases {
		_, err := Classic{}.Append(nil, &tc.p)
		require.ErrorIs(t, err, tc.target, tc.text)
		assert.EqualError(t, err, tc.text)
	}
	// An A text that fits a name is sent as netlab's name field.
	b, err := Classic{}.Append(nil, &PDU{Type: Ack, Text: "OK"})
	require.NoError(t, err)
	assert.Equal(t, unhex(t, "41 4f4b0000000000000000"), b)
	b, err = Classic{}.Append(nil, &PDU{Type: Ack, Text: "Registration successful"})
	require.NoError(t, err)
	assert.Equal(t, "ARegistration successful", string(b))
	// Framed carries names only in O replies; an A text travels as its name.
	_, err = Framed{}.Append(nil, &PDU{Type: List, Reply: true, Text: "x"})
	assert.EqualError(t, err, "pdu: O PDU: malformed: the framed O reply carries names only")
	b, err = Framed{}.Append(nil, &PDU{Type: Ack, Text: "done"})
	require.NoError(t, err)
	var p PDU
	require.NoError(t, Framed{}.Decode(b, Reply, &p))
	assert.Equal(t, PDU{Type: Ack, Peer: "done", Text: "done"}, p)
}

func TestPDUStringOfVariants(t *testing.T) {
	cases := map[string]PDU{
		`A "Registration successful"`:                                          {Type: Ack, Text: "Registration successful"},
		`O reply holders="song"@"alice"@127.0.0.1:5000 "x"@"b"@127.0.0.1:5000`: {Type: List, Reply: true, Holders: []Holder{{"alice", "song", addr}, {"b", "x", addr}}},
		`O reply text="No content registered"`:                                 {Type: List, Reply: true, Text: "No content registered"},
		`O peer="alice" after="song"`:                                          {Type: List, Peer: "alice", Content: "song"},
	}
	for want, p := range cases {
		assert.Equal(t, want, p.String())
	}
}
