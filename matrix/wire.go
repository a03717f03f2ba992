package matrix

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/netlab-go/netlab/internal/floatwire"
	"gonum.org/v1/gonum/mat"
)

// Errors callers may branch on. Every error the package returns for bad input
// wraps one of these and says what was wrong.
var (
	// ErrShape: the operands cannot be multiplied (A's columns differ from
	// B's rows) or a matrix is empty.
	ErrShape = errors.New("matrix: mismatched shapes")
	// ErrTooLarge: a frame, a matrix, or the product and [Strassen] buffers a
	// task would make a worker allocate, exceeds the configured [Limits].
	ErrTooLarge = errors.New("matrix: too large")
	// ErrMalformed: a frame does not follow the wire format.
	ErrMalformed = errors.New("matrix: malformed frame")
	// ErrRemote: the other side answered with an error frame.
	ErrRemote = errors.New("matrix: remote error")
)

// Version is the version of the wire format, the first byte of every
// frame. A change that an older peer would misread takes a new version; a
// decoder refuses a frame of another version ([ErrMalformed], naming both)
// instead of misreading it.
const Version = 1

const (
	headerLen = 10      // version byte + type byte + uint64 body length
	maxString = 1024    // longest string field
	maxPeers  = 1 << 12 // most addresses in one grant
	chunk     = 64 << 10
)

// rowSource is a matrix the encoder can stream row by row: a *mat.Dense or a
// Strassen operand X ± Y formed on the fly.
type rowSource interface {
	Dims() (r, c int)
	row(i int, scratch []float64) []float64
}

type denseSource struct{ m *mat.Dense }

func (d denseSource) Dims() (int, int)                 { return d.m.Dims() }
func (d denseSource) row(i int, _ []float64) []float64 { return d.m.RawRowView(i) }

// Encoder writes frames to a stream. Matrix data is packed into a reused
// buffer with binary.LittleEndian, so encoding allocates nothing per element.
type Encoder struct {
	w   *bufio.Writer
	buf []byte
	row []float64
	tmp [8]byte
}

// NewEncoder returns an [Encoder] writing to w.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: bufio.NewWriterSize(w, chunk), buf: make([]byte, chunk)}
}

// Encode writes m as one frame and flushes it.
func (e *Encoder) Encode(m Message) error {
	switch m := m.(type) {
	case *TaskMsg:
		if err := checkShapes(m.A, m.B); err != nil {
			return err
		}
		return e.task(m.ID, m.Depth, denseSource{m.A}, denseSource{m.B})
	case *ResultMsg:
		if m.C == nil || m.C.IsEmpty() {
			return fmt.Errorf("%w: result matrix is empty", ErrShape)
		}
		r, c := m.C.Dims()
		e.header(MsgResult, 8+matrixLen(r, c))
		e.u64(m.ID)
		e.matrix(denseSource{m.C})
		return e.w.Flush()
	}
	body, err := controlBody(m)
	if err != nil {
		return err
	}
	e.header(m.Type(), uint64(len(body)))
	_, _ = e.w.Write(body)
	return e.w.Flush()
}

// task streams a task frame whose operands may be computed row by row.
func (e *Encoder) task(id uint64, depth int, a, b rowSource) error {
	if depth < 0 || depth > 255 {
		return fmt.Errorf("matrix: task depth %d outside [0, 255]", depth)
	}
	ar, ac := a.Dims()
	br, bc := b.Dims()
	if ac != br {
		return fmt.Errorf("%w: A is %d×%d but B is %d×%d", ErrShape, ar, ac, br, bc)
	}
	e.header(MsgTask, 9+matrixLen(ar, ac)+matrixLen(br, bc))
	e.u64(id)
	_ = e.w.WriteByte(byte(depth))
	e.matrix(a)
	e.matrix(b)
	return e.w.Flush()
}

func matrixLen(r, c int) uint64 { return 8 + 8*uint64(r)*uint64(c) }

func (e *Encoder) header(t MsgType, n uint64) {
	_ = e.w.WriteByte(Version)
	_ = e.w.WriteByte(byte(t))
	e.u64(n)
}

func (e *Encoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.tmp[:], v)
	_, _ = e.w.Write(e.tmp[:8])
}

func (e *Encoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.tmp[:], v)
	_, _ = e.w.Write(e.tmp[:4])
}

