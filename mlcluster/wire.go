package mlcluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"slices"
	"sort"

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

// stepMsg asks a worker to map a step on some of its shards.
type stepMsg struct {
	Job    uint64
	Req    uint64
	Algo   string
	Step   Step
	Shards []int
}

func (m stepMsg) encode() []byte {
	var e enc
	e.u64(m.Job)
	e.u64(m.Req)
	e.str(m.Algo)
	e.str(m.Step.Kind)
	e.f64s(m.Step.Data)
	e.u32(uint32(len(m.Shards)))
	for _, s := range m.Shards {
		e.u32(uint32(s))
	}
	return e
}

func decodeStep(b []byte) (stepMsg, error) {
	d := &dec{b: b}
	var m stepMsg
	m.Job, m.Req = d.u64("step job"), d.u64("step request")
	m.Algo, m.Step.Kind = d.str("step algorithm"), d.str("step kind")
	m.Step.Data = d.f64s("step data")
	n := d.count(4, "step shards")
	m.Shards = make([]int, n)
	for i := range m.Shards {
		m.Shards[i] = int(d.u32("step shard"))
	}
	return m, d.done("step")
}

// replyMsg is a worker's answer to a stepMsg: one partial per shard asked.
type replyMsg struct {
	Req    uint64
	Err    string
	Shards []int
	Parts  []Partial
}

func (m replyMsg) encode() []byte {
	size := 8 + 4 + len(m.Err) + 4
	for _, p := range m.Parts {
		size += 4 + 4 + 8*len(p.Sums) + 4 + 4 + tableSize(p.Rows.Data)
	}
	e := make(enc, 0, size) // labels make replies large: grow once
	e.u64(m.Req)
	e.str(m.Err)
	e.u32(uint32(len(m.Parts)))
	for i, p := range m.Parts {
		e.u32(uint32(m.Shards[i]))
		e.f64s(p.Sums)
		e.u32(uint32(p.Rows.Rows))
		e.u32(uint32(p.Rows.Cols))
		e.table(p.Rows.Data)
	}
	return e
}

func decodeReply(b []byte) (replyMsg, error) {
	d := &dec{b: b}
	var m replyMsg
	m.Req, m.Err = d.u64("reply request"), d.str("reply error")
	n := d.count(20, "reply parts")
	for range n {
		shard := int(d.u32("reply shard"))
		sums := d.f64s("reply sums")
		rows, cols := d.u32("reply rows"), d.u32("reply cols")
		data := d.table("reply row data")
		if d.err == nil && uint64(rows)*uint64(cols) != uint64(len(data)) {
			return m, fmt.Errorf("%w: reply table %dx%d carries %d values", ErrProtocol, rows, cols, len(data))
		}
		m.Shards = append(m.Shards, shard)
		m.Parts = append(m.Parts, Partial{Sums: sums, Rows: Matrix{Rows: int(rows), Cols: int(cols), Data: data}})
	}
	return m, d.done("reply")
}

// submitMsg opens a job: the algorithm, the data's name and the parameters.
type submitMsg struct {
	Algo   string
	Name   string
	Params Params
}

func (m submitMsg) encode() []byte {
	var e enc
	e.str(m.Algo)
	e.str(m.Name)
	e.u32(uint32(len(m.Params)))
	for _, k := range sortedKeys(m.Params) {
		e.str(k)
		e.str(m.Params[k])
	}
	return e
}

func decodeSubmit(b []byte) (submitMsg, error) {
	d := &dec{b: b}
	m := submitMsg{Algo: d.str("submit algorithm"), Name: d.str("submit name"), Params: Params{}}
	n := d.count(8, "submit parameters")
	for range n {
		k := d.str("parameter name")
		m.Params[k] = d.str("parameter value")
	}
	return m, d.done("submit")
}

func encodeProgress(p Progress) []byte {
	var e enc
	e.str(p.Step)
	e.u32(uint32(p.Iteration))
	e.u32(uint32(p.MaxIter))
	e.f64(p.Objective)
	return e
}

func decodeProgress(b []byte) (Progress, error) {
	d := &dec{b: b}
	p := Progress{Step: d.str("progress step"), Iteration: int(d.u32("progress iteration")),
		MaxIter: int(d.u32("progress limit")), Objective: d.f64("progress objective")}
	return p, d.done("progress")
}

func encodeResult(r *Result) []byte {
	size := 64 + len(r.Algorithm)
	for _, h := range r.Header {
		size += 4 + len(h)
	}
	for name, t := range r.Tables {
		size += 4 + len(name) + 8 + tableSize(t.Data)
	}
	e := make(enc, 0, size) // per-row tables make results large: grow once
	e.str(r.Algorithm)
	e.u64(uint64(r.Rows))
	e.u32(uint32(r.Cols))
	e.u32(uint32(len(r.Header)))
	for _, h := range r.Header {
		e.str(h)
	}
	e.u32(uint32(r.Iterations))
	e.f64(r.Objective)
	e.u32(uint32(r.Shards))
	e.u32(uint32(r.Workers))
	e.u32(uint32(len(r.Tables)))
	for _, name := range r.TableNames() {
		t := r.Tables[name]
		e.str(name)
		e.u32(uint32(t.Rows))
		e.u32(uint32(t.Cols))
		e.table(t.Data)
	}
	return e
}

