package pdu

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// framedStream returns content sent by SendContent with the Framed codec.
func framedStream(t *testing.T, content []byte) []byte {
	t.Helper()
	var wire bytes.Buffer
	require.NoError(t, SendContent(&wire, Framed{}, bytes.NewReader(content), int64(len(content)), sha256.Sum256(content)))
	return wire.Bytes()
}

// frame encodes one PDU with the Framed codec.
func frame(t *testing.T, p PDU) []byte {
	t.Helper()
	b, err := Framed{}.Append(nil, &p)
	require.NoError(t, err)
	return b
}

// TestReceiveInto: the content lands in buf whole, frame by frame, with the
// returned slice exactly the announced size, and each way a stream can be
// wrong is refused with its own error.
func TestReceiveInto(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789abcdef"), (2*FramedMaxData+100)/16) // two full frames and a part
	wire := framedStream(t, content)

	t.Run("whole", func(t *testing.T) {
		buf := make([]byte, len(content)+7)
		var headers []PDU
		got, err := ReceiveInto(NewContentReader(bytes.NewReader(wire), Framed{}), Framed{}, buf, ReceiveOptions{
			OnFrame: func(p *PDU) error { headers = append(headers, *p); return nil },
		})
		require.NoError(t, err)
		assert.Equal(t, content, got)
		assert.Len(t, got, len(content))
		// The announcement, two full C frames, and F with the rest; each
		// header seen before its data (Data nil).
		require.Len(t, headers, 4)
		assert.True(t, headers[0].Announce)
		assert.Equal(t, int64(len(content)), headers[0].Size)
		assert.Equal(t, sha256.Sum256(content), headers[0].Sum)
		for i, want := range []Type{Content, Content, Content, Final} {
			assert.Equal(t, want, headers[i].Type)
			assert.Nil(t, headers[i].Data)
		}
	})
	t.Run("one byte at a time", func(t *testing.T) {
		buf := make([]byte, len(content))
		got, err := ReceiveInto(NewContentReader(iotest.OneByteReader(bytes.NewReader(wire)), Framed{}), Framed{}, buf, ReceiveOptions{})
		require.NoError(t, err)
		assert.Equal(t, content, got)
	})
	t.Run("buffer one byte short", func(t *testing.T) {
		_, err := ReceiveInto(NewReader(bytes.NewReader(wire)), Framed{}, make([]byte, len(content)-1), ReceiveOptions{})
		require.ErrorIs(t, err, ErrTooLarge)
		assert.EqualError(t, err, "pdu: content larger than the limit: 131168 bytes announced, room for 131167")
	})
	t.Run("limit exactly the size", func(t *testing.T) {
		got, err := ReceiveInto(NewReader(bytes.NewReader(wire)), Framed{}, make([]byte, len(content)), ReceiveOptions{Limit: int64(len(content))})
		require.NoError(t, err)
		assert.Equal(t, content, got)
	})
	t.Run("limit one byte under", func(t *testing.T) {
		_, err := ReceiveInto(NewReader(bytes.NewReader(wire)), Framed{}, make([]byte, len(content)), ReceiveOptions{Limit: int64(len(content)) - 1})
		require.ErrorIs(t, err, ErrTooLarge)
	})
	t.Run("OnFrame stops it", func(t *testing.T) {
		stop := errors.New("stop")
		frames := 0
		_, err := ReceiveInto(NewReader(bytes.NewReader(wire)), Framed{}, make([]byte, len(content)), ReceiveOptions{
			OnFrame: func(*PDU) error {
				if frames++; frames == 2 {
					return stop
				}
				return nil
			},
		})
		assert.Same(t, stop, err)
		assert.Equal(t, 2, frames)
	})
	t.Run("E reply", func(t *testing.T) {
		_, err := ReceiveInto(NewReader(bytes.NewReader(frame(t, PDU{Type: Error, Text: "no such content"}))), Framed{}, make([]byte, 10), ReceiveOptions{})
		var remote *RemoteError
		require.ErrorAs(t, err, &remote)
		assert.Equal(t, "no such content", remote.Text)
		assert.EqualError(t, err, "pdu: server replied E: no such content")
	})
	t.Run("other PDU", func(t *testing.T) {
		_, err := ReceiveInto(NewReader(bytes.NewReader(frame(t, PDU{Type: Ack, Text: "ok"}))), Framed{}, make([]byte, 10), ReceiveOptions{})
		require.ErrorIs(t, err, ErrMalformed)
		assert.EqualError(t, err, "pdu: A PDU in a content stream: malformed")
	})
	t.Run("empty stream", func(t *testing.T) {
		_, err := ReceiveInto(NewReader(bytes.NewReader(nil)), Framed{}, make([]byte, 10), ReceiveOptions{})
		require.ErrorIs(t, err, ErrIncomplete)
		assert.EqualError(t, err, "pdu: content ended before the F frame (after 0 bytes)")
	})
	t.Run("cut inside data", func(t *testing.T) {
		_, err := ReceiveInto(NewReader(bytes.NewReader(wire[:len(wire)-10])), Framed{}, make([]byte, len(content)), ReceiveOptions{})
		require.ErrorIs(t, err, ErrIncomplete)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.Contains(t, err.Error(), "(after 131072 bytes)")
	})
	t.Run("cut after a frame", func(t *testing.T) {
		// The stream ends cleanly after the first C frame: no F.
		first := append(frame(t, PDU{Type: Content, Announce: true, Size: int64(len(content)), Sum: sha256.Sum256(content)}),
			frame(t, PDU{Type: Content, Data: content[:FramedMaxData]})...)
		require.Equal(t, first, wire[:len(first)])
		_, err := ReceiveInto(NewReader(bytes.NewReader(first)), Framed{}, make([]byte, len(content)), ReceiveOptions{})
		require.ErrorIs(t, err, ErrIncomplete)
		assert.EqualError(t, err, "pdu: content ended before the F frame (after 65536 bytes)")
	})
	t.Run("final before the announced size", func(t *testing.T) {
		data := []byte("hello")
		stream := append(frame(t, PDU{Type: Content, Announce: true, Size: 6, Sum: sha256.Sum256(append(data, '!'))}),
			frame(t, PDU{Type: Final, Data: data})...)
		_, err := ReceiveInto(NewReader(bytes.NewReader(stream)), Framed{}, make([]byte, 10), ReceiveOptions{})
		require.ErrorIs(t, err, ErrVerify)
		assert.EqualError(t, err, "pdu: content does not match its announcement: 5 bytes, announced 6")
	})
	t.Run("wrong sum", func(t *testing.T) {
		data := []byte("hello")
		stream := append(frame(t, PDU{Type: Content, Announce: true, Size: 5, Sum: sha256.Sum256([]byte("hellO"))}),
			frame(t, PDU{Type: Final, Data: data})...)
		_, err := ReceiveInto(NewReader(bytes.NewReader(stream)), Framed{}, make([]byte, 10), ReceiveOptions{})
		require.ErrorIs(t, err, ErrVerify)
		assert.EqualError(t, err, "pdu: content does not match its announcement: SHA-256 differs")
	})
	t.Run("right sum, data in the announcing frame", func(t *testing.T) {
		data := []byte("hello")
		stream := append(frame(t, PDU{Type: Content, Announce: true, Size: 5, Sum: sha256.Sum256(data), Data: data[:2]}),
			frame(t, PDU{Type: Final, Data: data[2:]})...)
		got, err := ReceiveInto(NewReader(bytes.NewReader(stream)), Framed{}, make([]byte, 10), ReceiveOptions{})
		require.NoError(t, err)
		assert.Equal(t, "hello", string(got))
	})
	t.Run("no announcement", func(t *testing.T) {
		stream := frame(t, PDU{Type: Final, Data: []byte("x")})
		_, err := ReceiveInto(NewReader(bytes.NewReader(stream)), Framed{}, make([]byte, 10), ReceiveOptions{})
		require.ErrorIs(t, err, ErrMalformed)
	})
	t.Run("a codec that does not announce", func(t *testing.T) {
		_, err := ReceiveInto(NewReader(bytes.NewReader(nil)), Classic{}, make([]byte, 10), ReceiveOptions{})
		assert.EqualError(t, err, "pdu: ReceiveInto needs a codec that announces, not classic")
	})
}

