package amqpwork

import (
	"errors"
	"fmt"
	"math"

	amqp "github.com/rabbitmq/amqp091-go"
)

// minPartSize is the smallest MaxMessageSize accepted: below it the part
// headers would outweigh the parts.
const minPartSize = 64

// maxParts bounds the parts of one body read from the wire, and so the
// bookkeeping an assembler does for a message it has not seen whole.
const maxParts = 1 << 20

// split cuts body into parts no longer than limit, of near-equal length.
// A body within the limit is one part with no part headers; the headers of
// a split body say each part's index, the number of parts and the whole
// length, so that the receiver can check what it puts together.
func split(body []byte, limit int) (parts [][]byte, headers []amqp.Table) {
	if len(body) <= limit {
		return [][]byte{body}, []amqp.Table{nil}
	}
	n := (len(body) + limit - 1) / limit
	chunk := (len(body) + n - 1) / n
	for i := 0; i < n; i++ {
		end := min(len(body), (i+1)*chunk)
		parts = append(parts, body[i*chunk:end])
		headers = append(headers, amqp.Table{
			hPart: int64(i), hParts: int64(n), hSize: int64(len(body)),
		})
	}
	return parts, headers
}

// partInfo is what a part's headers say about it.
type partInfo struct {
	index, parts, size int
}

// chunk is the length of every part but possibly the last.
func (p partInfo) chunk() int { return (p.size + p.parts - 1) / p.parts }

// wantLen is the length part index must have.
func (p partInfo) wantLen() int {
	c := p.chunk()
	return min(c, p.size-p.index*c)
}

// intHeader reads an integer header of any of the integer types AMQP
// tables carry; ok is false when the header is absent.
func intHeader(t amqp.Table, key string) (v int64, ok bool, err error) {
	raw, present := t[key]
	if !present {
		return 0, false, nil
	}
	switch x := raw.(type) {
	case int8:
		return int64(x), true, nil
	case uint8:
		return int64(x), true, nil
	case int16:
		return int64(x), true, nil
	case uint16:
		return int64(x), true, nil
	case int32:
		return int64(x), true, nil
	case uint32:
		return int64(x), true, nil
	case int:
		return int64(x), true, nil
	case int64:
		return x, true, nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, true, fmt.Errorf("header %s = %d is out of range", key, x)
		}
		return int64(x), true, nil
	}
	return 0, true, fmt.Errorf("header %s is %T, not an integer", key, raw)
}

// stringHeader reads a string header; a missing or non-string one is "".
func stringHeader(t amqp.Table, key string) string {
	s, _ := t[key].(string)
	return s
}

// readPart decodes and checks the part headers of a message with a body of
// bodyLen bytes. whole is true for a message that was not split.
func readPart(t amqp.Table, bodyLen int) (p partInfo, whole bool, err error) {
	idx, hasIdx, err1 := intHeader(t, hPart)
	n, hasN, err2 := intHeader(t, hParts)
	size, hasSize, err3 := intHeader(t, hSize)
	if err := errors.Join(err1, err2, err3); err != nil {
		return p, false, err
	}
	if !hasIdx && !hasN && !hasSize {
		return partInfo{}, true, nil
	}
	switch {
	case !hasIdx || !hasN || !hasSize:
		return p, false, errors.New("part headers incomplete: need part, parts and size")
	case n < 2 || n > maxParts:
		return p, false, fmt.Errorf("part count %d is outside [2, %d]", n, maxParts)
	case size < n || size > math.MaxInt32*int64(maxParts):
		return p, false, fmt.Errorf("size %d does not fit %d parts", size, n)
	case idx < 0 || idx >= n:
		return p, false, fmt.Errorf("part %d of %d", idx, n)
	}
	p = partInfo{index: int(idx), parts: int(n), size: int(size)}
	if p.chunk()*(p.parts-1) >= p.size {
		return p, false, fmt.Errorf("size %d cannot be cut into %d non-empty parts", size, n)
	}
	if want := p.wantLen(); bodyLen != want {
		return p, false, fmt.Errorf("part %d of %d is %d bytes, want %d", idx, n, bodyLen, want)
	}
	return p, false, nil
}

// assembler puts split bodies together, by message key (a task ID or a
// request's correlation ID). Memory grows with the bytes received, never
// with what a header claims.
type assembler struct {
	pending map[string]*partial
}

type partial struct {
	info  partInfo
	got   map[int][]byte
	bytes int
}

func newAssembler() *assembler { return &assembler{pending: map[string]*partial{}} }

// add takes one message for key. It returns the whole body once every part
// has arrived (at once for an unsplit body), or done=false while parts are
// missing. A part that repeats one already held is ignored (a redelivery);
// a part that contradicts the others is an error and drops what was held.
func (a *assembler) add(key string, headers amqp.Table, body []byte) (whole []byte, done bool, err error) {
	p, unsplit, err := readPart(headers, len(body))
	if err != nil {
		delete(a.pending, key)
		return nil, false, fmt.Errorf("amqpwork: message %q: %w", key, err)
	}
	if unsplit {
		return body, true, nil
	}
	cur := a.pending[key]
	if cur == nil {
		cur = &partial{info: partInfo{parts: p.parts, size: p.size}, got: map[int][]byte{}}
		a.pending[key] = cur
	}
	if cur.info.parts != p.parts || cur.info.size != p.size {
		delete(a.pending, key)
		return nil, false, fmt.Errorf("amqpwork: message %q: part %d says %d parts of %d bytes, earlier parts said %d of %d",
			key, p.index, p.parts, p.size, cur.info.parts, cur.info.size)
	}
	if _, dup := cur.got[p.index]; dup {
		return nil, false, nil
	}
	cur.got[p.index] = body
	cur.bytes += len(body)
	if len(cur.got) < p.parts {
		return nil, false, nil
	}
	delete(a.pending, key)
	out := make([]byte, 0, cur.bytes)
	for i := 0; i < p.parts; i++ {
		out = append(out, cur.got[i]...)
	}
	return out, true, nil
}

// forget drops the parts held for key.
func (a *assembler) forget(key string) { delete(a.pending, key) }
