package pdu

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
)

// Errors of a content transfer.
var (
	// ErrIncomplete: the stream ended before the F frame.
	ErrIncomplete = errors.New("pdu: content ended before the F frame")
	// ErrVerify: the received content does not match the announced size or
	// SHA-256 (Framed).
	ErrVerify = errors.New("pdu: content does not match its announcement")
)

// RemoteError is an E PDU received where content was expected: the server
// refused the download and said why.
type RemoteError struct{ Text string }

// Error returns the text with a prefix saying it came from the server.
func (e *RemoteError) Error() string { return "pdu: server replied E: " + e.Text }

// sendBlock is how much content SendContent reads from its source at a time,
// and about how much it writes to the stream at a time.
const sendBlock = 256 << 10

// SendContent writes size bytes read from src to w as the content frames of
// codec c: with Framed first a C frame announcing size and sum; then C frames
// of exactly Limits().MaxData bytes; then one F frame with the remaining
// bytes (an empty F when size is a multiple of MaxData). The caller closes
// the connection afterwards. sum is ignored by codecs that do not announce.
func SendContent(w io.Writer, c Codec, src io.Reader, size int64, sum [32]byte) error {
	if size < 0 {
		return fmt.Errorf("pdu: negative content size %d", size)
	}
	lim := c.Limits()
	chunk := lim.MaxData
	block := make([]byte, max(1, sendBlock/chunk)*chunk)
	out := make([]byte, 0, sendBlock+lim.MaxFrame)
	var err error
	if lim.Announce {
		if out, err = c.Append(out, &PDU{Type: Content, Announce: true, Size: size, Sum: sum}); err != nil {
			return err
		}
	}
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

// ReceiveContent reads content frames of codec c from r (a reader made with
// NewReader) until the F frame and writes their data to dst. With a codec that
// announces, it checks the data against the announced size as it goes and
// against the SHA-256 at the end (ErrVerify). An E frame instead of content
// returns a *RemoteError; a stream that ends before F returns ErrIncomplete.
// It returns the number of content bytes written to dst. onFrame, when not
// nil, sees every frame as it arrives (to trace a transfer); p.Data is valid
// only during the call.
func ReceiveContent(r *bufio.Reader, c Codec, dst io.Writer, onFrame func(p *PDU)) (int64, error) {
	lim := c.Limits()
	bw := bufio.NewWriterSize(dst, sendBlock)
	var (
		p         PDU
		n         int64
		size      int64 = -1
		h         hash.Hash
		announced bool
		want      [32]byte
	)
	for first := true; ; first = false {
		err := c.ReadPDU(r, Reply, &p)
		switch {
		case err == io.EOF:
			return n, fmt.Errorf("%w (after %d bytes)", ErrIncomplete, n)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return n, fmt.Errorf("%w (after %d bytes): %w", ErrIncomplete, n, err)
		case err != nil:
			return n, err
		}
		if onFrame != nil {
			onFrame(&p)
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
			announced, size, want, h = true, p.Size, p.Sum, sha256.New()
		}
		if first && lim.Announce && !announced {
			return n, fmt.Errorf("pdu: %c PDU: %w: the first frame does not announce size and SHA-256", rune(p.Type), ErrMalformed)
		}
		if announced && n+int64(len(p.Data)) > size {
			return n, fmt.Errorf("%w: more than the announced %d bytes", ErrVerify, size)
		}
		if _, err := bw.Write(p.Data); err != nil {
			return n, err
		}
		if h != nil {
			h.Write(p.Data)
		}
		n += int64(len(p.Data))
		if p.Type == Final {
			break
		}
	}
	if err := bw.Flush(); err != nil {
		return n, err
	}
	if announced {
		if n != size {
			return n, fmt.Errorf("%w: %d bytes, announced %d", ErrVerify, n, size)
		}
		var got [32]byte
		if h.Sum(got[:0]); got != want {
			return n, fmt.Errorf("%w: SHA-256 differs", ErrVerify)
		}
	}
	return n, nil
}
