package matrix

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

func encode(t testing.TB, msgs ...Message) []byte {
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	for _, m := range msgs {
		require.NoError(t, enc.Encode(m))
	}
	return buf.Bytes()
}

func sampleMessages() []Message {
	rng := rand.New(rand.NewPCG(7, 8))
	return []Message{
		&RegisterMsg{Addr: "127.0.0.1:4000"},
		&HeartbeatMsg{},
		&AcquireMsg{N: 7, TTL: 1500 * time.Millisecond, Holder: "alice"},
		&StatusMsg{Status{Position: 2, Waiting: 3, Free: 4, Peers: 8}},
		&GrantMsg{Lease{ID: 9, Peers: []string{"a:1", "b:2"}, Holder: "bob", TTL: 2 * time.Second, Expires: time.Unix(0, 1234567890)}},
		&ReleaseMsg{LeaseID: 9},
		&RenewMsg{LeaseID: 9, TTL: time.Second},
		&OKMsg{},
		&ErrorMsg{Text: "nope"},
		&TaskMsg{ID: 42, Depth: 1, A: randDense(rng, 3, 5), B: randDense(rng, 5, 2)},
		&ResultMsg{ID: 42, C: mat.NewDense(2, 2, []float64{math.Inf(1), math.Copysign(0, -1), math.MaxFloat64, math.SmallestNonzeroFloat64})},
	}
}

func TestWireRoundTrip(t *testing.T) {
	msgs := sampleMessages()
	dec := NewDecoder(bytes.NewReader(encode(t, msgs...)), DefaultLimits())
	for _, want := range msgs {
		got, err := dec.Decode()
		require.NoError(t, err)
		assert.Equal(t, want, got)
		if w, ok := want.(*ResultMsg); ok {
			// Equal compares floats with ==, which cannot tell -0 from +0: check the bits.
			for i, x := range w.C.RawMatrix().Data {
				assert.Equal(t, math.Float64bits(x), math.Float64bits(got.(*ResultMsg).C.RawMatrix().Data[i]), "element %d", i)
			}
		}
	}
	_, err := dec.Decode()
	assert.ErrorIs(t, err, io.EOF)
	assert.True(t, dec.InSync())
}

func TestWireFormatIsLittleEndianFloat64(t *testing.T) {
	b := encode(t, &ResultMsg{ID: 1, C: mat.NewDense(1, 2, []float64{1.5, -2})})
	want := []byte{Version, 'C'}
	want = binary.LittleEndian.AppendUint64(want, 8+8+16)
	want = binary.LittleEndian.AppendUint64(want, 1)
	want = binary.LittleEndian.AppendUint32(want, 1)
	want = binary.LittleEndian.AppendUint32(want, 2)
	want = binary.LittleEndian.AppendUint64(want, math.Float64bits(1.5))
	want = binary.LittleEndian.AppendUint64(want, math.Float64bits(-2))
	assert.Equal(t, want, b)
}

func TestEncodeStreamsOperandSums(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x, y := randDense(rng, 20, 9000), randDense(rng, 20, 9000)     // rows longer than the chunk
	z := randDense(rng, 9001, 5).Slice(1, 9001, 2, 5).(*mat.Dense) // a view with stride 5
	var buf bytes.Buffer
	require.NoError(t, NewEncoder(&buf).task(5, 2, diff(x, y), one(z)))
	m, err := NewDecoder(&buf, DefaultLimits()).Decode()
	require.NoError(t, err)
	task := m.(*TaskMsg)
	var want mat.Dense
	want.Sub(x, y)
	assert.True(t, mat.Equal(&want, task.A))
	assert.True(t, mat.Equal(z, task.B))
	assert.Equal(t, 2, task.Depth)
}

// frame builds a raw frame with the given type and body.
func frame(t MsgType, body []byte) []byte {
	b := []byte{Version, byte(t)}
	b = binary.LittleEndian.AppendUint64(b, uint64(len(body)))
	return append(b, body...)
}

func taskBody(ar, ac, br, bc uint32, data int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, 1)
	b = append(b, 1)
	b = binary.LittleEndian.AppendUint32(b, ar)
	b = binary.LittleEndian.AppendUint32(b, ac)
	b = append(b, make([]byte, 8*int(ar)*int(ac))...)
	b = binary.LittleEndian.AppendUint32(b, br)
	b = binary.LittleEndian.AppendUint32(b, bc)
	return append(b, make([]byte, data)...)
}

