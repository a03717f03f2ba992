package pdu

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestManifestAtMaxChunks: the largest manifest (MaxChunks chunks of
// MaxChunkSize) encodes within MaxManifestSize and decodes to itself.
func TestManifestAtMaxChunks(t *testing.T) {
	m := &Manifest{Size: int64(MaxChunks) * MaxChunkSize, ChunkSize: MaxChunkSize, Sums: make([][32]byte, MaxChunks)}
	for i := range m.Sums {
		binary.LittleEndian.PutUint32(m.Sums[i][:], uint32(i))
	}
	b, err := m.MarshalBinary()
	require.NoError(t, err)
	assert.LessOrEqual(t, len(b), MaxManifestSize)
	var got Manifest
	require.NoError(t, got.UnmarshalBinary(b))
	assert.Equal(t, m.Size, got.Size)
	assert.Equal(t, m.Sums, got.Sums)
	off, n := got.Chunk(MaxChunks - 1)
	assert.Equal(t, int64(MaxChunks-1)*MaxChunkSize, off)
	assert.Equal(t, MaxChunkSize, n)
}

// TestFramedAnnouncementBounds: an announced size of 2^62 is the largest
// accepted; an announcement cut before its size is a bad size; holders
// past 16 in an S reply are refused.
func TestFramedAnnouncementBounds(t *testing.T) {
	b, err := Framed{}.Append(nil, &PDU{Type: Content, Announce: true, Size: 1 << 62})
	require.NoError(t, err)
	var p PDU
	require.NoError(t, Framed{}.Decode(b, Reply, &p))
	assert.Equal(t, int64(1<<62), p.Size)

	over := []byte{'C', 0, framedAnnounce}
	over = binary.AppendUvarint(over, 1<<62+1)
	over = append(over, make([]byte, 32)...)
	over[1] = byte(len(over) - 2)
	err = Framed{}.Decode(over, Reply, &p)
	assert.EqualError(t, err, "pdu: C PDU: malformed: bad announced size")

	err = Framed{}.Decode([]byte{'C', 1, framedAnnounce}, Reply, &p)
	assert.EqualError(t, err, "pdu: C PDU: malformed: bad announced size")

	var payload []byte
	for i := range FramedMaxHolders + 1 {
		payload = append(payload, 4, 10, 0, 0, byte(i+1), 0x13, 0x88)
	}
	err = Framed{}.Decode(append([]byte{'S', byte(len(payload))}, payload...), Reply, &p)
	require.ErrorIs(t, err, ErrTooLong)
	assert.EqualError(t, err, "pdu: S PDU: too long: more than 16 holders")
	require.NoError(t, Framed{}.Decode(append([]byte{'S', byte(len(payload) - 7)}, payload[:len(payload)-7]...), Reply, &p))
	assert.Len(t, p.Others, FramedMaxHolders-1)
	assert.True(t, strings.HasPrefix(p.Addr.String(), "10.0.0.1:"))
}

// TestManifestGeometryBounds: chunk sizes from MinChunkSize to
// MaxChunkSize, powers of two only; a negative size is refused.
func TestManifestGeometryBounds(t *testing.T) {
	data := make([]byte, 3*MinChunkSize+5)
	for _, tc := range []struct {
		size  int64
		chunk int
		ok    bool
	}{
		{int64(len(data)), MinChunkSize, true},
		{int64(len(data)), MinChunkSize / 2, false},
		{int64(len(data)), MinChunkSize + 1, false},
		{int64(len(data)), 3 * MinChunkSize, false},
		{int64(len(data)), MaxChunkSize, true},
		{int64(len(data)), 2 * MaxChunkSize, false},
		{0, MinChunkSize, true},
		{-1, MinChunkSize, false},
	} {
		size := max(tc.size, 0)
		m, err := BuildManifest(strings.NewReader(string(data[:size])), tc.size, tc.chunk)
		if !tc.ok {
			assert.ErrorIs(t, err, ErrManifest, "size %d chunk %d", tc.size, tc.chunk)
			continue
		}
		require.NoError(t, err, "size %d chunk %d", tc.size, tc.chunk)
		assert.Equal(t, int((tc.size+int64(tc.chunk)-1)/int64(tc.chunk)), m.Chunks())
	}
}