func decodeResult(b []byte) (*Result, error) {
	d := &dec{b: b}
	r := &Result{Algorithm: d.str("result algorithm"), Tables: map[string]Matrix{}}
	r.Rows, r.Cols = int(min(d.u64("result rows"), math.MaxInt32)), int(d.u32("result cols"))
	nh := d.count(4, "result header")
	for range nh {
		r.Header = append(r.Header, d.str("result header"))
	}
	r.Iterations, r.Objective = int(d.u32("result iterations")), d.f64("result objective")
	r.Shards, r.Workers = int(d.u32("result shards")), int(d.u32("result workers"))
	nt := d.count(16, "result tables")
	for range nt {
		name := d.str("table name")
		rows, cols := d.u32("table rows"), d.u32("table cols")
		data := d.table("table data")
		if d.err == nil && uint64(rows)*uint64(cols) != uint64(len(data)) {
			return nil, fmt.Errorf("%w: result table %q %dx%d carries %d values", ErrProtocol, name, rows, cols, len(data))
		}
		r.Tables[name] = Matrix{Rows: int(rows), Cols: int(cols), Data: data}
	}
	if err := d.done("result"); err != nil {
		return nil, err
	}
	return r, nil
}

// Error codes carried by an error frame, so a client can rebuild the
// sentinel.
var errorCodes = []error{nil, ErrNoWorkers, ErrUnknownAlgorithm, ErrBadParams, ErrBadInput, ErrProtocol}

func encodeError(err error) []byte {
	var e enc
	code := byte(0)
	for i, s := range errorCodes {
		if s != nil && errors.Is(err, s) {
			code = byte(i)
			break
		}
	}
	e.u8(code)
	e.str(err.Error())
	return e
}

// RemoteError is an error the coordinator reported to a client. errors.Is
// matches the sentinel the coordinator's error matched (ErrNoWorkers, ...).
type RemoteError struct {
	Msg  string
	code byte
}

// Error returns the coordinator's message.
func (e *RemoteError) Error() string { return e.Msg }

// Is reports whether the remote error matched target on the coordinator.
func (e *RemoteError) Is(target error) bool {
	return int(e.code) < len(errorCodes) && e.code != 0 && errorCodes[e.code] == target
}

func decodeError(b []byte) (*RemoteError, error) {
	d := &dec{b: b}
	e := &RemoteError{code: d.u8("error code"), Msg: d.str("error message")}
	return e, d.done("error")
}

// protocolVersion is the version of this wire format, carried in every
// hello frame. A change that an older peer would misread takes a new
// version; the coordinator refuses a hello of any other version with an
// error frame that names both.
const protocolVersion = 1

func encodeHello(role byte, name string) []byte {
	var e enc
	e.u8(role)
	e.u8(protocolVersion)
	e.str(name)
	return e
}

func decodeHello(b []byte) (byte, string, error) {
	d := &dec{b: b}
	role, version, name := d.u8("hello role"), d.u8("hello version"), d.str("hello name")
	if err := d.done("hello"); err != nil {
		return 0, "", err
	}
	if version != protocolVersion {
		return 0, "", fmt.Errorf("%w: hello in protocol version %d; this side speaks version %d", ErrProtocol, version, protocolVersion)
	}
	if role != roleWorker && role != roleClient {
		return 0, "", fmt.Errorf("%w: hello with unknown role %d", ErrProtocol, role)
	}
	return role, name, nil
}

func encodeRows(cols int, values []float64) []byte { return appendRows(nil, cols, values) }

// appendRows appends a rows payload to b.
func appendRows(b []byte, cols int, values []float64) []byte {
	e := enc(b)
	e.u32(uint32(cols))
	e.f64s(values)
	return e
}

// writeRowsFrame writes a rows frame straight from values: on
// little-endian machines the numbers go from their own memory to w with no
// encoding copy (w is buffered; large writes pass through).
func writeRowsFrame(w io.Writer, cols int, values []float64) error {
	if !floatwire.Native() {
		return writeFrame(w, fRows, appendRows(nil, cols, values))
	}
	var h [frameHeader + 8]byte
	h[0] = fRows
	binary.BigEndian.PutUint32(h[1:], uint32(8+8*len(values)))
	binary.LittleEndian.PutUint32(h[5:], uint32(cols))
	binary.LittleEndian.PutUint32(h[9:], uint32(len(values)))
	if _, err := w.Write(h[:]); err != nil {
		return err
	}
	_, err := w.Write(floatwire.Bytes(values))
	return err
}

func encodeShape(rows, cols int) []byte {
	var e enc
	e.u64(uint64(rows))
	e.u32(uint32(cols))
	return e
}

// decodeShape reads a shape frame; the caller checks the size against its
// own limit.
func decodeShape(b []byte) (rows, cols int, err error) {
	d := &dec{b: b}
	r, c := d.u64("shape rows"), d.u32("shape columns")
	if err := d.done("shape"); err != nil {
		return 0, 0, err
	}
	if r == 0 || r > 1<<40 || c == 0 || c > 1<<16 {
		return 0, 0, fmt.Errorf("%w: a dataset of %d rows of %d columns", ErrProtocol, r, c)
	}
	return int(r), int(c), nil
}

func decodeRows(b []byte) (int, []float64, error) {
	d := &dec{b: b}
	cols := int(d.u32("rows columns"))
	vals := d.f64s("rows values")
	if err := d.done("rows"); err != nil {
		return 0, nil, err
	}
	if cols == 0 || cols > 1<<16 || len(vals)%cols != 0 {
		return 0, nil, fmt.Errorf("%w: %d values do not make rows of %d columns", ErrProtocol, len(vals), cols)
	}
	return cols, vals, nil
}

func sortedKeys(p Params) []string {
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
