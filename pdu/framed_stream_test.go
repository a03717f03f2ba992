package pdu

import (
	"bufio"
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFramedReadsPDUsInTurn: PDUs back to back on a stream are read one
// after the other, each consuming exactly its bytes.
func TestFramedReadsPDUsInTurn(t *testing.T) {
	pdus := []PDU{
		{Type: Ack, Peer: "alice"},
		{Type: List},
		{Type: Error, Text: "second"},
		{Type: Search, Peer: "bob", Content: "song"},
	}
	var wire []byte
	for i := range pdus {
		var err error
		wire, err = Framed{}.Append(wire, &pdus[i])
		require.NoError(t, err)
	}
	r := NewReader(bytes.NewReader(wire))
	for i, want := range pdus {
		var p PDU
		dir := Request
		if want.Type == Ack || want.Type == Error {
			dir = Reply
		}
		require.NoError(t, Framed{}.ReadPDU(r, dir, &p), "PDU %d", i)
		assert.Equal(t, want.Type, p.Type, "PDU %d", i)
		assert.Equal(t, want.Peer, p.Peer, "PDU %d", i)
		assert.Equal(t, want.Content, p.Content, "PDU %d", i)
		if want.Type == Error {
			assert.Equal(t, want.Text, p.Text)
		}
	}
	assert.Zero(t, r.Buffered())
}

// TestFramedReaderSizeLimit: a payload exactly the reader's size is read;
// one byte more is refused with the reader's size named.
func TestFramedReaderSizeLimit(t *testing.T) {
	for _, n := range []int{16, 17} {
		b, err := Framed{}.Append(nil, &PDU{Type: Error, Text: strings.Repeat("e", n)})
		require.NoError(t, err)
		var p PDU
		err = Framed{}.ReadPDU(bufio.NewReaderSize(bytes.NewReader(b), 16), Reply, &p)
		if n == 16 {
			require.NoError(t, err)
			assert.Equal(t, strings.Repeat("e", 16), p.Text)
		} else {
			require.ErrorIs(t, err, ErrTooLong)
			assert.EqualError(t, err, "pdu: E PDU: too long: payload of 17 bytes does not fit the 16-byte reader (use pdu.NewReader)")
		}
	}
}

// TestFramedDecodeTrailingBytes: bytes after the payload are counted in the
// error.
func TestFramedDecodeTrailingBytes(t *testing.T) {
	b, err := Framed{}.Append(nil, &PDU{Type: Error, Text: "abc"})
	require.NoError(t, err)
	var p PDU
	err = Framed{}.Decode(append(b, 'x', 'y'), Reply, &p)
	require.ErrorIs(t, err, ErrMalformed)
	assert.EqualError(t, err, "pdu: E PDU: malformed: 2 bytes after a payload of 3")
}

// TestFramedEmptyOptionalNamesLast: an O request may spell out its empty
// peer as a lone zero length byte, the whole payload.
func TestFramedEmptyOptionalNamesLast(t *testing.T) {
	for _, tc := range []struct {
		b    []byte
		peer string
	}{
		{[]byte{'O', 1, 0}, ""},
	} {
		var p PDU
		require.NoError(t, Framed{}.Decode(tc.b, Request, &p), "% x", tc.b)
		assert.Equal(t, List, p.Type)
		assert.Equal(t, tc.peer, p.Peer)
		assert.Empty(t, p.Content)
	}
}

// TestFramedChunkIndexMissing: a D asking for a chunk must say which.
func TestFramedChunkIndexMissing(t *testing.T) {
	b, err := Framed{}.Append(nil, &PDU{Type: Download, Peer: "p", Content: "c", Part: PartChunk})
	require.NoError(t, err)
	require.Equal(t, []byte{'D', 6, 1, 'p', 1, 'c', byte(PartChunk), 0}, b)
	var p PDU
	err = Framed{}.Decode([]byte{'D', 5, 1, 'p', 1, 'c', byte(PartChunk)}, Request, &p)
	require.ErrorIs(t, err, ErrMalformed)
	assert.EqualError(t, err, "pdu: D PDU: malformed: bad chunk index")
}