// matrix writes rows uint32, cols uint32, then the elements row-major as
// little-endian IEEE 754 float64. Write errors surface at the final Flush:
// bufio.Writer keeps the first one.
func (e *Encoder) matrix(m rowSource) {
	r, c := m.Dims()
	e.u32(uint32(r))
	e.u32(uint32(c))
	if cap(e.row) < c {
		e.row = make([]float64, c)
	}
	n := 0
	for i := 0; i < r; i++ {
		row := m.row(i, e.row[:c])
		for len(row) > 0 {
			k := min(len(row), (len(e.buf)-n)/8)
			floatwire.Put(e.buf[n:], row[:k])
			n += 8 * k
			row = row[k:]
			if n == len(e.buf) {
				_, _ = e.w.Write(e.buf)
				n = 0
			}
		}
	}
	_, _ = e.w.Write(e.buf[:n])
}

// controlBody encodes the body of a small control message.
func controlBody(m Message) ([]byte, error) {
	var b []byte
	str := func(s string) error {
		if len(s) > maxString {
			return fmt.Errorf("matrix: %s frame: string of %d bytes exceeds %d", m.Type(), len(s), maxString)
		}
		b = binary.LittleEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
		return nil
	}
	le := binary.LittleEndian
	switch m := m.(type) {
	case *RegisterMsg:
		return b, str(m.Addr)
	case *HeartbeatMsg, *OKMsg:
		return b, nil
	case *AcquireMsg:
		if m.N < 1 || m.N > maxPeers {
			return nil, fmt.Errorf("matrix: acquire frame: N %d outside [1, %d]", m.N, maxPeers)
		}
		b = le.AppendUint16(b, uint16(m.N))
		b = le.AppendUint32(b, durMillis(m.TTL))
		return b, str(m.Holder)
	case *StatusMsg:
		for _, v := range []int{m.Position, m.Waiting, m.Free, m.Peers} {
			b = le.AppendUint32(b, uint32(max(v, 0)))
		}
		return b, nil
	case *GrantMsg:
		if len(m.Peers) > maxPeers {
			return nil, fmt.Errorf("matrix: grant frame: %d peers exceed %d", len(m.Peers), maxPeers)
		}
		b = le.AppendUint64(b, m.ID)
		b = le.AppendUint32(b, durMillis(m.TTL))
		b = le.AppendUint64(b, uint64(m.Expires.UnixNano()))
		if err := str(m.Holder); err != nil {
			return nil, err
		}
		b = le.AppendUint16(b, uint16(len(m.Peers)))
		for _, p := range m.Peers {
			if err := str(p); err != nil {
				return nil, err
			}
		}
		return b, nil
	case *ReleaseMsg:
		return le.AppendUint64(b, m.LeaseID), nil
	case *RenewMsg:
		b = le.AppendUint64(b, m.LeaseID)
		return le.AppendUint32(b, durMillis(m.TTL)), nil
	case *DropMsg:
		b = le.AppendUint64(b, m.LeaseID)
		return b, str(m.Peer)
	case *ErrorMsg:
		t := m.Text
		if len(t) > maxString {
			t = t[:maxString]
		}
		return b, str(t)
	case nil:
		return nil, errors.New("matrix: cannot encode a nil message")
	}
	return nil, fmt.Errorf("matrix: cannot encode %T", m)
}

func durMillis(d time.Duration) uint32 {
	ms := d.Milliseconds()
	if ms < 0 {
		return 0
	}
	return uint32(min(ms, math.MaxUint32))
}

// Decoder reads frames from a stream. Every length is checked against its
// Limits and against the bytes left in the frame before anything is
// allocated; matrix data is converted straight out of the read buffer.
type Decoder struct {
	r      *bufio.Reader
	lim    Limits
	left   uint64 // bytes of the current body not yet consumed
	synced bool
	tmp    [8]byte
}

// NewDecoder returns a [Decoder] reading from r and enforcing lim (zero fields
// take [DefaultLimits]' values).
func NewDecoder(r io.Reader, lim Limits) *Decoder {
	def := DefaultLimits()
	if lim.MaxDim <= 0 {
		lim.MaxDim = def.MaxDim
	}
	if lim.MaxElements <= 0 {
		lim.MaxElements = def.MaxElements
	}
	if lim.MaxControl <= 0 {
		lim.MaxControl = def.MaxControl
	}
	return &Decoder{r: bufio.NewReaderSize(r, chunk), lim: lim, synced: true}
}

// InSync reports whether the stream is at a frame boundary, so that decoding
// can go on after an error. It is false after a bad header or a short read:
// the connection must then be closed.
func (d *Decoder) InSync() bool { return d.synced }

