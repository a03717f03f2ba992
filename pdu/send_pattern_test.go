package pdu

import (
	"bytes"
	"crypto/sha256"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeSizes records the size of every Write.
type writeSizes struct {
	buf   bytes.Buffer
	sizes []int
}

func (w *writeSizes) Write(b []byte) (int, error) {
	w.sizes = append(w.sizes, len(b))
	return w.buf.Write(b)
}

// TestSendContentWritesInBlocks: SendContent writes about sendBlock bytes
// at a time (at least sendBlock, at most one frame more), the last write
// holding the rest, for both codecs; the stream decodes to the content.
func TestSendContentWritesInBlocks(t *testing.T) {
	for _, c := range []Codec{Classic{}, Framed{}} {
		content := bytes.Repeat([]byte("0123456789"), (3*sendBlock+777)/10)
		var w writeSizes
		require.NoError(t, SendContent(&w, c, bytes.NewReader(content), int64(len(content)), sha256.Sum256(content)))
		require.Len(t, w.sizes, 4, "%s: %v", c.Name(), w.sizes)
		for _, n := range w.sizes[:3] {
			assert.GreaterOrEqual(t, n, sendBlock, c.Name())
			assert.LessOrEqual(t, n, sendBlock+c.Limits().MaxFrame, c.Name())
		}
		var got bytes.Buffer
		n, err := ReceiveContent(NewContentReader(bytes.NewReader(w.buf.Bytes()), c), c, &got, ReceiveOptions{})
		require.NoError(t, err, c.Name())
		assert.Equal(t, int64(len(content)), n)
		assert.True(t, bytes.Equal(content, got.Bytes()), c.Name())
	}
}

// TestFramedContentOfWholeFrames: content of exactly two full frames ends
// with an empty F, received as exactly that content.
func TestFramedContentOfWholeFrames(t *testing.T) {
	content := bytes.Repeat([]byte{7, 8, 9, 10}, 2*FramedMaxData/4)
	wire := framedStream(t, content)
	empty := frame(t, PDU{Type: Final})
	require.True(t, bytes.HasSuffix(wire, empty))
	var got bytes.Buffer
	n, err := ReceiveContent(NewContentReader(bytes.NewReader(wire), Framed{}), Framed{}, &got, ReceiveOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(len(content)), n)
	assert.True(t, bytes.Equal(content, got.Bytes()))
}

// TestFramedContentCutAfterAHeader: a stream that ends right after a data
// frame's header, before any of its bytes, is an unexpected EOF, through
// ReceiveContent and ReceiveInto.
func TestFramedContentCutAfterAHeader(t *testing.T) {
	content := []byte("hello, world")
	wire := append(frame(t, PDU{Type: Content, Announce: true, Size: int64(len(content)), Sum: sha256.Sum256(content)}),
		frame(t, PDU{Type: Final, Data: content})...)
	cut := wire[:len(wire)-len(content)]
	_, err := ReceiveContent(NewReader(bytes.NewReader(cut)), Framed{}, io.Discard, ReceiveOptions{})
	require.ErrorIs(t, err, ErrIncomplete)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	_, err = ReceiveInto(NewReader(bytes.NewReader(cut)), Framed{}, make([]byte, 64), ReceiveOptions{})
	require.ErrorIs(t, err, ErrIncomplete)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// TestReceiveContentWritesFullChunks: dst is written in full chunks of
// sendBlock bytes and the rest at the end. With Framed, a frame that does
// not fit the chunk's room starts the next chunk: frames of 50,000 bytes
// fill a chunk with five (250,000 bytes).
func TestReceiveContentWritesFullChunks(t *testing.T) {
	content := bytes.Repeat([]byte("abcdefghij"), (2*sendBlock+4321)/10)
	var wire bytes.Buffer
	require.NoError(t, SendContent(&wire, Classic{}, bytes.NewReader(content), int64(len(content)), [32]byte{}))
	var w writeSizes
	_, err := ReceiveContent(NewReader(bytes.NewReader(wire.Bytes())), Classic{}, &w, ReceiveOptions{})
	require.NoError(t, err)
	assert.Equal(t, []int{sendBlock, sendBlock, len(content) - 2*sendBlock}, w.sizes)

	const frameLen = 50000
	content = bytes.Repeat([]byte("z"), 7*frameLen+123)
	stream := frame(t, PDU{Type: Content, Announce: true, Size: int64(len(content)), Sum: sha256.Sum256(content)})
	for i := range 7 {
		stream = append(stream, frame(t, PDU{Type: Content, Data: content[i*frameLen : (i+1)*frameLen]})...)
	}
	stream = append(stream, frame(t, PDU{Type: Final, Data: content[7*frameLen:]})...)
	w = writeSizes{}
	n, err := ReceiveContent(NewContentReader(bytes.NewReader(stream), Framed{}), Framed{}, &w, ReceiveOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(len(content)), n)
	assert.Equal(t, []int{5 * frameLen, 2*frameLen + 123}, w.sizes)
	assert.True(t, bytes.Equal(content, w.buf.Bytes()))
}

// TestReceiveContentFullFramesFillChunksExactly: Framed frames of 64 KiB
// fill a chunk exactly (four of them), so dst sees whole chunks.
func TestReceiveContentFullFramesFillChunksExactly(t *testing.T) {
	content := bytes.Repeat([]byte("q"), 2*sendBlock+10)
	wire := framedStream(t, content)
	var w writeSizes
	_, err := ReceiveContent(NewContentReader(bytes.NewReader(wire), Framed{}), Framed{}, &w, ReceiveOptions{})
	require.NoError(t, err)
	assert.Equal(t, []int{sendBlock, sendBlock, 10}, w.sizes)
}
