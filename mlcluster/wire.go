package mlcluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"slices"

	"github.com/netlab-go/netlab/internal/floatwire"
)

// Frame format, on every connection (worker and client alike):
//
//	+------+-----------+------------------+
//	| type | length    | payload          |
//	| u8   | u32 (BE)  | length bytes     |
//	+------+-----------+------------------+
//
// The length is checked against the reader's limit before anything is
// allocated, and even an allowed length is allocated as the bytes arrive
// (1 MiB first, then doubling, so a peer must send half of what it makes us
// hold, and the bytes already read are copied at most once on average), so
// a peer that claims a huge frame and sends nothing costs nothing.
const (
	fHello    byte = 1  // role u8, version u8, name str
	fLoad     byte = 2  // a shard chunk (see shard.go)
	fStep     byte = 3  // stepMsg
	fReply    byte = 4  // replyMsg
	fDrop     byte = 5  // job u64: forget the job's shards
	fSubmit   byte = 10 // submitMsg
	fText     byte = 11 // raw dataset text
	fRows     byte = 12 // cols u32, values f64s: dataset rows already parsed
	fEnd      byte = 13 // end of the dataset
	fProgress byte = 14 // progressMsg
	fResult   byte = 15 // a Result
	fError    byte = 16 // code u8, message str
	fShape    byte = 17 // rows u64, cols u32: the shape of the rows frames that follow
)

// Roles in the hello frame.
const (
	roleWorker byte = 1
	roleClient byte = 2
)

// DefaultMaxFrame is the default bound on a frame's payload.
const DefaultMaxFrame = 256 << 20

const frameHeader = 5

// firstFrameStep is how much of a frame's payload is allocated before any
// of it arrives.
const firstFrameStep = 1 << 20

// writeFrame writes one frame.
func writeFrame(w io.Writer, typ byte, payload []byte) error {
	var h [frameHeader]byte
	h[0] = typ
	binary.BigEndian.PutUint32(h[1:], uint32(len(payload)))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err := w.Write(payload)
	return err
}

// writeFrameParts writes one frame whose payload is the parts in order, in
// a single writev when w is a network connection.
func writeFrameParts(w io.Writer, typ byte, parts ...[]byte) error {
	if len(parts) == 1 {
		return writeFrame(w, typ, parts[0])
	}
	var h [frameHeader]byte
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	h[0] = typ
	binary.BigEndian.PutUint32(h[1:], uint32(n))
	bufs := append(net.Buffers{h[:]}, parts...)
	_, err := bufs.WriteTo(w)
	return err
}

// readFrame reads one frame whose payload is at most limit bytes.
func readFrame(r io.Reader, limit int) (byte, []byte, error) {
	return readFrameReuse(r, limit, nil)
}

// readFrameReuse is readFrame for a loop that is done with each payload
// before it reads the next frame: the payload lands in *scratch when it
// fits, and a larger buffer, once filled by the peer, is kept there for the
// next frames. That saves an allocation (and its page faults) per frame of
// bulk data. A nil scratch allocates every time.
func readFrameReuse(r io.Reader, limit int, scratch *[]byte) (byte, []byte, error) {
	typ, n, err := readFrameHeader(r, limit)
	if err != nil {
		return 0, nil, err
	}
	return readPayload(r, typ, n, scratch)
}

// readFrameHeader reads a frame's type and payload length, checked against
// limit; the caller reads the payload.
func readFrameHeader(r io.Reader, limit int) (byte, uint32, error) {
	var h [frameHeader]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, 0, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if uint64(n) > uint64(limit) {
		return 0, 0, fmt.Errorf("%w: frame type %d of %d bytes exceeds the limit of %d", ErrProtocol, h[0], n, limit)
	}
	return h[0], n, nil
}