// Decode reads the next frame. At a clean end of stream it returns io.EOF.
// A frame that breaks the format yields an error wrapping [ErrMalformed],
// [ErrTooLarge] or [ErrShape]; when the header was sound the rest of the body is
// skipped and InSync stays true.
func (d *Decoder) Decode() (Message, error) {
	d.synced = false
	var hdr [headerLen]byte
	if n, err := io.ReadFull(d.r, hdr[:]); err != nil {
		if n == 0 && errors.Is(err, io.EOF) {
			d.synced = true
			return nil, io.EOF
		}
		return nil, fmt.Errorf("%w: short header: %w", ErrMalformed, err)
	}
	if hdr[0] != Version {
		return nil, fmt.Errorf("%w: frame of protocol version %d (0x%02x); this side speaks version %d", ErrMalformed, hdr[0], hdr[0], Version)
	}
	t := MsgType(hdr[1])
	n := binary.LittleEndian.Uint64(hdr[2:])
	limit, ok := d.bodyLimit(t)
	if !ok {
		return nil, fmt.Errorf("%w: unknown message type 0x%02x", ErrMalformed, hdr[1])
	}
	if n > limit {
		return nil, fmt.Errorf("%w: %s frame body of %d bytes exceeds the limit of %d", ErrTooLarge, t, n, limit)
	}
	d.left = n
	m, err := d.body(t)
	if err == nil && d.left != 0 {
		err = fmt.Errorf("%w: %s frame has %d trailing bytes", ErrMalformed, t, d.left)
	}
	if err != nil {
		if errors.Is(err, errShort) {
			return nil, err
		}
		if _, derr := d.r.Discard(int(d.left)); derr == nil {
			d.synced = true
		}
		return nil, err
	}
	d.synced = true
	return m, nil
}

// errShort marks a stream that ended inside a frame.
var errShort = fmt.Errorf("%w: stream ended inside a frame", ErrMalformed)

func (d *Decoder) bodyLimit(t MsgType) (uint64, bool) {
	mat := 8 + 8*uint64(d.lim.MaxElements)
	switch t {
	case MsgTask:
		return 9 + 2*mat, true
	case MsgResult:
		return 8 + mat, true
	case MsgRegister, MsgHeartbeat, MsgAcquire, MsgStatus, MsgGrant,
		MsgRelease, MsgRenew, MsgDrop, MsgOK, MsgError:
		return uint64(d.lim.MaxControl), true
	}
	return 0, false
}

func (d *Decoder) body(t MsgType) (Message, error) {
	f := fieldReader{d: d, t: t}
	var m Message
	switch t {
	case MsgRegister:
		m = &RegisterMsg{Addr: f.str("address")}
	case MsgHeartbeat:
		m = &HeartbeatMsg{}
	case MsgOK:
		m = &OKMsg{}
	case MsgAcquire:
		a := &AcquireMsg{N: int(f.u16("N"))}
		a.TTL = time.Duration(f.u32("TTL")) * time.Millisecond
		a.Holder = f.str("holder")
		if f.err == nil && (a.N < 1 || a.N > maxPeers) {
			f.fail(ErrMalformed, "N %d outside [1, %d]", a.N, maxPeers)
		}
		m = a
	case MsgStatus:
		m = &StatusMsg{Status{Position: int(f.u32("position")), Waiting: int(f.u32("waiting")),
			Free: int(f.u32("free")), Peers: int(f.u32("peers"))}}
	case MsgGrant:
		m = d.grant(&f)
	case MsgRelease:
		m = &ReleaseMsg{LeaseID: f.u64("lease")}
	case MsgRenew:
		r := &RenewMsg{LeaseID: f.u64("lease")}
		r.TTL = time.Duration(f.u32("TTL")) * time.Millisecond
		m = r
	case MsgDrop:
		dm := &DropMsg{LeaseID: f.u64("lease")}
		dm.Peer = f.str("peer address")
		m = dm
	case MsgError:
		m = &ErrorMsg{Text: f.str("text")}
	case MsgTask:
		m = d.task(&f)
	case MsgResult:
		r := &ResultMsg{ID: f.u64("id")}
		if rows, cols := f.dims("C"); f.err == nil {
			r.C = f.data("C", rows, cols)
		}
		m = r
	}
	if f.err != nil {
		return nil, f.err
	}
	return m, nil
}

func (d *Decoder) grant(f *fieldReader) Message {
	g := &GrantMsg{}
	g.ID = f.u64("lease")
	g.TTL = time.Duration(f.u32("TTL")) * time.Millisecond
	g.Expires = time.Unix(0, int64(f.u64("expiry")))
	g.Holder = f.str("holder")
	n := int(f.u16("peer count"))
	if f.err == nil && n > maxPeers {
		f.fail(ErrTooLarge, "%d peers exceed %d", n, maxPeers)
	}
	for i := 0; i < n && f.err == nil; i++ {
		g.Peers = append(g.Peers, f.str("peer address"))
	}
	return g
}

