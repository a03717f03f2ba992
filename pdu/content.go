package pdu

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"
	"sync/atomic"
)

// Errors of a content transfer.
var (
	// ErrIncomplete: the stream ended before the F frame.
	ErrIncomplete = errors.New("pdu: content ended before the F frame")
	// ErrVerify: the received content does not match the announced size or
	// SHA-256 ([Framed]).
	ErrVerify = errors.New("pdu: content does not match its announcement")
	// ErrTooLarge: the content is larger than the receiver's limit
	// ([ReceiveOptions.Limit]), announced ([Framed]) or streamed ([Classic]).
	ErrTooLarge = errors.New("pdu: content larger than the limit")
)

// ReceiveOptions are [ReceiveContent]'s limits and hooks.
type ReceiveOptions struct {
	// Limit is the most content bytes accepted. A Framed announcement of
	// more, or a [Classic] stream that runs past it, fails with [ErrTooLarge]
	// before a byte beyond the limit is written. 0 means no limit: use it
	// only with servers you trust, since a [Classic] stream has no end a
	// receiver can know in advance.
	Limit int64
	// OnFrame, when not nil, sees every frame as it arrives (to trace a
	// transfer, or to check an announcement before the data is written);
	// p.Data is valid only during the call. An error from it ends the
	// transfer with that error.
	OnFrame func(p *PDU) error
}

// RemoteError is an E [PDU] received where content was expected: the server
// refused the download and said why.
type RemoteError struct{ Text string }

// Error returns the text with a prefix saying it came from the server.
func (e *RemoteError) Error() string { return "pdu: server replied E: " + e.Text }

// sendBlock is how much content [SendContent] reads from its source at a time,
// and about how much it writes to the stream at a time.
const sendBlock = 256 << 10