// readPayload reads a payload of n bytes (already checked against the
// limit) as readFrameReuse does.
func readPayload(r io.Reader, typ byte, n uint32, scratch *[]byte) (byte, []byte, error) {
	if scratch != nil && cap(*scratch) >= int(n) {
		buf := (*scratch)[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return 0, nil, unexpected(err)
		}
		return typ, buf, nil
	}
	buf := make([]byte, 0, min(int(n), firstFrameStep))
	for len(buf) < int(n) {
		if len(buf) == cap(buf) { // all received so far: double, never past n
			buf = slices.Grow(buf, min(int(n)-len(buf), len(buf)))
		}
		chunk := min(int(n), cap(buf)) - len(buf)
		if _, err := io.ReadFull(r, buf[len(buf):len(buf)+chunk]); err != nil {
			return 0, nil, unexpected(err)
		}
		buf = buf[:len(buf)+chunk]
	}
	if scratch != nil {
		*scratch = buf
	}
	return typ, buf, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// enc appends little-endian values to a payload.
type enc []byte

func (e *enc) u8(v byte)    { *e = append(*e, v) }
func (e *enc) u32(v uint32) { *e = binary.LittleEndian.AppendUint32(*e, v) }
func (e *enc) u64(v uint64) { *e = binary.LittleEndian.AppendUint64(*e, v) }
func (e *enc) f64(v float64) {
	*e = binary.LittleEndian.AppendUint64(*e, math.Float64bits(v))
}
func (e *enc) str(s string) { e.u32(uint32(len(s))); *e = append(*e, s...) }
func (e *enc) f64s(v []float64) {
	e.u32(uint32(len(v)))
	*e = floatwire.Append(*e, v)
}

// Per-row tables (k-means labels above all) are mostly small integers, and
// the labels of a million rows would be 8 MB as float64. A table's numbers
// therefore travel in the smallest exact form, always the same for the same
// numbers (decoders reject any other, so every message has one encoding):
//
//	form u8: 0 = float64, 1 = integers 0..255 as u8, 2 = integers 0..65535 as u16
//	count u32, then count values in that form (little-endian)
const (
	tableF64 byte = iota
	tableU8
	tableU16
)

// tableForm is the form (u8, u16 or float64) that holds every value of v
// exactly, bit for bit (-0 and NaN stay float64). An empty table is float64.
func tableForm(v []float64) byte {
	if len(v) == 0 {
		return tableF64
	}
	var most uint64
	for _, x := range v {
		if !(x >= 0 && x <= 65535) {
			return tableF64
		}
		u := uint64(x)
		if math.Float64bits(float64(u)) != math.Float64bits(x) {
			return tableF64
		}
		most |= u
	}
	if most < 256 {
		return tableU8
	}
	return tableU16
}

// tableSize is the encoded size of v as a table.
func tableSize(v []float64) int {
	return 1 + 4 + len(v)*[]int{8, 1, 2}[tableForm(v)]
}

// table appends v in its table form.
func (e *enc) table(v []float64) {
	form := tableForm(v)
	e.u8(form)
	switch form {
	case tableU8:
		e.u32(uint32(len(v)))
		n := len(*e)
		*e = slices.Grow(*e, len(v))[:n+len(v)]
		out := (*e)[n:]
		for i, x := range v {
			out[i] = byte(x)
		}
	case tableU16:
		e.u32(uint32(len(v)))
		n := len(*e)
		*e = slices.Grow(*e, 2*len(v))[:n+2*len(v)]
		out := (*e)[n:]
		for i, x := range v {
			binary.LittleEndian.PutUint16(out[2*i:], uint16(x))
		}
	default:
		e.f64s(v)
	}
}

// table reads a table written by enc.table, rejecting a form other than
// the one the encoder would choose.
func (d *dec) table(what string) []float64 {
	form := d.u8(what)
	var out []float64
	switch form {
	case tableF64:
		out = d.f64s(what)
	case tableU8, tableU16:
		size := int(form) // bytes per value
		n := d.count(size, what)
		b := d.take(size*n, what)
		if d.err != nil {
			return nil
		}
		out = make([]float64, n)
		for i := range out {
			if form == tableU8 {
				out[i] = float64(b[i])
			} else {
				out[i] = float64(binary.LittleEndian.Uint16(b[2*i:]))
			}
		}
	default:
		d.fail(what)
		return nil
	}
	if d.err == nil && tableForm(out) != form {
		d.err = fmt.Errorf("%w: %s in form %d where the encoder uses form %d", ErrProtocol, what, form, tableForm(out))
		return nil
	}
	return out
}

// dec reads a payload; the first problem sticks in err and every later read
// returns zero values. Every count is checked against the bytes left before
// anything is allocated.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated or malformed %s", ErrProtocol, what)
	}
}

func (d *dec) take(n int, what string) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		d.fail(what)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) u8(what string) byte {
	if b := d.take(1, what); b != nil {
		return b[0]
	}
	return 0
}

func (d *dec) u32(what string) uint32 {
	if b := d.take(4, what); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *dec) u64(what string) uint64 {
	if b := d.take(8, what); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *dec) f64(what string) float64 { return math.Float64frombits(d.u64(what)) }

func (d *dec) str(what string) string {
	n := d.u32(what)
	return string(d.take(int(min(n, math.MaxInt32)), what))
}

func (d *dec) f64s(what string) []float64 {
	n := d.u32(what)
	if d.err != nil || uint64(n)*8 > uint64(len(d.b)) {
		d.fail(what)
		return nil
	}
	out := make([]float64, n)
	floatwire.Decode(out, d.b)
	d.b = d.b[8*int(n):]
	return out
}

// count reads a count of items of at least minSize bytes each, bounded by
// the bytes left.
func (d *dec) count(minSize int, what string) int {
	n := d.u32(what)
	if d.err != nil || uint64(n)*uint64(minSize) > uint64(len(d.b)) {
		d.fail(what)
		return 0
	}
	return int(n)
}

// done reports an error unless the payload was consumed exactly.
func (d *dec) done(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d stray bytes after %s", ErrProtocol, len(d.b), what)
	}
	return d.err
}
