package mlcluster

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"reflect"
	"slices"
	"testing"

	"github.com/netlab-go/netlab/internal/floatwire"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitRowsKeepsEveryRow(t *testing.T) {
	for n := 0; n < 60; n++ {
		for m := 1; m < 12; m++ {
			sizes := SplitRows(n, m)
			assert.Len(t, sizes, min(n, m))
			total := 0
			for _, s := range sizes {
				total += s
				assert.LessOrEqual(t, sizes[0]-s, 1, "shards differ by at most one row")
				assert.Positive(t, s)
			}
			assert.Equal(t, n, total, "n=%d m=%d", n, m)
			assert.Equal(t, sizes, SplitRows(n, m), "deterministic")
		}
	}
	assert.Equal(t, []int{4, 3, 3}, SplitRows(10, 3), "the course version dropped the leftover row")
}

func TestSplitShardsCoverOriginalOrder(t *testing.T) {
	ds := &Dataset{Rows: 7, Cols: 2}
	for i := 0; i < 14; i++ {
		ds.Data = append(ds.Data, float64(i))
	}
	var joined []float64
	next := 0
	for i, s := range Split(ds, 3) {
		assert.Equal(t, i, s.ID)
		assert.Equal(t, next, s.Start)
		next += s.Rows
		joined = append(joined, s.Data...)
	}
	assert.Equal(t, ds.Data, joined)
}

func TestShardChunkRoundTripAndSize(t *testing.T) {
	ds := &Dataset{Rows: 1000, Cols: 3, Data: make([]float64, 3000)}
	for i := range ds.Data {
		ds.Data[i] = float64(i) * 0.37
	}
	s := Split(ds, 2)[1]
	b := appendShardChunk(nil, 42, s, 100, 400)
	assert.LessOrEqual(t, float64(len(b)), 1.1*400*3*8)
	c, err := decodeShardChunk(b)
	require.NoError(t, err)
	vals := make([]float64, c.N*c.Cols)
	c.values(vals)
	c.body = nil
	assert.Equal(t, shardChunk{Job: 42, Shard: 1, Start: 500, Rows: 500, Cols: 3, Offset: 100, N: 400}, c)
	assert.Equal(t, s.Data[300:1500], vals)

	_, err = decodeShardChunk(b[:len(b)-1])
	assert.ErrorIs(t, err, ErrProtocol)
	_, err = decodeShardChunk(b[:10])
	assert.ErrorIs(t, err, ErrProtocol)
	bad := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(bad[32:], 450) // rows [100, 550) beyond the shard's 500
	_, err = decodeShardChunk(bad)
	assert.ErrorContains(t, err, "beyond the shard")
}

func TestReadFrameBoundsBeforeAllocating(t *testing.T) {
	var hdr [5]byte
	hdr[0] = fText
	binary.BigEndian.PutUint32(hdr[1:], math.MaxUint32)
	_, _, err := readFrame(bytes.NewReader(hdr[:]), 1<<20)
	assert.ErrorIs(t, err, ErrProtocol)
	assert.ErrorContains(t, err, "exceeds the limit")

	// An allowed but unsent length costs only what arrives.
	binary.BigEndian.PutUint32(hdr[1:], 100<<20)
	allocs := testing.AllocsPerRun(5, func() {
		_, _, err = readFrame(io.MultiReader(bytes.NewReader(hdr[:]), bytes.NewReader([]byte("abc"))), 200<<20)
	})
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Less(t, allocs, 10.0)

	var buf bytes.Buffer
	require.NoError(t, writeFrame(&buf, fEnd, nil))
	require.NoError(t, writeFrame(&buf, fText, bytes.Repeat([]byte("x"), 3<<20)))
	typ, p, err := readFrame(&buf, 4<<20)
	require.NoError(t, err)
	assert.Equal(t, fEnd, typ)
	assert.Empty(t, p)
	typ, p, err = readFrame(&buf, 4<<20)
	require.NoError(t, err)
	assert.Equal(t, fText, typ)
	assert.Len(t, p, 3<<20)
}

