package pdu

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClassicReadPDUNeedsItsLayout: on a stream, each type waits for the
// bytes its layout needs (R 26, T 20, S reply 6, S and D requests 10) and a
// stream that ends one byte short is truncated with that count, an
// unexpected EOF.
func TestClassicReadPDUNeedsItsLayout(t *testing.T) {
	for _, tc := range []struct {
		typ  Type
		dir  Direction
		need int
	}{
		{Register, Request, 26},
		{Deregister, Request, 20},
		{Search, Reply, 6},
		{Search, Request, 10},
		{Download, Request, 10},
	} {
		frame := append([]byte{byte(tc.typ)}, bytes.Repeat([]byte("a"), tc.need-1)...)
		var p PDU
		err := Classic{}.ReadPDU(NewReader(bytes.NewReader(frame)), tc.dir, &p)
		require.ErrorIs(t, err, ErrTruncated, "%c %v", rune(tc.typ), tc.dir)
		require.ErrorIs(t, err, io.ErrUnexpectedEOF)
		assert.EqualError(t, err, fmt.Sprintf("pdu: %c PDU: truncated: %d data bytes, want at least %d: unexpected EOF",
			rune(tc.typ), tc.need-1, tc.need))
	}
}