func TestDecoderRejectsBadFrames(t *testing.T) {
	lim := Limits{MaxDim: 64, MaxElements: 1024, MaxControl: 256}
	huge := []byte{Version, byte(MsgTask)}
	huge = binary.LittleEndian.AppendUint64(huge, 1<<40)
	cases := []struct {
		name   string
		in     []byte
		err    error
		text   string
		inSync bool
	}{
		{"unknown type", frame('Z', nil), ErrMalformed, "unknown message type 0x5a", false},
		{"other version", append([]byte{Version + 1}, frame(MsgOK, nil)[1:]...), ErrMalformed, "frame of protocol version 2 (0x02); this side speaks version 1", false},
		{"short header", []byte{Version, 'T', 1, 2}, ErrMalformed, "short header", false},
		{"frame over limit", huge, ErrTooLarge, "task frame body of 1099511627776 bytes exceeds the limit", false},
		{"control over limit", frame(MsgRegister, make([]byte, 300)), ErrTooLarge, "register frame body of 300 bytes", false},
		{"rows over limit", frame(MsgTask, taskBody(65, 1, 1, 1, 8)), ErrTooLarge, "A is 65×1, over the limit of 64", true},
		{"elements over limit", frame(MsgTask, taskBody(40, 40, 1, 1, 8)[:17]), ErrTooLarge, "1600 elements, over the limit of 1024", true},
		{"zero dims", frame(MsgTask, taskBody(0, 3, 3, 1, 24)), ErrShape, "A is 0×3", true},
		{"mismatched shapes", frame(MsgTask, taskBody(2, 3, 4, 1, 32)), ErrShape, "A is 2×3 but B is 4×1", true},
		{"data shorter than dims", frame(MsgTask, taskBody(2, 2, 2, 2, 16)), ErrMalformed, "B is 2×2 (32 bytes) but only 16 bytes remain", true},
		{"trailing bytes", frame(MsgHeartbeat, []byte{1, 2}), ErrMalformed, "2 trailing bytes", true},
		{"truncated body", frame(MsgRelease, []byte{1, 2, 3}), ErrMalformed, "body ends inside lease", true},
		{"string longer than body", frame(MsgRegister, []byte{10, 0, 'a'}), ErrMalformed, "address of 10 bytes but only 1 bytes remain", true},
		{"acquire zero", frame(MsgAcquire, []byte{0, 0, 0, 0, 0, 0, 0, 0}), ErrMalformed, "N 0 outside", true},
		{"stream ends in body", frame(MsgTask, taskBody(2, 2, 2, 2, 32))[:41], ErrMalformed, "stream ended inside a frame", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A good frame after the bad one shows whether the stream recovers.
			in := tc.in
			if tc.inSync {
				in = append(append([]byte(nil), tc.in...), encode(t, &OKMsg{})...)
			}
			dec := NewDecoder(bytes.NewReader(in), lim)
			_, err := dec.Decode()
			require.ErrorIs(t, err, tc.err)
			assert.ErrorContains(t, err, tc.text)
			assert.Equal(t, tc.inSync, dec.InSync())
			if tc.inSync {
				m, err := dec.Decode()
				require.NoError(t, err)
				assert.Equal(t, &OKMsg{}, m)
			}
		})
	}
}

func TestEncoderRejectsBadMessages(t *testing.T) {
	enc := NewEncoder(io.Discard)
	assert.ErrorIs(t, enc.Encode(&TaskMsg{A: mat.NewDense(2, 3, nil), B: mat.NewDense(2, 3, nil)}), ErrShape)
	assert.ErrorContains(t, enc.Encode(&AcquireMsg{N: 0}), "N 0")
	assert.ErrorContains(t, enc.Encode(&RegisterMsg{Addr: string(make([]byte, 2000))}), "exceeds 1024")
	assert.ErrorIs(t, enc.Encode(&ResultMsg{}), ErrShape)
	assert.Error(t, enc.Encode(nil))
}

func FuzzDecode(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(encode(f, m))
	}
	f.Add(frame(MsgTask, taskBody(2, 3, 4, 1, 32)))
	f.Add(frame(MsgTask, taskBody(65, 1, 1, 1, 8)))
	f.Add([]byte{Version, 'G', 255, 255, 255, 255, 255, 255, 255, 255})
	lim := Limits{MaxDim: 64, MaxElements: 1024, MaxControl: 512}
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := NewDecoder(bytes.NewReader(data), lim)
		for range 8 {
			m, err := dec.Decode()
			if err != nil {
				if !dec.InSync() || err == io.EOF {
					return
				}
				continue
			}
			// Whatever decodes must re-encode to a frame that decodes the same.
			var buf bytes.Buffer
			require.NoError(t, NewEncoder(&buf).Encode(m))
			again, err := NewDecoder(&buf, lim).Decode()
			require.NoError(t, err)
			require.Equal(t, canonical(m), canonical(again))
		}
	})
}

// canonical makes NaN payloads comparable.
func canonical(m Message) Message {
	switch m := m.(type) {
	case *TaskMsg:
		return &TaskMsg{ID: m.ID, Depth: m.Depth, A: bitsOf(m.A), B: bitsOf(m.B)}
	case *ResultMsg:
		return &ResultMsg{ID: m.ID, C: bitsOf(m.C)}
	}
	return m
}

func bitsOf(m *mat.Dense) *mat.Dense {
	r, c := m.Dims()
	out := mat.NewDense(r, c, nil)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			v := m.At(i, j)
			if math.IsNaN(v) {
				v = 12345
			}
			out.Set(i, j, v)
		}
	}
	return out
}

func TestCodecAllocatesNothingPerElement(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	var perSize []float64
	for _, n := range []int{16, 256} {
		m := &ResultMsg{ID: 1, C: randDense(rng, n, n)}
		enc := NewEncoder(io.Discard)
		encAllocs := testing.AllocsPerRun(5, func() { _ = enc.Encode(m) })
		assert.Zero(t, encAllocs, "n=%d: a reused encoder allocates nothing", n)

		frame := encode(t, m)
		r := bytes.NewReader(frame)
		decAllocs := testing.AllocsPerRun(5, func() {
			r.Reset(frame)
			_, _ = NewDecoder(r, DefaultLimits()).Decode()
		})
		assert.LessOrEqual(t, decAllocs, 12.0, "n=%d: decoder, buffers, message and matrix only", n)
		perSize = append(perSize, decAllocs)
	}
	assert.Equal(t, perSize[0], perSize[1], "decoding 256×256 allocates no more often than 16×16")
}
