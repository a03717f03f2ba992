package mlcluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"

	"github.com/netlab-go/netlab/internal/floatwire"
)

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
// matches the sentinel the coordinator's error matched ([ErrNoWorkers], ...).
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
