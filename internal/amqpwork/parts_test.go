package amqpwork

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitAndAssembleRoundTrip(t *testing.T) {
	for _, c := range []struct{ size, limit, parts int }{
		{0, 64, 1}, {2, 1, 2}, {3, 2, 2}, {64, 64, 1}, {65, 64, 2}, {128, 64, 2}, {129, 64, 3}, {1000, 64, 16}, {1 << 16, 1000, 66},
	} {
		body := make([]byte, c.size)
		for i := range body {
			body[i] = byte(i*31 + i/7)
		}
		parts, headers := split(body, c.limit)
		require.Len(t, parts, c.parts, "%+v", c)
		a := newAssembler()
		// Deliver backwards, with a repeat, as a redelivery could.
		var got []byte
		for k := len(parts) - 1; k >= 0; k-- {
			require.LessOrEqual(t, len(parts[k]), c.limit)
			out, done, err := a.add("id", headers[k], parts[k])
			require.NoError(t, err)
			if k == len(parts)-1 && len(parts) > 1 {
				_, again, err := a.add("id", headers[k], parts[k])
				require.NoError(t, err)
				require.False(t, again)
			}
			if done {
				require.Zero(t, k, "done before the last part")
				got = out
			}
		}
		require.Equal(t, body, got, "%+v", c)
		assert.Empty(t, a.pending)
	}
}

func TestAssemblerRejectsInconsistentParts(t *testing.T) {
	part := func(i, n, size int64) amqp.Table { return amqp.Table{hPart: i, hParts: n, hSize: size} }
	for name, c := range map[string]struct {
		h   amqp.Table
		len int
	}{
		"incomplete":     {amqp.Table{hPart: int64(0)}, 3},
		"one part":       {part(0, 1, 3), 3},
		"index too big":  {part(2, 2, 4), 2},
		"negative index": {part(-1, 2, 4), 2},
		"too many parts": {part(0, maxParts+1, 1<<30), 1},
		"size < parts":   {part(0, 4, 3), 1},
		"empty last":     {part(0, 3, 4), 2},
		"wrong length":   {part(0, 2, 4), 3},
		"not a number":   {amqp.Table{hPart: "0", hParts: int64(2), hSize: int64(4)}, 2},
		"huge uint":      {amqp.Table{hPart: uint64(1 << 63), hParts: int64(2), hSize: int64(4)}, 2},
	} {
		_, _, err := newAssembler().add("k", c.h, make([]byte, c.len))
		assert.Error(t, err, name)
	}
	a := newAssembler()
	_, done, err := a.add("k", part(0, 2, 4), []byte("ab"))
	require.NoError(t, err)
	require.False(t, done)
	_, _, err = a.add("k", part(1, 3, 6), []byte("cd"))
	assert.ErrorContains(t, err, "earlier parts said 2 of 4")
	assert.Empty(t, a.pending, "a contradiction drops what was held")
}

func TestIntHeaderTypes(t *testing.T) {
	for _, v := range []any{int8(5), uint8(5), int16(5), uint16(5), int32(5), uint32(5), 5, int64(5), uint64(5)} {
		got, ok, err := intHeader(amqp.Table{"x": v}, "x")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, int64(5), got, "%T", v)
	}
	_, ok, err := intHeader(amqp.Table{}, "x")
	require.NoError(t, err)
	require.False(t, ok)
}

// FuzzAssembler feeds the assembler parts whose headers and bodies come
// from the fuzzer, as a hostile or broken peer on the broker could send
// them: it must never panic, never hold more bytes than it was given, and
// whatever it returns as whole must have the length its headers promised.
func FuzzAssembler(f *testing.F) {
	seed := func(parts ...[4]int64) []byte {
		var b []byte
		for _, p := range parts {
			for _, v := range p {
				b = binary.AppendVarint(b, v)
			}
		}
		return b
	}
	f.Add(seed([4]int64{0, 2, 10, 5}, [4]int64{1, 2, 10, 5}))
	f.Add(seed([4]int64{1, 3, 7, 2}, [4]int64{0, 3, 7, 3}, [4]int64{2, 3, 7, 1}, [4]int64{2, 3, 7, 1}))
	f.Add(seed([4]int64{-1, -1, -1, 3}))
	f.Add(seed([4]int64{0, 1 << 40, 1 << 50, 1}))
	f.Fuzz(func(t *testing.T, data []byte) {
		a := newAssembler()
		given := 0
		r := bytes.NewReader(data)
		for r.Len() > 0 {
			var v [4]int64
			for i := range v {
				x, err := binary.ReadVarint(r)
				if err != nil {
					return
				}
				v[i] = x
			}
			bodyLen := int(uint64(v[3]) % 4096)
			h := amqp.Table{}
			// The low bits of the body length choose which headers are
			// present and their types, as a foreign sender might.
			if v[3]&0x1000 == 0 {
				h[hPart] = v[0]
			}
			if v[3]&0x2000 == 0 {
				h[hParts] = int32(v[1])
			}
			if v[3]&0x4000 == 0 {
				h[hSize] = v[2]
			}
			given += bodyLen
			whole, done, err := a.add("k", h, make([]byte, bodyLen))
			if err != nil {
				continue
			}
			held := 0
			for _, p := range a.pending {
				held += p.bytes
			}
			if held > given {
				t.Fatalf("assembler holds %d bytes, was given %d", held, given)
			}
			if done {
				if size, ok, _ := intHeader(h, hSize); ok && int64(len(whole)) != size {
					t.Fatalf("assembled %d bytes, headers said %d", len(whole), size)
				}
			}
		}
	})
}

// FuzzDeadLetterError explains dead letters whose headers come from the
// fuzzer (any client on the broker can publish to the dead-letter
// exchange): no panic, a delivery count within bounds, and an error text
// that names the task.
func FuzzDeadLetterError(f *testing.F) {
	f.Add("t1", "boom", "delivery_limit", int64(3), int64(5), uint8(0))
	f.Add("", "", "", int64(-1), int64(1<<40), uint8(7))
	f.Fuzz(func(t *testing.T, id, text, reason string, deliveries, maxDeliveries int64, present uint8) {
		h := amqp.Table{}
		if present&1 != 0 {
			h[hError] = text
		}
		if present&2 != 0 {
			h[xFirstReason] = reason
		}
		if present&4 != 0 {
			h[hDeliveries] = deliveries
		}
		if present&8 != 0 {
			h[hMaxDeliveries] = int32(maxDeliveries)
		}
		e := deadLetterError("job", amqp.Delivery{CorrelationId: id, Headers: h})
		if e.Deliveries < 0 || e.Deliveries > 1<<20 {
			t.Fatalf("deliveries %d out of bounds", e.Deliveries)
		}
		if e.Reason == "" {
			t.Fatal("no reason")
		}
		if !strings.Contains(e.Error(), fmt.Sprintf("%q", id)) {
			t.Fatalf("%q does not name task %q", e.Error(), id)
		}
	})
}