// TestChunkSizeFor: the default chunk size holds up to MaxChunks chunks;
// one byte more doubles it; it never passes MaxChunkSize.
func TestChunkSizeFor(t *testing.T) {
	cases := []struct {
		size int64
		want int
	}{
		{0, DefaultChunkSize},
		{1, DefaultChunkSize},
		{MaxChunks * DefaultChunkSize, DefaultChunkSize},
		{MaxChunks*DefaultChunkSize + 1, 2 * DefaultChunkSize},
		{2 * MaxChunks * DefaultChunkSize, 2 * DefaultChunkSize},
		{2*MaxChunks*DefaultChunkSize + 1, 4 * DefaultChunkSize},
		{MaxChunks * MaxChunkSize, MaxChunkSize},
		{MaxChunks*MaxChunkSize + 1, MaxChunkSize},
		{1 << 62, MaxChunkSize},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, ChunkSizeFor(tc.size), "size %d", tc.size)
	}
}

// TestDirectionString names both directions.
func TestDirectionString(t *testing.T) {
	assert.Equal(t, "request", Request.String())
	assert.Equal(t, "reply", Reply.String())
}

// TestFramedTruncatedAddress: an address cut short says how many bytes its
// family needs and how many came.
func TestFramedTruncatedAddress(t *testing.T) {
	// An S reply: one address, family byte, then too few bytes.
	for _, tc := range []struct {
		payload []byte
		err     string
	}{
		{[]byte{4, 10, 0, 0}, "pdu: S PDU: truncated: IPv4 address and port need 6 bytes, 3 present"},
		{[]byte{4}, "pdu: S PDU: truncated: IPv4 address and port need 6 bytes, 0 present"},
		{append([]byte{6}, make([]byte, 17)...), "pdu: S PDU: truncated: IPv6 address and port need 18 bytes, 17 present"},
		{[]byte{4, 10, 0, 0, 1, 0}, "pdu: S PDU: truncated: IPv4 address and port need 6 bytes, 5 present"},
		{[]byte{}, "pdu: S PDU: truncated: address family missing"},
		{[]byte{6, 0, 0, 0, 0, 0}, "pdu: S PDU: truncated: IPv6 address and port need 18 bytes, 5 present"},
	} {
		b := append([]byte{'S', byte(len(tc.payload))}, tc.payload...)
		var p PDU
		err := Framed{}.Decode(b, Reply, &p)
		require.ErrorIs(t, err, ErrTruncated)
		assert.EqualError(t, err, tc.err)
	}
}

