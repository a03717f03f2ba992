package pdu

import (
	"bytes"
	"crypto/sha256"
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
			n, err := ReceiveContent(NewReader(&wire), c, &got, nil)
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
			_, err := ReceiveContent(NewReader(bytes.NewReader(full[:cut])), c, new(bytes.Buffer), nil)
			require.ErrorIs(t, err, ErrIncomplete, "%s cut at %d", c.Name(), cut)
		}

		// An E in place of content is the server's refusal.
		e, err := c.Append(nil, &PDU{Type: Error, Text: "content not registered here"})
		require.NoError(t, err)
		_, err = ReceiveContent(NewReader(bytes.NewReader(e)), c, new(bytes.Buffer), nil)
		var remote *RemoteError
		require.ErrorAs(t, err, &remote)
		assert.Equal(t, "content not registered here", remote.Text)
	}

	// Framed verifies the SHA-256 and the size.
	var wire bytes.Buffer
	require.NoError(t, SendContent(&wire, Framed{}, bytes.NewReader(content), int64(len(content)), [32]byte{1}))
	_, err := ReceiveContent(NewReader(&wire), Framed{}, new(bytes.Buffer), nil)
	require.ErrorIs(t, err, ErrVerify)

	wire.Reset()
	require.NoError(t, SendContent(&wire, Framed{}, bytes.NewReader(content), int64(len(content)), sum))
	b := wire.Bytes()
	b[len(b)-1] ^= 1 // flip a content bit
	_, err = ReceiveContent(NewReader(bytes.NewReader(b)), Framed{}, new(bytes.Buffer), nil)
	require.ErrorIs(t, err, ErrVerify)

	// The source shorter than the announced size is an error on the sender.
	err = SendContent(new(bytes.Buffer), Classic{}, bytes.NewReader(content[:10]), 500, sum)
	require.Error(t, err)
}