func TestMessagesRoundTrip(t *testing.T) {
	st := stepMsg{Job: 7, Req: 9, Algo: "kmeans", Step: Step{Kind: "assign", Data: []float64{1, 2.5}}, Shards: []int{0, 3}}
	gotStep, err := decodeStep(st.encode())
	require.NoError(t, err)
	assert.Equal(t, st, gotStep)

	rp := replyMsg{Req: 9, Shards: []int{0, 3}, Parts: []Partial{
		{Sums: []float64{1}, Rows: Matrix{Rows: 2, Cols: 1, Data: []float64{0, 1}}},
		{Sums: []float64{2, 3}, Rows: Matrix{Data: []float64{}}}}}
	gotReply, err := decodeReply(rp.encode())
	require.NoError(t, err)
	assert.Equal(t, rp, gotReply)

	sub := submitMsg{Algo: "pca", Name: "d.csv", Params: Params{"components": "2", "header": "yes"}}
	gotSub, err := decodeSubmit(sub.encode())
	require.NoError(t, err)
	assert.Equal(t, sub, gotSub)

	pr := Progress{Step: "assign", Iteration: 3, MaxIter: 20, Objective: 1.5}
	gotPr, err := decodeProgress(encodeProgress(pr))
	require.NoError(t, err)
	assert.Equal(t, pr, gotPr)

	res := &Result{Algorithm: "kmeans", Rows: 2, Cols: 1, Header: []string{"x"}, Iterations: 4, Objective: 0.5, Shards: 3, Workers: 2,
		Tables: map[string]Matrix{"labels": {Rows: 2, Cols: 1, Data: []float64{1, 0}}, "inertia": scalar(0.5)}}
	gotRes, err := decodeResult(encodeResult(res))
	require.NoError(t, err)
	assert.Equal(t, res, gotRes)

	re, err := decodeError(encodeError(ErrNoWorkers))
	require.NoError(t, err)
	assert.ErrorIs(t, re, ErrNoWorkers)
	assert.NotErrorIs(t, re, ErrBadInput)
	re, err = decodeError(encodeError(&ParseError{File: "f", Line: 2, Column: 3, Msg: "m"}))
	require.NoError(t, err)
	assert.ErrorIs(t, re, ErrBadInput)
	assert.Equal(t, "mlcluster: f line 2: column 3: m", re.Error())

	role, name, err := decodeHello(encodeHello(roleWorker, "w1"))
	require.NoError(t, err)
	assert.Equal(t, roleWorker, role)
	assert.Equal(t, "w1", name)
	_, _, err = decodeHello(encodeHello(9, "x"))
	assert.ErrorIs(t, err, ErrProtocol)

	cols, vals, err := decodeRows(encodeRows(2, []float64{1, 2, 3, 4}))
	require.NoError(t, err)
	assert.Equal(t, 2, cols)
	assert.Equal(t, []float64{1, 2, 3, 4}, vals)
	_, _, err = decodeRows(encodeRows(3, []float64{1, 2, 3, 4}))
	assert.ErrorIs(t, err, ErrProtocol)
}

func TestDecodersRejectTruncationAndLies(t *testing.T) {
	full := replyMsg{Req: 1, Shards: []int{0}, Parts: []Partial{{Sums: []float64{1, 2}}}}.encode()
	for n := 0; n < len(full); n++ {
		_, err := decodeReply(full[:n])
		assert.ErrorIs(t, err, ErrProtocol, "prefix of %d bytes", n)
	}
	_, err := decodeReply(append(full, 0))
	assert.ErrorContains(t, err, "stray bytes")

	var e enc
	e.u64(1)
	e.u64(2)
	e.str("a")
	e.str("b")
	e.u32(math.MaxUint32) // claims 4 billion floats in a tiny payload
	_, err = decodeStep(e)
	assert.ErrorIs(t, err, ErrProtocol)
}