func (d *Decoder) task(f *fieldReader) Message {
	t := &TaskMsg{ID: f.u64("id"), Depth: int(f.u8("depth"))}
	ar, ac := f.dims("A")
	if f.err != nil {
		return t
	}
	t.A = f.data("A", ar, ac)
	br, bc := f.dims("B")
	if f.err == nil && br != ac {
		f.fail(ErrShape, "A is %d×%d but B is %d×%d (A's columns must equal B's rows)", ar, ac, br, bc)
	}
	if f.err == nil {
		if err := d.lim.checkTask(ar, ac, bc); err != nil {
			f.err = fmt.Errorf("%w: %s frame: %w", ErrTooLarge, f.t, err)
		}
	}
	if f.err != nil {
		return t
	}
	t.B = f.data("B", br, bc)
	return t
}

// fieldReader reads the fields of one body, keeping the first error.
type fieldReader struct {
	d   *Decoder
	t   MsgType
	err error
}

func (f *fieldReader) fail(kind error, format string, args ...any) {
	if f.err == nil {
		f.err = fmt.Errorf("%w: %s frame: %s", kind, f.t, fmt.Sprintf(format, args...))
	}
}

// take returns the next n bytes of the body (n ≤ 8).
func (f *fieldReader) take(n int, what string) []byte {
	if f.err != nil {
		return f.d.tmp[:n]
	}
	if uint64(n) > f.d.left {
		f.fail(ErrMalformed, "body ends inside %s", what)
		return f.d.tmp[:n]
	}
	b := f.d.tmp[:n]
	if _, err := io.ReadFull(f.d.r, b); err != nil {
		f.err = fmt.Errorf("%w (%s frame, reading %s): %w", errShort, f.t, what, err)
		return b
	}
	f.d.left -= uint64(n)
	return b
}

func (f *fieldReader) u8(what string) uint8 { return f.take(1, what)[0] }
func (f *fieldReader) u16(what string) uint16 {
	return binary.LittleEndian.Uint16(f.take(2, what))
}
func (f *fieldReader) u32(what string) uint32 {
	return binary.LittleEndian.Uint32(f.take(4, what))
}
func (f *fieldReader) u64(what string) uint64 {
	return binary.LittleEndian.Uint64(f.take(8, what))
}

func (f *fieldReader) str(what string) string {
	n := int(f.u16(what + " length"))
	if f.err != nil {
		return ""
	}
	if n > maxString {
		f.fail(ErrTooLarge, "%s of %d bytes exceeds %d", what, n, maxString)
		return ""
	}
	if uint64(n) > f.d.left {
		f.fail(ErrMalformed, "%s of %d bytes but only %d bytes remain", what, n, f.d.left)
		return ""
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(f.d.r, b); err != nil {
		f.err = fmt.Errorf("%w (%s frame, reading %s): %w", errShort, f.t, what, err)
		return ""
	}
	f.d.left -= uint64(n)
	return string(b)
}

// dims reads and bounds a matrix's dimensions.
func (f *fieldReader) dims(name string) (int, int) {
	r, c := int(f.u32(name+" rows")), int(f.u32(name+" columns"))
	if f.err != nil {
		return 0, 0
	}
	lim := f.d.lim
	switch {
	case r == 0 || c == 0:
		f.fail(ErrShape, "%s is %d×%d: a matrix needs at least one row and column", name, r, c)
	case r > lim.MaxDim || c > lim.MaxDim:
		f.fail(ErrTooLarge, "%s is %d×%d, over the limit of %d rows or columns", name, r, c, lim.MaxDim)
	case uint64(r)*uint64(c) > uint64(lim.MaxElements):
		f.fail(ErrTooLarge, "%s is %d×%d = %d elements, over the limit of %d", name, r, c, uint64(r)*uint64(c), lim.MaxElements)
	case 8*uint64(r)*uint64(c) > f.d.left:
		f.fail(ErrMalformed, "%s is %d×%d (%d bytes) but only %d bytes remain in the frame", name, r, c, 8*r*c, f.d.left)
	}
	return r, c
}

// data reads r·c float64 straight out of the bufio buffer into a new matrix.
func (f *fieldReader) data(name string, r, c int) *mat.Dense {
	if f.err != nil {
		return nil
	}
	data := make([]float64, r*c)
	rd := f.d.r
	for off := 0; off < len(data); {
		k := min(len(data)-off, rd.Size()/8)
		b, err := rd.Peek(8 * k)
		if err != nil {
			f.err = fmt.Errorf("%w (%s frame, reading %s): %w", errShort, f.t, name, err)
			return nil
		}
		floatwire.Decode(data[off:off+k], b)
		_, _ = rd.Discard(8 * k)
		off += k
	}
	f.d.left -= 8 * uint64(r) * uint64(c)
	return mat.NewDense(r, c, data)
}
