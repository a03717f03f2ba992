package pdu

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContentTransferSizes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []Codec{Classic{}, Framed{}} {
		for _, size := range []int{0, 1, 99, 100, 101, 250, FramedMaxData, FramedMaxData + 1, 3*sendBlock + 7} {
			content := make([]byte, size)
			for i := range content {
				content[i] = byte(rng.Uint32())
			}
			var wire bytes.Buffer
			require.NoError(t, SendContent(&wire, c, bytes.NewReader(content), int64(size), sha256.Sum256(content)))
			if c.Name() == "classic" {
				// 101-byte C frames, then F with the 0-99 remaining bytes.
				assert.Equal(t, size/100*101+1+size%100, wire.Len(), "size %d", size)
				assert.Equal(t, byte('F'), wire.Bytes()[size/100*101])
			}
			var got bytes.Buffer
			n, err := ReceiveContent(NewReader(&wire), c, &got, ReceiveOptions{})
			require.NoError(t, err, "%s size %d", c.Name(), size)
			assert.Equal(t, int64(size), n)
			assert.True(t, bytes.Equal(content, got.Bytes()), "%s size %d", c.Name(), size)
		}
	}
}

func TestContentTransferFailures(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789"), 50)
	sum := sha256.Sum256(content)
	for _, c := range []Codec{Classic{}, Framed{}} {
		var wire bytes.Buffer
		require.NoError(t, SendContent(&wire, c, bytes.NewReader(content), int64(len(content)), sum))
		full := wire.Bytes()

		// Cut anywhere before the end: never a silent success.
		for _, cut := range []int{0, 1, 101, 202, len(full) - 1} {
			_, err := ReceiveContent(NewReader(bytes.NewReader(full[:cut])), c, new(bytes.Buffer), ReceiveOptions{})
			require.ErrorIs(t, err, ErrIncomplete, "%s cut at %d", c.Name(), cut)
		}

		// An E in place of content is the server's refusal.
		e, err := c.Append(nil, &PDU{Type: Error, Text: "content not registered here"})
		require.NoError(t, err)
		_, err = ReceiveContent(NewReader(bytes.NewReader(e)), c, new(bytes.Buffer), ReceiveOptions{})
		var remote *RemoteError
		require.ErrorAs(t, err, &remote)
		assert.Equal(t, "content not registered here", remote.Text)
	}

	// Framed verifies the SHA-256 and the size.
	var wire bytes.Buffer
	require.NoError(t, SendContent(&wire, Framed{}, bytes.NewReader(content), int64(len(content)), [32]byte{1}))
	_, err := ReceiveContent(NewReader(&wire), Framed{}, new(bytes.Buffer), ReceiveOptions{})
	require.ErrorIs(t, err, ErrVerify)

	wire.Reset()
	require.NoError(t, SendContent(&wire, Framed{}, bytes.NewReader(content), int64(len(content)), sum))
	b := wire.Bytes()
	b[len(b)-1] ^= 1 // flip a content bit
	_, err = ReceiveContent(NewReader(bytes.NewReader(b)), Framed{}, new(bytes.Buffer), ReceiveOptions{})
	require.ErrorIs(t, err, ErrVerify)

	// The source shorter than the announced size is an error on the sender.
	err = SendContent(new(bytes.Buffer), Classic{}, bytes.NewReader(content[:10]), 500, sum)
	require.Error(t, err)
}