// FuzzDecoders feeds arbitrary bytes to every decoder of peer input: none may
// panic, and whatever decodes must encode back to the same bytes.
func FuzzDecoders(f *testing.F) {
	f.Add(byte(0), stepMsg{Job: 1, Algo: "kmeans", Step: Step{Kind: "assign", Data: []float64{1}}, Shards: []int{2}}.encode())
	f.Add(byte(1), replyMsg{Req: 1, Shards: []int{0}, Parts: []Partial{{Sums: []float64{1}, Rows: Matrix{Rows: 1, Cols: 1, Data: []float64{3}}}}}.encode())
	f.Add(byte(2), submitMsg{Algo: "stats", Name: "x", Params: Params{"k": "3"}}.encode())
	f.Add(byte(3), encodeProgress(Progress{Step: "s", Iteration: 1}))
	f.Add(byte(4), encodeResult(&Result{Algorithm: "a", Tables: map[string]Matrix{"t": scalar(1)}}))
	f.Add(byte(5), encodeError(ErrBadParams))
	f.Add(byte(6), encodeHello(roleClient, "c"))
	f.Add(byte(7), encodeRows(1, []float64{1, 2}))
	f.Add(byte(8), appendShardChunk(nil, 1, &Shard{ID: 0, Rows: 1, Cols: 2, Data: []float64{1, 2}}, 0, 1))
	f.Add(byte(9), encodeShape(3, 2))
	f.Add(byte(1), replyMsg{Req: 2, Shards: []int{0}, Parts: []Partial{{Rows: Matrix{Rows: 2, Cols: 1, Data: []float64{300, 2}}}}}.encode())
	f.Add(byte(4), encodeResult(&Result{Algorithm: "a", Tables: map[string]Matrix{"t": {Rows: 1, Cols: 2, Data: []float64{0.5, 7}}, "u": vector([]float64{1, 2})}}))
	f.Fuzz(func(t *testing.T, which byte, b []byte) {
		var err error
		var again []byte
		switch which % 10 {
		case 0:
			var m stepMsg
			if m, err = decodeStep(b); err == nil {
				again = m.encode()
			}
		case 1:
			var m replyMsg
			if m, err = decodeReply(b); err == nil {
				again = m.encode()
			}
		case 2:
			// Duplicate parameter names collapse and the encoder sorts them, so
			// the bytes may differ: the decoded message must survive a round trip.
			var m submitMsg
			if m, err = decodeSubmit(b); err == nil {
				back, rerr := decodeSubmit(m.encode())
				if rerr != nil || !reflect.DeepEqual(back, m) {
					t.Fatalf("submit round trip: %v, %+v vs %+v", rerr, back, m)
				}
			}
		case 3:
			var p Progress
			if p, err = decodeProgress(b); err == nil {
				again = encodeProgress(p)
			}
		case 4:
			// Duplicate table names collapse and tables are sorted: compare the
			// decoded result after a round trip, floats by their bits.
			var r *Result
			if r, err = decodeResult(b); err == nil {
				back, rerr := decodeResult(encodeResult(r))
				if rerr != nil || !sameResultBits(back, r) {
					t.Fatalf("result round trip: %v", rerr)
				}
			}
		case 5:
			var re *RemoteError
			if re, err = decodeError(b); err == nil {
				var e enc
				e.u8(re.code)
				e.str(re.Msg)
				again = e
			}
		case 6:
			var role byte
			var name string
			if role, name, err = decodeHello(b); err == nil {
				again = encodeHello(role, name)
			}
		case 7:
			var cols int
			var vals []float64
			if cols, vals, err = decodeRows(b); err == nil {
				again = encodeRows(cols, vals)
			}
		case 8:
			var c shardChunk
			if c, err = decodeShardChunk(b); err == nil && (c.Offset+c.N)*c.Cols < 1<<20 {
				s := &Shard{ID: c.Shard, Start: c.Start, Rows: c.Offset + c.N, Cols: c.Cols,
					Data: make([]float64, (c.Offset+c.N)*c.Cols)}
				c.values(s.Data[c.Offset*c.Cols:])
				again = appendShardChunk(nil, c.Job, s, c.Offset, c.N)
				binary.LittleEndian.PutUint32(again[20:], uint32(c.Rows))
			}
		case 9:
			var rows, cols int
			if rows, cols, err = decodeShape(b); err == nil {
				again = encodeShape(rows, cols)
			}
		}
		if err != nil && !errors.Is(err, ErrProtocol) {
			t.Fatalf("decoder %d: error without ErrProtocol: %v", which%10, err)
		}
		if again != nil && !bytes.Equal(again, b) {
			t.Fatalf("decoder %d: re-encoding differs", which%10)
		}
	})
}