// TestFramedStreamCutInLength: a stream that ends after a type byte, in
// the payload length, is truncated (an unexpected EOF), not a clean end.
func TestFramedStreamCutInLength(t *testing.T) {
	var p PDU
	err := Framed{}.ReadPDU(NewReader(bytes.NewReader([]byte{'A'})), Reply, &p)
	require.ErrorIs(t, err, ErrTruncated)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
	err = Framed{}.ReadPDU(NewReader(bytes.NewReader([]byte{'A', 0x80})), Reply, &p)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// TestReceiveContentClassicCallbacksAndWriteErrors: with Classic (no data
// headers), OnFrame's error ends the transfer, and an error of the
// destination writer is returned once a chunk is handed to it.
func TestReceiveContentClassicCallbacksAndWriteErrors(t *testing.T) {
	content := bytes.Repeat([]byte("z"), 3*sendBlock+50)
	var wire bytes.Buffer
	require.NoError(t, SendContent(&wire, Classic{}, bytes.NewReader(content), int64(len(content)), [32]byte{}))

	stop := errors.New("stop")
	frames := 0
	n, err := ReceiveContent(NewReader(bytes.NewReader(wire.Bytes())), Classic{}, io.Discard, ReceiveOptions{
		OnFrame: func(*PDU) error {
			if frames++; frames == 3 {
				return stop
			}
			return nil
		},
	})
	assert.Same(t, stop, err)
	assert.Equal(t, int64(2*ClassicMaxData), n)

	broken := errors.New("disk full")
	_, err = ReceiveContent(NewReader(bytes.NewReader(wire.Bytes())), Classic{}, failWriter{broken}, ReceiveOptions{})
	assert.Same(t, broken, err)

	var got bytes.Buffer
	n, err = ReceiveContent(NewReader(bytes.NewReader(wire.Bytes())), Classic{}, &got, ReceiveOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(len(content)), n)
	assert.Equal(t, content, got.Bytes())
}

type failWriter struct{ err error }

func (w failWriter) Write([]byte) (int, error) { return 0, w.err }
