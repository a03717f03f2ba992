package pdu

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClassicOverlongFrameOnAStream: an F or E frame with more bytes than
// its layout holds before the end of the stream is rejected, through
// ReadPDU and through ReceiveContent, never cut short.
func TestClassicOverlongFrameOnAStream(t *testing.T) {
	cases := []struct {
		name string
		typ  byte
		n    int // data bytes before EOF
		err  string
	}{
		{"F of 99", 'F', 99, ""},
		{"F of 100", 'F', 100, "pdu: F PDU: too long: 100 data bytes, an F frame holds 0 to 99"},
		{"F of 101", 'F', 101, "pdu: F PDU: too long: more than 100 data bytes before the end of the stream"},
		{"E of 100", 'E', 100, ""},
		{"E of 101", 'E', 101, "pdu: E PDU: too long: more than 100 data bytes before the end of the stream"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			frame := append([]byte{tc.typ}, bytes.Repeat([]byte("d"), tc.n)...)
			var p PDU
			err := Classic{}.ReadPDU(NewReader(iotestOneByte(frame)), Reply, &p)
			if tc.err == "" {
				require.NoError(t, err)
				assert.Equal(t, Type(tc.typ), p.Type)
				assert.Len(t, p.Data, map[byte]int{'F': tc.n, 'E': 0}[tc.typ])
				if tc.typ == 'E' {
					assert.Len(t, p.Text, tc.n)
				}
			} else {
				require.ErrorIs(t, err, ErrTooLong)
				assert.EqualError(t, err, tc.err)
			}

			// The same frame after a full C frame, as content.
			stream := append(append([]byte{'C'}, hundred...), frame...)
			var got bytes.Buffer
			n, err := ReceiveContent(NewReader(bytes.NewReader(stream)), Classic{}, &got, ReceiveOptions{})
			switch {
			case tc.err != "":
				require.ErrorIs(t, err, ErrTooLong)
				assert.EqualError(t, err, tc.err)
			case tc.typ == 'E':
				var remote *RemoteError
				require.ErrorAs(t, err, &remote)
				assert.Equal(t, strings.Repeat("d", tc.n), remote.Text)
			default:
				require.NoError(t, err)
				assert.Equal(t, int64(100+tc.n), n)
			}
		})
	}
}

// TestEncodeAtEachLimit: each bound accepts its limit and refuses one more.
func TestEncodeAtEachLimit(t *testing.T) {
	names := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = strings.Repeat("n", 1+i%9)
		}
		return out
	}
	cases := []struct {
		name     string
		c        Codec
		at, over PDU
		err      string
	}{
		{"classic name", Classic{},
			PDU{Type: Deregister, Peer: strings.Repeat("p", 10), Content: "c"},
			PDU{Type: Deregister, Peer: strings.Repeat("p", 11), Content: "c"},
			"pdu: T PDU: bad name: peer name longer than 10 bytes"},
		{"classic E text", Classic{},
			PDU{Type: Error, Text: strings.Repeat("e", 100)},
			PDU{Type: Error, Text: strings.Repeat("e", 101)},
			"pdu: E PDU: too long: text of 101 bytes, at most 100"},
		{"classic A text", Classic{},
			PDU{Type: Ack, Text: strings.Repeat("a", 100)},
			PDU{Type: Ack, Text: strings.Repeat("a", 101)},
			"pdu: A PDU: too long: text of 101 bytes, at most 100"},
		{"classic F", Classic{},
			PDU{Type: Final, Data: make([]byte, 99)},
			PDU{Type: Final, Data: make([]byte, 100)},
			"pdu: F PDU: too long: 100 data bytes, an F frame holds 0 to 99"},
		{"classic O names", Classic{},
			PDU{Type: List, Reply: true, Names: names(10)},
			PDU{Type: List, Reply: true, Names: names(11)},
			"pdu: O PDU: too long: 11 names, at most 10 per PDU"},
		{"framed name", Framed{},
			PDU{Type: Deregister, Peer: strings.Repeat("p", 255), Content: "c"},
			PDU{Type: Deregister, Peer: strings.Repeat("p", 256), Content: "c"},
			"pdu: T PDU: bad name: peer name longer than 255 bytes"},
		{"framed E text", Framed{},
			PDU{Type: Error, Text: strings.Repeat("e", FramedMaxText)},
			PDU{Type: Error, Text: strings.Repeat("e", FramedMaxText+1)},
			"pdu: E PDU: too long: text of 1025 bytes, at most 1024"},
		{"framed F", Framed{},
			PDU{Type: Final, Data: make([]byte, FramedMaxData)},
			PDU{Type: Final, Data: make([]byte, FramedMaxData+1)},
			"pdu: F PDU: too long: 65537 data bytes, at most 65536"},
		{"framed C", Framed{},
			PDU{Type: Content, Data: make([]byte, FramedMaxData)},
			PDU{Type: Content, Data: make([]byte, FramedMaxData+1)},
			"pdu: C PDU: too long: 65537 data bytes, at most 65536"},
		{"framed O names", Framed{},
			PDU{Type: List, Reply: true, Names: names(FramedMaxNames)},
			PDU{Type: List, Reply: true, Names: names(FramedMaxNames + 1)},
			"pdu: O PDU: too long: 101 names, at most 100 per PDU"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.c.Append(nil, &tc.at)
			require.NoError(t, err)
			var back PDU
			require.NoError(t, tc.c.Decode(b, Reply, &back))
			require.NoError(t, tc.c.ReadPDU(NewReader(bytes.NewReader(b)), Reply, new(PDU)))
			_, err = tc.c.Append(nil, &tc.over)
			assert.EqualError(t, err, tc.err)
		})
	}
}