func TestReadFrameReuseKeepsItsBuffer(t *testing.T) {
	var buf bytes.Buffer
	big := bytes.Repeat([]byte("y"), 3<<20)
	require.NoError(t, writeFrame(&buf, fRows, big))
	require.NoError(t, writeFrame(&buf, fRows, []byte("small")))
	require.NoError(t, writeFrame(&buf, fEnd, nil))
	var scratch []byte
	typ, p, err := readFrameReuse(&buf, 4<<20, &scratch)
	require.NoError(t, err)
	assert.Equal(t, fRows, typ)
	assert.Equal(t, big, p)
	assert.GreaterOrEqual(t, cap(scratch), 3<<20, "the grown buffer is kept")
	assert.LessOrEqual(t, cap(scratch), 4<<20, "and never grows past what arrived by more than 1/3")
	first := &scratch[:1][0]
	typ, p, err = readFrameReuse(&buf, 4<<20, &scratch)
	require.NoError(t, err)
	assert.Equal(t, fRows, typ)
	assert.Equal(t, "small", string(p))
	assert.Same(t, first, &p[0], "a frame that fits lands in the kept buffer")
	typ, p, err = readFrameReuse(&buf, 4<<20, &scratch)
	require.NoError(t, err)
	assert.Equal(t, fEnd, typ)
	assert.Empty(t, p)
}

// sameResultBits compares two results, floats by their bits (NaN equals
// NaN, -0 differs from +0).
func sameResultBits(a, b *Result) bool {
	if a.Algorithm != b.Algorithm || a.Rows != b.Rows || a.Cols != b.Cols || a.Iterations != b.Iterations ||
		math.Float64bits(a.Objective) != math.Float64bits(b.Objective) || a.Shards != b.Shards || a.Workers != b.Workers ||
		!slices.Equal(a.Header, b.Header) || len(a.Tables) != len(b.Tables) {
		return false
	}
	for name, t := range a.Tables {
		u, ok := b.Tables[name]
		if !ok || t.Rows != u.Rows || t.Cols != u.Cols || !slicesEqualBits(t.Data, u.Data) {
			return false
		}
	}
	return true
}

// FuzzReadFrame feeds arbitrary streams to the frame reader.
func FuzzReadFrame(f *testing.F) {
	var buf bytes.Buffer
	_ = writeFrame(&buf, fText, []byte("1,2\n"))
	_ = writeFrame(&buf, fEnd, nil)
	f.Add(buf.Bytes())
	f.Add([]byte{fText, 0xff, 0xff, 0xff, 0xff})
	f.Add(append(buf.Bytes(), fRows, 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8, 9, fRows, 0, 0, 0, 2, 7, 7))
	f.Fuzz(func(t *testing.T, b []byte) {
		// The reusing reader must see exactly the frames the plain one sees.
		r, rr := bytes.NewReader(b), bytes.NewReader(b)
		var scratch []byte
		for {
			typ, p, err := readFrame(r, 1<<16)
			rtyp, rp, rerr := readFrameReuse(rr, 1<<16, &scratch)
			if (err == nil) != (rerr == nil) || typ != rtyp || !bytes.Equal(p, rp) {
				t.Fatalf("reusing reader disagrees: %d %x %v vs %d %x %v", typ, p, err, rtyp, rp, rerr)
			}
			if err != nil {
				return
			}
			if len(p) > 1<<16 {
				t.Fatalf("frame of %d bytes passed a limit of %d", len(p), 1<<16)
			}
		}
	})
}