// SendContent writes size bytes read from src to w as the content frames of
// codec c: with [Framed] first a C frame announcing size and sum; then C frames
// of exactly Limits().MaxData bytes; then one F frame with the remaining
// bytes (an empty F when size is a multiple of MaxData). The caller closes
// the connection afterwards. sum is ignored by codecs that do not announce.
func SendContent(w io.Writer, c Codec, src io.Reader, size int64, sum [32]byte) error {
	if size < 0 {
		return fmt.Errorf("pdu: negative content size %d", size)
	}
	lim := c.Limits()
	chunk := lim.MaxData
	var out []byte
	var err error
	if lim.Announce {
		if out, err = c.Append(out, &PDU{Type: Content, Announce: true, Size: size, Sum: sum}); err != nil {
			return err
		}
	}
	if hc, ok := c.(dataHeaderCodec); ok {
		return sendDirect(w, hc, out, src, size, chunk)
	}
	block := make([]byte, max(1, sendBlock/chunk)*chunk)
	out = append(make([]byte, 0, sendBlock+lim.MaxFrame), out...)
	fr := &PDU{Type: Content}
	var tail []byte
	for remaining := size; remaining > 0; {
		n := int(min(remaining, int64(len(block))))
		if _, err := io.ReadFull(src, block[:n]); err != nil {
			return fmt.Errorf("pdu: reading content: %w", err)
		}
		remaining -= int64(n)
		full := n / chunk * chunk
		for off := 0; off < full; off += chunk {
			fr.Data = block[off : off+chunk]
			if out, err = c.Append(out, fr); err != nil {
				return err
			}
			if len(out) >= sendBlock {
				if _, err := w.Write(out); err != nil {
					return err
				}
				out = out[:0]
			}
		}
		tail = block[full:n] // only the last block has a partial tail
	}
	if out, err = c.Append(out, &PDU{Type: Final, Data: tail}); err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// sendBufs holds sendDirect's output buffers, so that a server sending
// chunk after chunk (a multi-source download) does not allocate one per
// chunk.
var sendBufs = sync.Pool{New: func() any { return new([]byte) }}

// dataHeaderCodec is a codec with large data frames whose header can be
// written before, and apart from, the data it announces ([Framed]).
type dataHeaderCodec interface {
	// appendDataHeader appends the header of a C or F frame carrying n data
	// bytes: Append of that frame is this header followed by the data.
	appendDataHeader(dst []byte, t Type, n int) []byte
	// readDataHeader reads a C or F frame up to its data into p and
	// returns the number of data bytes that follow.
	readDataHeader(r *bufio.Reader, p *PDU) (int, error)
}

// sendDirect is SendContent's path for codecs with large frames (Framed):
// it writes each frame's header into the output buffer and reads the frame's
// data from src straight after it, so the content is not copied a second
// time to be framed. pending holds bytes to send first. It writes about
// sendBlock bytes at a time.
func sendDirect(w io.Writer, c dataHeaderCodec, pending []byte, src io.Reader, size int64, chunk int) error {
	bp := sendBufs.Get().(*[]byte)
	defer sendBufs.Put(bp)
	if cap(*bp) < sendBlock+2*(chunk+16) {
		*bp = make([]byte, 0, sendBlock+2*(chunk+16))
	}
	out := append((*bp)[:0], pending...)
	for remaining := size; ; {
		n := int(min(remaining, int64(chunk)))
		t := Content
		if n < chunk {
			t = Final // the last frame, possibly empty
		}
		out = c.appendDataHeader(out, t, n)
		start := len(out)
		if _, err := io.ReadFull(src, out[start:start+n]); err != nil {
			return fmt.Errorf("pdu: reading content: %w", err)
		}
		out = out[:start+n]
		remaining -= int64(n)
		if t == Final || len(out) >= sendBlock {
			if _, err := w.Write(out); err != nil {
				return err
			}
			out = out[:0]
		}
		if t == Final {
			return nil
		}
	}
}

// ReceiveContent reads content frames of codec c from r (a reader made with
// [NewContentReader] or [NewReader]) until the F frame and writes their data to
// dst. With Framed it reads each C and F frame's header, checks it, and then
// reads the data straight into its own chunk buffers (past r's buffer when
// that is small, as [NewContentReader]'s is). With a codec that
// announces, it checks the data against the announced size as it goes and
// against the SHA-256 at the end ([ErrVerify]). Full chunks go to a
// goroutine of its own that hashes and writes them, so the reading
// goroutine only reads (dst sees every Write from that one goroutine, in
// order); a write error ends the transfer at the next chunk. An E frame instead of content
// returns a *[RemoteError]; a stream that ends before F returns [ErrIncomplete];
// content beyond opt.Limit returns [ErrTooLarge]. It returns the number of
// content bytes written to dst.
func ReceiveContent(r *bufio.Reader, c Codec, dst io.Writer, opt ReceiveOptions) (int64, error) {
	lim := c.Limits()
	s := &sink{dst: dst, cur: make([]byte, 0, sendBlock)}
	defer s.stop()
	var (
		p         PDU
		n         int64
		size      int64 = -1
		announced bool
		want      [32]byte
	)
	hc, stream := c.(dataHeaderCodec)
	for first := true; ; first = false {
		var err error
		data := -1 // data bytes still in the stream, when read by header
		if stream {
			if b, perr := r.Peek(1); perr == nil && (Type(b[0]) == Content || Type(b[0]) == Final) {
				data, err = hc.readDataHeader(r, &p)
			} else {
				err = c.ReadPDU(r, Reply, &p)
			}
		} else {
			err = c.ReadPDU(r, Reply, &p)
		}
		switch {
		case err == io.EOF:
			return n, fmt.Errorf("%w (after %d bytes)", ErrIncomplete, n)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return n, fmt.Errorf("%w (after %d bytes): %w", ErrIncomplete, n, err)
		case err != nil:
			return n, err
		}
		if data >= 0 {
			// Checked before reading, so that no byte beyond the
			// announcement is taken in; the data goes straight from r into
			// the sink's chunk.
			if err := checkFrame(&p, first, lim.Announce, announced, n, size, data); err != nil {
				return n, err
			}
			if err := checkLimit(&p, opt.Limit, n, data); err != nil {
				return n, err
			}
			if p.Announce {
				announced, size, want = true, p.Size, p.Sum
				s.startHash()
			}
			if p.Data, err = s.readFrom(r, data); err != nil {
				if err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return n, fmt.Errorf("%w (after %d bytes): %w", ErrIncomplete, n, err)
			}
			if opt.OnFrame != nil {
				if err := opt.OnFrame(&p); err != nil {
					return n, err
				}
			}
			n += int64(data)
			if p.Type == Final {
				break
			}
			continue
		}
		if err := checkLimit(&p, opt.Limit, n, len(p.Data)); err != nil {
			return n, err
		}
		if opt.OnFrame != nil {
			if err := opt.OnFrame(&p); err != nil {
				return n, err
			}
		}
		switch p.Type {
		case Error:
			return n, &RemoteError{Text: p.Text}
		case Content, Final:
		default:
			return n, fmt.Errorf("pdu: %c PDU in a content stream: %w", rune(p.Type), ErrMalformed)
		}
		if p.Announce {
			if !first {
				return n, fmt.Errorf("pdu: C PDU: %w: a second announcement", ErrMalformed)
			}
			announced, size, want = true, p.Size, p.Sum
			s.startHash()
		}
		if first && lim.Announce && !announced {
			return n, fmt.Errorf("pdu: %c PDU: %w: the first frame does not announce size and SHA-256", rune(p.Type), ErrMalformed)
		}
		if announced && n+int64(len(p.Data)) > size {
			return n, fmt.Errorf("%w: more than the announced %d bytes", ErrVerify, size)
		}
		if err := s.write(p.Data); err != nil {
			return n, err
		}
		n += int64(len(p.Data))
		if p.Type == Final {
			break
		}
	}
	if err := s.finish(); err != nil {
		return n, err
	}
	if announced {
		if n != size {
			return n, fmt.Errorf("%w: %d bytes, announced %d", ErrVerify, n, size)
		}
		if s.sum() != want {
			return n, fmt.Errorf("%w: SHA-256 differs", ErrVerify)
		}
	}
	return n, nil
}

// checkFrame applies ReceiveContent's rules to a content frame whose header
// p has been read and whose data bytes are still to come.
func checkFrame(p *PDU, first, mustAnnounce, announced bool, n, size int64, data int) error {
	if p.Announce {
		if !first {
			return fmt.Errorf("pdu: C PDU: %w: a second announcement", ErrMalformed)
		}
		announced, size = true, p.Size
	}
	if first && mustAnnounce && !announced {
		return fmt.Errorf("pdu: %c PDU: %w: the first frame does not announce size and SHA-256", rune(p.Type), ErrMalformed)
	}
	if announced && n+int64(data) > size {
		return fmt.Errorf("%w: more than the announced %d bytes", ErrVerify, size)
	}
	return nil
}

// checkLimit applies ReceiveOptions.Limit to a frame whose header p has
// been read: its announcement, and its data bytes after n already received.
func checkLimit(p *PDU, limit, n int64, data int) error {
	switch {
	case limit <= 0:
		return nil
	case p.Announce && p.Size > limit:
		return fmt.Errorf("%w: %d bytes announced, the limit is %d", ErrTooLarge, p.Size, limit)
	case n+int64(data) > limit:
		return fmt.Errorf("%w: more than %d bytes", ErrTooLarge, limit)
	}
	return nil
}

// sink gathers content into chunks and hands each full chunk to a
// goroutine of its own that hashes it (once hashing has started) and
// writes it to dst, so that the reading goroutine only reads: hashing and
// writing one chunk overlap reading the next.
type sink struct {
	dst  io.Writer
	cur  []byte
	h    hash.Hash     // nil until startHash
	work chan []byte   // chunks to hash and write; nil until the first flush
	free chan []byte   // chunks written, ready for reuse
	done chan struct{} // closed when the goroutine has ended
	err  error         // the first write error, set by the goroutine
	bad  atomic.Bool   // err is set
}

const sinkChunks = 4 // chunks in flight between the reader and the writer

// startHash makes the sink hash everything it writes; it is called before
// the first flush (at the announcement).
func (s *sink) startHash() { s.h = sha256.New() }

// start runs the hashing and writing goroutine.
func (s *sink) start() {
	s.work = make(chan []byte, sinkChunks)
	s.free = make(chan []byte, sinkChunks)
	s.done = make(chan struct{})
	for range sinkChunks - 1 {
		s.free <- make([]byte, 0, cap(s.cur))
	}
	h := s.h
	go func() {
		defer close(s.done)
		for b := range s.work {
			if h != nil {
				h.Write(b)
			}
			if !s.bad.Load() {
				if _, err := s.dst.Write(b); err != nil {
					s.err = err
					s.bad.Store(true)
				}
			}
			s.free <- b[:0]
		}
	}()
}

func (s *sink) write(data []byte) error {
	for len(data) > 0 {
		k := copy(s.cur[len(s.cur):cap(s.cur)], data)
		s.cur, data = s.cur[:len(s.cur)+k], data[k:]
		if len(s.cur) == cap(s.cur) {
			if err := s.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// readFrom reads n bytes from r straight into the current chunk, flushing
// it first when they do not fit, and returns them (valid until the next
// flush).
func (s *sink) readFrom(r io.Reader, n int) ([]byte, error) {
	if n > cap(s.cur)-len(s.cur) {
		if err := s.flush(); err != nil {
			return nil, err
		}
	}
	start := len(s.cur)
	if _, err := io.ReadFull(r, s.cur[start:start+n]); err != nil {
		return nil, err
	}
	s.cur = s.cur[:start+n]
	if len(s.cur) == cap(s.cur) {
		data := s.cur[start:]
		return data, s.flush()
	}
	return s.cur[start:], nil
}

// flush hands the current chunk to the goroutine and takes a free one. It
// returns the first write error the goroutine met, if any.
func (s *sink) flush() error {
	if s.bad.Load() {
		s.stop()
		return s.err
	}
	if len(s.cur) == 0 {
		return nil
	}
	if s.work == nil {
		s.start()
	}
	s.work <- s.cur
	s.cur = <-s.free
	return nil
}

// finish flushes what is left, waits for the goroutine and returns the
// first write error.
func (s *sink) finish() error {
	if err := s.flush(); err != nil {
		return err
	}
	s.stop()
	if s.bad.Load() {
		return s.err
	}
	return nil
}

// sum returns the SHA-256 of everything written; call it after finish.
func (s *sink) sum() [32]byte {
	var out [32]byte
	s.h.Sum(out[:0])
	return out
}

// stop ends the goroutine; safe to call twice.
func (s *sink) stop() {
	if s.work != nil {
		close(s.work)
		<-s.done
		s.work = nil
	}
}

// ReceiveInto reads one content stream of a codec that announces ([Framed])
// from r into buf and returns the content, buf[:size]: the way to receive
// a chunk of a [Manifest] into a buffer used again for the next. It checks
// the announcement against buf's length and opt.Limit before reading any
// data, reads each frame's data straight into buf, hashes it as it comes,
// and returns [ErrVerify] when the size or SHA-256 differ from the
// announcement. opt.OnFrame sees every frame's header (p.Data nil) before
// its data is read. Apart from the hash state it allocates nothing.
func ReceiveInto(r *bufio.Reader, c Codec, buf []byte, opt ReceiveOptions) ([]byte, error) {
	hc, ok := c.(dataHeaderCodec)
	if !ok || !c.Limits().Announce {
		return nil, fmt.Errorf("pdu: ReceiveInto needs a codec that announces, not %s", c.Name())
	}
	h := sha256.New()
	var (
		p    PDU
		n    int64
		size int64
		want [32]byte
	)
	for first := true; ; first = false {
		var data int
		var err error
		if b, perr := r.Peek(1); perr == nil && (Type(b[0]) == Content || Type(b[0]) == Final) {
			data, err = hc.readDataHeader(r, &p)
		} else if perr == nil {
			if err = c.ReadPDU(r, Reply, &p); err == nil {
				if p.Type == Error {
					return nil, &RemoteError{Text: p.Text}
				}
				err = fmt.Errorf("pdu: %c PDU in a content stream: %w", rune(p.Type), ErrMalformed)
			}
		} else {
			err = perr
		}
		switch {
		case err == io.EOF:
			return nil, fmt.Errorf("%w (after %d bytes)", ErrIncomplete, n)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, fmt.Errorf("%w (after %d bytes): %w", ErrIncomplete, n, err)
		case err != nil:
			return nil, err
		}
		if err := checkFrame(&p, first, true, !first, n, size, data); err != nil {
			return nil, err
		}
		if err := checkLimit(&p, opt.Limit, n, data); err != nil {
			return nil, err
		}
		if p.Announce {
			size, want = p.Size, p.Sum
			if size > int64(len(buf)) {
				return nil, fmt.Errorf("%w: %d bytes announced, room for %d", ErrTooLarge, size, len(buf))
			}
		}
		if opt.OnFrame != nil {
			if err := opt.OnFrame(&p); err != nil {
				return nil, err
			}
		}
		if _, err := io.ReadFull(r, buf[n:n+int64(data)]); err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, fmt.Errorf("%w (after %d bytes): %w", ErrIncomplete, n, err)
		}
		h.Write(buf[n : n+int64(data)])
		n += int64(data)
		if p.Type == Final {
			break
		}
	}
	if n != size {
		return nil, fmt.Errorf("%w: %d bytes, announced %d", ErrVerify, n, size)
	}
	var got [32]byte
	if h.Sum(got[:0]); got != want {
		return nil, fmt.Errorf("%w: SHA-256 differs", ErrVerify)
	}
	return buf[:n], nil
}
