package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// customBlockBytes is a little-endian pcapng custom block of type typ
// (0xBAD or 0x40000BAD) holding data after a Private Enterprise Number.
func customBlockBytes(typ uint32, data []byte) []byte {
	body := binary.LittleEndian.AppendUint32(nil, 32473) // the PEN for examples (RFC 5612)
	body = append(body, data...)
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	n := uint32(12 + len(body))
	b := binary.LittleEndian.AppendUint32(nil, typ)
	b = binary.LittleEndian.AppendUint32(b, n)
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, n)
}

// withCustomBlocks is twoFramePcapNG with a custom block before each
// packet block and one after the last; it returns the file and each
// block's offset.
func withCustomBlocks(t testing.TB, datas ...[]byte) ([]byte, []int64) {
	ng := twoFramePcapNG(t)
	blocks := ngBlocks(ng)
	require.Len(t, blocks, 4, "SHB, IDB, two EPBs")
	cut := []int{blocks[2], blocks[3], len(ng)}
	var out []byte
	var offs []int64
	prev := 0
	for i, c := range cut {
		out = append(out, ng[prev:c]...)
		offs = append(offs, int64(len(out)))
		typ := uint32(ngBlockCB)
		if i == 1 {
			typ = ngBlockDCB
		}
		out = append(out, customBlockBytes(typ, datas[i])...)
		prev = c
	}
	return out, offs
}

func TestCustomBlocksAreFramesInFileOrder(t *testing.T) {
	datas := [][]byte{[]byte("first"), []byte("second, not to copy"), []byte("last")}
	file, offs := withCustomBlocks(t, datas...)
	r, err := NewReader(bytes.NewReader(file), 0)
	require.NoError(t, err)
	var kinds []string
	var customs [][]byte
	var customOffs []int64
	for {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		if p.LinkType == LinkTypePcapngCustom {
			kinds = append(kinds, "custom")
			customs = append(customs, slices.Clone(p.Data))
			customOffs = append(customOffs, p.Offset)
			assert.True(t, p.Timestamp.IsZero())
			assert.Equal(t, len(p.Data), p.Length)
		} else {
			kinds = append(kinds, "packet")
			assert.Len(t, p.Data, len(udpDNS(t, macA, macB, ipA, ipB, 5000, 53)))
		}
	}
	assert.Equal(t, []string{"custom", "packet", "custom", "packet", "custom"}, kinds)
	for i := range datas {
		// The data is padded to 4 bytes, as the block stores it.
		assert.Equal(t, datas[i], customs[i][:len(datas[i])], "custom block %d", i)
	}
	assert.Equal(t, offs, customOffs, "each custom block's offset")

	// Counted: one "data" row of three frames, beside the two packets.
	a, err := New(DefaultConfig())
	require.NoError(t, err)
	r, err = NewReader(bytes.NewReader(file), 0)
	require.NoError(t, err)
	require.NoError(t, a.ReadFrom(context.Background(), r))
	assert.Equal(t, uint64(5), a.Summary().Frames)
	assert.Equal(t, uint64(3), a.Hierarchy().Total("data").Frames)
}

func TestShortCustomBlockNamesItsOffset(t *testing.T) {
	ng := twoFramePcapNG(t)
	blocks := ngBlocks(ng)
	bad := binary.LittleEndian.AppendUint32(nil, ngBlockCB)
	bad = binary.LittleEndian.AppendUint32(bad, 12)
	bad = binary.LittleEndian.AppendUint32(bad, 12)
	file := slices.Concat(ng[:blocks[2]], bad, ng[blocks[2]:])
	r, err := NewReader(bytes.NewReader(file), 0)
	require.NoError(t, err)
	_, err = r.Next()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), "custom block of 12 bytes is shorter than 16")
	assert.Contains(t, err.Error(), "offset "+itoa(blocks[2]))
}
