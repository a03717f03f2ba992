package pdu

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestManifestDecodeErrorsNameTheirField: each field of a manifest cut
// short or out of range is refused with its own message.
func TestManifestDecodeErrorsNameTheirField(t *testing.T) {
	head := append([]byte(nil), manifestMagic...)
	v := append(head[:len(head):len(head)], manifestVersion)
	uv := func(b []byte, x uint64) []byte { return binary.AppendUvarint(b[:len(b):len(b)], x) }
	for _, tc := range []struct {
		name string
		b    []byte
		err  string
	}{
		{"no version", head, "pdu: bad manifest: version missing or not 1"},
		{"no size", v, "pdu: bad manifest: bad size"},
		{"size over 2^62", uv(v, 1<<62+1), "pdu: bad manifest: bad size"},
		{"no chunk size", uv(v, 100), "pdu: bad manifest: bad chunk size"},
		{"chunk size over the max", uv(uv(v, 100), MaxChunkSize+1), "pdu: bad manifest: bad chunk size"},
		{"size of 2^62", uv(uv(v, 1<<62), MaxChunkSize),
			"pdu: bad manifest: 4611686018427387904 bytes in chunks of 16777216 is more than 65536 chunks"},
		{"sums missing", uv(uv(v, 3*MinChunkSize), MinChunkSize), "pdu: bad manifest: 0 bytes of root and sums, want 128"},
	} {
		var m Manifest
		err := m.UnmarshalBinary(tc.b)
		require.ErrorIs(t, err, ErrManifest, tc.name)
		assert.EqualError(t, err, tc.err, tc.name)
	}
}

// TestNameStartingWithNUL: a NUL anywhere in a name, even first, is refused.
func TestNameStartingWithNUL(t *testing.T) {
	for _, c := range []Codec{Classic{}, Framed{}} {
		_, err := c.Append(nil, &PDU{Type: Search, Peer: "p", Content: "\x00song"})
		assert.ErrorIs(t, err, ErrBadName, c.Name())
	}
}

// TestTextStartingWithNUL: a Classic text with a NUL, even first, is
// refused.
func TestTextStartingWithNUL(t *testing.T) {
	for _, text := range []string{"\x00abc", "ab\x00c"} {
		_, err := Classic{}.Append(nil, &PDU{Type: Error, Text: text})
		assert.ErrorIs(t, err, ErrMalformed, "%q", text)
	}
}