// TestFramedDecodeAtPayloadLimit: a payload of exactly its type's bound
// decodes; one byte more is refused before it is read.
func TestFramedDecodeAtPayloadLimit(t *testing.T) {
	at := binary.AppendUvarint([]byte{'E'}, FramedMaxText)
	at = append(at, bytes.Repeat([]byte("e"), FramedMaxText)...)
	var p PDU
	require.NoError(t, Framed{}.Decode(at, Reply, &p))
	require.NoError(t, Framed{}.ReadPDU(NewReader(bytes.NewReader(at)), Reply, &p))
	over := binary.AppendUvarint([]byte{'E'}, FramedMaxText+1)
	over = append(over, bytes.Repeat([]byte("e"), FramedMaxText+1)...)
	assert.EqualError(t, Framed{}.Decode(over, Reply, &p), "pdu: E PDU: too long: payload of 1025 bytes, at most 1024")
	assert.EqualError(t, Framed{}.ReadPDU(NewReader(bytes.NewReader(over)), Reply, &p), "pdu: E PDU: too long: payload of 1025 bytes, at most 1024")

	// A data frame announced at exactly FramedMaxData is read by header
	// and data; one byte more is refused by its header.
	f := binary.AppendUvarint([]byte{'F'}, FramedMaxData)
	f = append(f, make([]byte, FramedMaxData)...)
	n, err := ReceiveContent(NewContentReader(bytes.NewReader(append(announce(t, FramedMaxData), f...)), Framed{}), Framed{}, new(bytes.Buffer), ReceiveOptions{})
	require.ErrorIs(t, err, ErrVerify, "the SHA-256 of the test's announcement is zero")
	assert.Equal(t, int64(FramedMaxData), n)
	f = binary.AppendUvarint([]byte{'F'}, FramedMaxData+1)
	f = append(f, make([]byte, FramedMaxData+1)...)
	_, err = ReceiveContent(NewContentReader(bytes.NewReader(append(announce(t, FramedMaxData+1), f...)), Framed{}), Framed{}, new(bytes.Buffer), ReceiveOptions{})
	assert.EqualError(t, err, "pdu: F PDU: too long: payload of 65537 bytes, at most 65536")
}

func announce(t *testing.T, size int64) []byte {
	t.Helper()
	b, err := Framed{}.Append(nil, &PDU{Type: Content, Announce: true, Size: size})
	require.NoError(t, err)
	return b
}

// TestFramedSizeAtVarintBoundaries: announced sizes whose uvarint changes
// length (127/128, 16383/16384) frame and read back exactly.
func TestFramedSizeAtVarintBoundaries(t *testing.T) {
	for _, size := range []int64{0, 127, 128, 16383, 16384, 1<<21 - 1, 1 << 21} {
		p := PDU{Type: Content, Announce: true, Size: size, Sum: sha256.Sum256(nil)}
		b, err := Framed{}.Append(nil, &p)
		require.NoError(t, err)
		var back PDU
		require.NoError(t, Framed{}.Decode(b, Reply, &back), "size %d", size)
		assert.Equal(t, size, back.Size)
		// type, payload length (1 byte), flags, uvarint size, 32-byte sum
		assert.Len(t, b, 1+1+1+uvarintLen(uint64(size))+32, "size %d", size)
		assert.Equal(t, len(binary.AppendUvarint(nil, uint64(size))), uvarintLen(uint64(size)), "size %d", size)
	}
	// A 128-byte F frame has a two-byte length: 0x80 0x01.
	b, err := Framed{}.Append(nil, &PDU{Type: Final, Data: make([]byte, 128)})
	require.NoError(t, err)
	assert.Equal(t, []byte{'F', 0x80, 0x01}, b[:3])
	var p PDU
	require.NoError(t, Framed{}.ReadPDU(NewReader(bytes.NewReader(b)), Reply, &p))
	assert.Len(t, p.Data, 128)
	// And a 128-byte content sent whole arrives whole.
	content := bytes.Repeat([]byte("8"), 128)
	var wire, got bytes.Buffer
	require.NoError(t, SendContent(&wire, Framed{}, bytes.NewReader(content), 128, sha256.Sum256(content)))
	n, err := ReceiveContent(NewContentReader(&wire, Framed{}), Framed{}, &got, ReceiveOptions{})
	require.NoError(t, err)
	assert.Equal(t, int64(128), n)
	assert.Equal(t, content, got.Bytes())
}

// TestReceiveLimit: the limit accepts content of exactly its size.
func TestReceiveLimit(t *testing.T) {
	content := bytes.Repeat([]byte("L"), 1000)
	for _, c := range []Codec{Classic{}, Framed{}} {
		for _, limit := range []int64{1000, 999} {
			var wire bytes.Buffer
			require.NoError(t, SendContent(&wire, c, bytes.NewReader(content), 1000, sha256.Sum256(content)))
			n, err := ReceiveContent(NewReader(&wire), c, new(bytes.Buffer), ReceiveOptions{Limit: limit})
			if limit == 1000 {
				require.NoError(t, err, c.Name())
				assert.Equal(t, int64(1000), n)
				continue
			}
			require.ErrorIs(t, err, ErrTooLarge, c.Name())
			assert.LessOrEqual(t, n, limit, "nothing beyond the limit is written")
		}
	}
	// OnFrame's error ends the transfer.
	var wire bytes.Buffer
	require.NoError(t, SendContent(&wire, Framed{}, bytes.NewReader(content), 1000, sha256.Sum256(content)))
	stop := assert.AnError
	_, err := ReceiveContent(NewReader(&wire), Framed{}, new(bytes.Buffer), ReceiveOptions{OnFrame: func(*PDU) error { return stop }})
	require.ErrorIs(t, err, stop)
}