// TestContentFramedDirectPaths: the Framed frames SendContent builds by
// reading data straight after each header are byte for byte Append's, and
// ReceiveContent reads them back, header first and data straight into its
// chunks, through both a small NewContentReader and a NewReader.
func TestContentFramedDirectPaths(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, size := range []int{0, 1, FramedMaxData - 1, FramedMaxData, FramedMaxData + 1, sendBlock, 3*FramedMaxData + 5} {
		content := make([]byte, size)
		for i := range content {
			content[i] = byte(rng.Uint32())
		}
		sum := sha256.Sum256(content)
		var fast bytes.Buffer
		require.NoError(t, SendContent(&fast, Framed{}, bytes.NewReader(content), int64(size), sum))

		// The wire is exactly Append of the announcement, of the full C
		// frames, then of F.
		want, err := Framed{}.Append(nil, &PDU{Type: Content, Announce: true, Size: int64(size), Sum: sum})
		require.NoError(t, err)
		rest := content
		for len(rest) >= FramedMaxData {
			want, err = Framed{}.Append(want, &PDU{Type: Content, Data: rest[:FramedMaxData]})
			require.NoError(t, err)
			rest = rest[FramedMaxData:]
		}
		want, err = Framed{}.Append(want, &PDU{Type: Final, Data: rest})
		require.NoError(t, err)
		require.True(t, bytes.Equal(want, fast.Bytes()), "size %d: not the Append layout", size)

		for _, r := range []*bufio.Reader{NewContentReader(bytes.NewReader(want), Framed{}), NewReader(bytes.NewReader(want))} {
			var got bytes.Buffer
			frames := 0
			n, err := ReceiveContent(r, Framed{}, &got, ReceiveOptions{OnFrame: func(p *PDU) error { frames++; return nil }})
			require.NoError(t, err, "size %d", size)
			assert.Equal(t, int64(size), n)
			assert.Equal(t, 2+size/FramedMaxData, frames)
			assert.True(t, bytes.Equal(content, got.Bytes()), "size %d", size)
		}
	}
	// The source ending early is an error.
	err := SendContent(new(bytes.Buffer), Framed{}, bytes.NewReader(make([]byte, 10)), FramedMaxData+5, [32]byte{})
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

// TestReceiveContentStreamedChecks: the Framed frames ReceiveContent reads
// header first obey the same rules as those decoded whole.
func TestReceiveContentStreamedChecks(t *testing.T) {
	content := bytes.Repeat([]byte("abcdefgh"), 1000)
	sum := sha256.Sum256(content)
	f := Framed{}
	frame := func(b []byte, p PDU) []byte {
		out, err := f.Append(b, &p)
		require.NoError(t, err)
		return out
	}
	receive := func(wire []byte) ([]byte, []PDU, error) {
		var got bytes.Buffer
		var seen []PDU
		_, err := ReceiveContent(NewContentReader(bytes.NewReader(wire), f), f, &got, ReceiveOptions{OnFrame: func(p *PDU) error {
			q := *p
			q.Data = bytes.Clone(p.Data)
			seen = append(seen, q)
			return nil
		}})
		return got.Bytes(), seen, err
	}

	// An announcement that carries data, then odd-sized frames.
	wire := frame(nil, PDU{Type: Content, Announce: true, Size: int64(len(content)), Sum: sum, Data: content[:1000]})
	wire = frame(wire, PDU{Type: Content, Data: content[1000:4321]})
	wire = frame(wire, PDU{Type: Final, Data: content[4321:]})
	got, seen, err := receive(wire)
	require.NoError(t, err)
	assert.Equal(t, content, got)
	require.Len(t, seen, 3)
	assert.True(t, seen[0].Announce)
	assert.Equal(t, content[1000:4321], seen[1].Data)
	assert.Equal(t, content[4321:], seen[2].Data)

	// No announcement first.
	_, _, err = receive(frame(nil, PDU{Type: Final, Data: content}))
	require.ErrorIs(t, err, ErrMalformed)

	// A second announcement.
	wire = frame(nil, PDU{Type: Content, Announce: true, Size: int64(len(content)), Sum: sum})
	wire = frame(wire, PDU{Type: Content, Announce: true, Size: int64(len(content)), Sum: sum})
	_, _, err = receive(wire)
	require.ErrorIs(t, err, ErrMalformed)

	// More data than announced is refused before it is written.
	wire = frame(nil, PDU{Type: Content, Announce: true, Size: 10, Sum: sum})
	wire = frame(wire, PDU{Type: Final, Data: content[:11]})
	got, _, err = receive(wire)
	require.ErrorIs(t, err, ErrVerify)
	assert.Empty(t, got)

	// A payload length beyond the bound, and unknown flags.
	_, _, err = receive(append([]byte{'F'}, binaryUvarint(FramedMaxData+1)...))
	require.ErrorIs(t, err, ErrTooLong)
	_, _, err = receive([]byte{'C', 1, 0x80})
	require.ErrorIs(t, err, ErrMalformed)

	// Cut inside a header, inside the announcement and inside the data.
	wire = frame(nil, PDU{Type: Content, Announce: true, Size: int64(len(content)), Sum: sum})
	wire = frame(wire, PDU{Type: Final, Data: content})
	for _, cut := range []int{1, 3, 20, len(wire) - len(content) + 1, len(wire) - 1} {
		_, _, err = receive(wire[:cut])
		require.ErrorIs(t, err, ErrIncomplete, "cut at %d", cut)
	}
}

func binaryUvarint(v uint64) []byte { return binary.AppendUvarint(nil, v) }
