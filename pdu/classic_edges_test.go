package pdu

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// holdersOf returns holders whose records "peer|c|10.0.0.1:5000;" take
// exactly n bytes together (n >= 22).
func holdersOf(t *testing.T, n int) []Holder {
	t.Helper()
	addr := netip.MustParseAddrPort("10.0.0.1:5000")
	rec := func(peer string) int { return len(peer) + len("|c|") + len(addr.String()) + len(";") }
	var hs []Holder
	for n-rec("p") >= rec("p") {
		hs = append(hs, Holder{Peer: "p", Content: "c", Addr: addr})
		n -= rec("p")
	}
	last := strings.Repeat("q", n-rec(""))
	require.Equal(t, n, rec(last))
	return append(hs, Holder{Peer: last, Content: "c", Addr: addr})
}

// TestClassicListRecordsAtTheLimit: O records of exactly 100 bytes encode
// (after other bytes already in the buffer, too) and decode to the same
// holders; 101 bytes are refused with their true length.
func TestClassicListRecordsAtTheLimit(t *testing.T) {
	prefix := []byte("earlier frames")
	at := PDU{Type: List, Reply: true, Holders: holdersOf(t, ClassicMaxData)}
	b, err := Classic{}.Append(append([]byte(nil), prefix...), &at)
	require.NoError(t, err)
	require.Equal(t, string(prefix), string(b[:len(prefix)]))
	frame := b[len(prefix):]
	assert.Len(t, frame, 1+ClassicMaxData)
	var got PDU
	require.NoError(t, Classic{}.Decode(frame, Reply, &got))
	assert.Equal(t, at.Holders, got.Holders)

	over := PDU{Type: List, Reply: true, Holders: holdersOf(t, ClassicMaxData+1)}
	b, err = Classic{}.Append(append([]byte(nil), prefix...), &over)
	require.ErrorIs(t, err, ErrTooLong)
	assert.EqualError(t, err, "pdu: O PDU: too long: records of 101 bytes, at most 100")
	assert.Equal(t, string(prefix), string(b), "nothing of the refused PDU is left in the buffer")
}

// TestClassicTextAtTheLimit: an E or A text of exactly 100 bytes encodes
// and decodes whole; 101 bytes are refused.
func TestClassicTextAtTheLimit(t *testing.T) {
	for _, typ := range []Type{Error, Ack} {
		text := strings.Repeat("t", ClassicMaxData)
		b, err := Classic{}.Append(nil, &PDU{Type: typ, Text: text})
		require.NoError(t, err, "%c", rune(typ))
		assert.Equal(t, string(typ)+text, string(b))
		var got PDU
		require.NoError(t, Classic{}.Decode(b, Reply, &got))
		assert.Equal(t, text, got.Text)

		_, err = Classic{}.Append(nil, &PDU{Type: typ, Text: text + "t"})
		require.ErrorIs(t, err, ErrTooLong)
		assert.EqualError(t, err, "pdu: "+string(typ)+" PDU: too long: text of 101 bytes, at most 100")
	}
}

// TestClassicAckTextThatFitsAName: an A whose text fits a name field (up to
// 10 bytes) also carries it as Peer; 11 bytes are a sentence only.
func TestClassicAckTextThatFitsAName(t *testing.T) {
	var p PDU
	require.NoError(t, Classic{}.Decode([]byte("Aabcdefghij"), Reply, &p))
	assert.Equal(t, "abcdefghij", p.Text)
	assert.Equal(t, "abcdefghij", p.Peer)

	p = PDU{}
	require.NoError(t, Classic{}.Decode([]byte("Aabcdefghijk"), Reply, &p))
	assert.Equal(t, "abcdefghijk", p.Text)
	assert.Empty(t, p.Peer)
}