// shapedUpload is the byte stream SubmitDataset sends after the submit
// frame: a shape frame, rows frames, the end frame.
func shapedUpload(rows, cols, per int) []byte {
	var buf bytes.Buffer
	ds := &Dataset{Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
	for i := range ds.Data {
		ds.Data[i] = float64(i) / 4
	}
	_ = writeFrame(&buf, fShape, encodeShape(rows, cols))
	for off := 0; off < rows; off += per {
		n := min(per, rows-off)
		_ = writeRowsFrame(&buf, cols, ds.Data[off*cols:(off+n)*cols])
	}
	_ = writeFrame(&buf, fEnd, nil)
	return buf.Bytes()
}

func TestShapedUploadLandsInPlace(t *testing.T) {
	// (Both byte orders of the float arrays are tested in internal/floatwire.)
	ds, err := receiveDataset(bufio.NewReader(bytes.NewReader(shapedUpload(7, 3, 2))), 1<<20, ParseOptions{Name: "x"})
	require.NoError(t, err)
	assert.Equal(t, 7, ds.Rows)
	assert.Equal(t, 3, ds.Cols)
	for i, v := range ds.Data {
		require.Equal(t, float64(i)/4, v)
	}
	// A plain rows upload (older clients) still works and gives the same data.
	var buf bytes.Buffer
	require.NoError(t, writeFrame(&buf, fRows, encodeRows(3, []float64{0, 0.25, 0.5})))
	require.NoError(t, writeFrame(&buf, fEnd, nil))
	ds, err = receiveDataset(bufio.NewReader(&buf), 1<<20, ParseOptions{})
	require.NoError(t, err)
	assert.Equal(t, []float64{0, 0.25, 0.5}, ds.Data)
}

func TestShapedUploadRejectsLies(t *testing.T) {
	recv := func(b []byte, maxValues int) error {
		_, err := receiveDataset(bufio.NewReader(bytes.NewReader(b)), 1<<20, ParseOptions{MaxValues: maxValues})
		return err
	}
	good := shapedUpload(4, 2, 3)
	require.NoError(t, recv(good, 0))
	assert.ErrorIs(t, recv(good, 7), ErrBadInput, "declared size over the limit, refused before allocating")
	short := append(shapedUpload(4, 2, 3)[:len(good)-5-(5+8+8*2)], good[len(good)-5:]...)
	assert.ErrorIs(t, recv(short, 0), ErrBadInput, "fewer rows than declared")
	var more bytes.Buffer
	_ = writeFrame(&more, fShape, encodeShape(1, 2))
	_ = writeRowsFrame(&more, 2, []float64{1, 2, 3, 4})
	assert.ErrorIs(t, recv(more.Bytes(), 0), ErrBadInput, "more rows than declared")
	var cols bytes.Buffer
	_ = writeFrame(&cols, fShape, encodeShape(2, 2))
	_ = writeRowsFrame(&cols, 4, []float64{1, 2, 3, 4})
	assert.ErrorIs(t, recv(cols.Bytes(), 0), ErrBadInput, "other column count than declared")
	var liar bytes.Buffer
	_ = writeFrame(&liar, fShape, encodeShape(2, 2))
	_ = writeFrame(&liar, fRows, []byte{2, 0, 0, 0, 9, 0, 0, 0, 1, 2, 3})
	assert.ErrorIs(t, recv(liar.Bytes(), 0), ErrProtocol, "count that disagrees with the frame length")
	assert.ErrorIs(t, recv(good[:len(good)-9], 0), io.ErrUnexpectedEOF, "cut mid-frame")
	var huge bytes.Buffer
	_ = writeFrame(&huge, fShape, encodeShape(1<<41, 1<<16))
	assert.ErrorIs(t, recv(huge.Bytes(), 1<<20), ErrProtocol, "absurd shape")
	huge.Reset()
	_ = writeFrame(&huge, fShape, encodeShape(1<<40, 1<<16))
	assert.ErrorIs(t, recv(huge.Bytes(), 0), ErrBadInput, "no limit set still bounds the reservation")
}

// FuzzShapedUpload feeds arbitrary bytes after a shape frame to the
// coordinator's in-place row reader.
func FuzzShapedUpload(f *testing.F) {
	f.Add(shapedUpload(5, 2, 2))
	f.Add(shapedUpload(1, 1, 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		ds, err := receiveDataset(bufio.NewReader(bytes.NewReader(b)), 1<<16, ParseOptions{MaxValues: 1 << 12})
		if err == nil && (ds.Rows*ds.Cols != len(ds.Data) || len(ds.Data) > 1<<12) {
			t.Fatalf("dataset %dx%d with %d values", ds.Rows, ds.Cols, len(ds.Data))
		}
	})
}

func TestTableFormsAreExactAndCanonical(t *testing.T) {
	cases := []struct {
		v    []float64
		form byte
	}{
		{nil, tableF64},
		{[]float64{0, 1, 255}, tableU8},
		{[]float64{0, 256}, tableU16},
		{[]float64{65535, 3}, tableU16},
		{[]float64{65536}, tableF64},
		{[]float64{1, 0.5}, tableF64},
		{[]float64{-1}, tableF64},
		{[]float64{math.Copysign(0, -1)}, tableF64}, // -0 keeps its sign
		{[]float64{2, math.NaN()}, tableF64},
		{[]float64{math.Inf(1)}, tableF64},
	}
	for _, c := range cases {
		assert.Equal(t, c.form, tableForm(c.v), "%v", c.v)
		var e enc
		e.table(c.v)
		assert.Len(t, e, tableSize(c.v), "%v", c.v)
		d := &dec{b: e}
		got := d.table("t")
		require.NoError(t, d.done("t"))
		require.Len(t, got, len(c.v))
		for i := range c.v {
			assert.Equal(t, math.Float64bits(c.v[i]), math.Float64bits(got[i]), "%v", c.v)
		}
	}
	// A million labels of k=16 take 1 MB, not 8.
	labels := make([]float64, 1_000_000)
	for i := range labels {
		labels[i] = float64(i % 16)
	}
	assert.Equal(t, 1+4+len(labels), tableSize(labels))

	// Any form but the encoder's is refused, so a message has one encoding.
	for _, b := range [][]byte{
		append([]byte{tableU16, 1, 0, 0, 0}, 7, 0),                         // 7 fits u8
		append([]byte{tableF64, 1, 0, 0, 0}, 0, 0, 0, 0, 0, 0, 0x1c, 0x40), // 7.0 fits u8
		{tableU8, 0, 0, 0, 0},    // empty is float64
		{3, 0, 0, 0, 0},          // unknown form
		{tableU8, 2, 0, 0, 0, 1}, // truncated
	} {
		d := &dec{b: b}
		d.table("t")
		assert.ErrorIs(t, d.done("t"), ErrProtocol, "%x", b)
	}
}

func TestWriteFramePartsEqualsOnePayload(t *testing.T) {
	s := &Shard{ID: 3, Start: 10, Rows: 4, Cols: 2, Data: []float64{1, 2, 3, 4, 5, 6, 7, 8}}
	var one, parts bytes.Buffer
	require.NoError(t, writeFrame(&one, fLoad, appendShardChunk(nil, 9, s, 1, 2)))
	require.NoError(t, writeFrameParts(&parts, fLoad, appendShardChunkHeader(nil, 9, s, 1, 2), floatBytesLE(s.Data[2:6])))
	assert.Equal(t, one.Bytes(), parts.Bytes())
	var none bytes.Buffer
	require.NoError(t, writeFrameParts(&none, fEnd))
	assert.Equal(t, []byte{fEnd, 0, 0, 0, 0}, none.Bytes())
}

// floatBytesLE is the little-endian wire form of v on any machine.
func floatBytesLE(v []float64) []byte { return floatwire.Append(nil, v) }
