package mlcluster

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"sync"
	"time"

	"github.com/netlab-go/netlab/internal/floatwire"
)

// serveClient receives one job from a client, runs it, and streams progress
// and the result back. If the client goes away, the job is cancelled.
func (c *Coordinator) serveClient(ctx context.Context, conn *idleConn, br *bufio.Reader) {
	var wmu sync.Mutex
	send := func(typ byte, payload []byte) error {
		wmu.Lock()
		defer wmu.Unlock()
		return writeFrame(conn, typ, payload)
	}
	fail := func(err error) {
		conn.idle.Store(0)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("%w: the upload stalled: nothing arrived for %v", ErrBadInput, c.cfg.UploadTimeout)
			conn.SetWriteDeadline(time.Now().Add(time.Second))
			_ = send(fError, encodeError(err)) // a stalled client is not drained
			return
		}
		_ = send(fError, encodeError(err))
		drainUpload(conn, br, c.cfg.MaxFrame)
	}
	typ, payload, err := readFrame(br, c.cfg.MaxFrame) // still under the hello deadline
	if err != nil || typ != fSubmit {
		return
	}
	conn.idle.Store(int64(c.cfg.UploadTimeout)) // the upload must keep moving
	sub, err := decodeSubmit(payload)
	if err != nil {
		fail(err)
		return
	}
	if _, err := c.cfg.Algorithms.Lookup(sub.Algo); err != nil {
		fail(err)
		return
	}
	mode, err := ParseHeaderMode(sub.Params["header"])
	if err != nil {
		fail(err)
		return
	}
	ds, err := receiveDataset(br, c.cfg.MaxFrame, ParseOptions{Name: sub.Name, Header: mode,
		MaxValues: int(min(c.cfg.MaxDatasetBytes/8, int64(math.MaxInt)))})
	if err != nil {
		fail(err)
		return
	}
	conn.idle.Store(0) // the client now waits, silent, for the result
	conn.SetReadDeadline(time.Time{})

	jobCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	watch := make(chan struct{})
	go func() { // the client says nothing more; any read result means it left
		defer close(watch)
		_, _, _ = readFrame(br, 1)
		cancel()
	}()
	res, err := c.RunJob(jobCtx, ds, sub.Algo, sub.Params, func(p Progress) {
		_ = send(fProgress, encodeProgress(p))
	})
	if err != nil {
		if jobCtx.Err() != nil && ctx.Err() == nil {
			c.log.Info("client left; job cancelled", "remote", conn.RemoteAddr())
		}
		_ = send(fError, encodeError(err))
	} else {
		_ = send(fResult, encodeResult(res))
	}
	conn.Close()
	<-watch
}

// drainUpload reads and discards what the client still uploads (so it can
// read our error frame instead of a reset), for at most a few seconds.
func drainUpload(conn net.Conn, br *bufio.Reader, maxFrame int) {
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		typ, _, err := readFrame(br, maxFrame)
		if err != nil || typ == fEnd {
			return
		}
	}
}

// receiveDataset reads the dataset frames of a job: text (parsed as it
// arrives, never held whole) or rows already in binary.
func receiveDataset(br *bufio.Reader, maxFrame int, opt ParseOptions) (*Dataset, error) {
	typ, payload, err := readFrame(br, maxFrame)
	if err != nil {
		return nil, err
	}
	switch typ {
	case fShape:
		rows, cols, err := decodeShape(payload)
		if err != nil {
			return nil, err
		}
		return receiveShapedRows(br, maxFrame, opt, rows, cols)
	case fRows, fEnd:
		ds := &Dataset{Name: opt.Name}
		var blocks [][]float64 // joined once at the end
		var scratch []byte     // decodeRows copies the values out
		total := 0
		for typ == fRows {
			cols, vals, err := decodeRows(payload)
			if err != nil {
				return nil, err
			}
			if ds.Cols != 0 && cols != ds.Cols {
				return nil, fmt.Errorf("%w: rows of %d columns after rows of %d", ErrBadInput, cols, ds.Cols)
			}
			ds.Cols = cols
			if total += len(vals); opt.MaxValues > 0 && total > opt.MaxValues {
				return nil, fmt.Errorf("%w: the dataset has more than %d values, the limit", ErrBadInput, opt.MaxValues)
			}
			blocks = append(blocks, vals)
			if typ, payload, err = readFrameReuse(br, maxFrame, &scratch); err != nil {
				return nil, err
			}
		}
		if len(blocks) == 1 {
			ds.Data = blocks[0]
		} else {
			ds.Data = make([]float64, 0, total)
			for _, b := range blocks {
				ds.Data = append(ds.Data, b...)
			}
		}
		if ds.Cols > 0 {
			ds.Rows = len(ds.Data) / ds.Cols
		}
		if typ != fEnd {
			return nil, fmt.Errorf("%w: frame type %d in a row upload", ErrProtocol, typ)
		}
		if ds.Rows == 0 {
			return nil, &ParseError{File: ds.Name, Line: 1, Column: 1, Msg: "no data rows (empty file)"}
		}
		return ds, nil
	case fText:
		tr := &textReader{br: br, max: maxFrame, buf: payload}
		ds, err := Parse(tr, opt)
		if err == nil && !tr.end { // a parse that stopped early must still see the end
			_, err = io.Copy(io.Discard, tr)
		}
		return ds, err
	}
	return nil, fmt.Errorf("%w: frame type %d where the dataset should start", ErrProtocol, typ)
}

// receiveShapedRows reads the rows frames of an upload whose shape was
// declared first: the values are read from the connection straight into
// the dataset's memory, allocated once (the declared size is checked
// against MaxValues first), with no per-frame buffer, decoding copy or
// final join.
func receiveShapedRows(br *bufio.Reader, maxFrame int, opt ParseOptions, rows, cols int) (*Dataset, error) {
	limit := opt.MaxValues
	if limit <= 0 { // no limit set: still never reserve more than the default 4 GiB
		limit = int(min(DefaultConfig().MaxDatasetBytes/8, math.MaxInt32))
	}
	if uint64(rows)*uint64(cols) > uint64(limit) {
		return nil, fmt.Errorf("%w: a dataset of %d rows of %d columns has more than %d values, the limit", ErrBadInput, rows, cols, limit)
	}
	ds := &Dataset{Name: opt.Name, Rows: rows, Cols: cols, Data: make([]float64, rows*cols)}
	filled := 0
	for {
		typ, n, err := readFrameHeader(br, maxFrame)
		if err != nil {
			return nil, unexpected(err)
		}
		if typ != fRows {
			if _, _, err := readPayload(br, typ, n, nil); err != nil {
				return nil, err
			}
			if typ != fEnd {
				return nil, fmt.Errorf("%w: frame type %d in a row upload", ErrProtocol, typ)
			}
			break
		}
		var pre [8]byte
		if n < 8 {
			return nil, fmt.Errorf("%w: rows frame of %d bytes", ErrProtocol, n)
		}
		if _, err := io.ReadFull(br, pre[:]); err != nil {
			return nil, unexpected(err)
		}
		c, count := binary.LittleEndian.Uint32(pre[:]), binary.LittleEndian.Uint32(pre[4:])
		switch {
		case uint64(count)*8 != uint64(n)-8:
			return nil, fmt.Errorf("%w: rows frame says %d values but carries %d bytes", ErrProtocol, count, n-8)
		case int(c) != cols:
			return nil, fmt.Errorf("%w: rows of %d columns in a dataset declared with %d", ErrBadInput, c, cols)
		case int(count)%cols != 0:
			return nil, fmt.Errorf("%w: %d values do not make rows of %d columns", ErrProtocol, count, cols)
		case int(count) > len(ds.Data)-filled:
			return nil, fmt.Errorf("%w: more rows than the %d declared", ErrBadInput, rows)
		}
		dst := ds.Data[filled : filled+int(count)]
		if _, err := io.ReadFull(br, floatwire.Bytes(dst)); err != nil {
			return nil, unexpected(err)
		}
		if !floatwire.Native() { // the bytes are little-endian: convert in place
			raw := floatwire.Bytes(dst)
			for i := range dst {
				dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		}
		filled += int(count)
	}
	if filled != len(ds.Data) {
		return nil, fmt.Errorf("%w: %d rows declared, %d sent", ErrBadInput, rows, filled/cols)
	}
	return ds, nil
}

// textReader presents a run of text frames ending in an end frame as one
// stream.
type textReader struct {
	br  *bufio.Reader
	max int
	buf []byte
	end bool
}

func (t *textReader) Read(p []byte) (int, error) {
	for len(t.buf) == 0 {
		if t.end {
			return 0, io.EOF
		}
		typ, payload, err := readFrame(t.br, t.max)
		if err != nil {
			return 0, unexpected(err)
		}
		switch typ {
		case fText:
			t.buf = payload
		case fEnd:
			t.end = true
		default:
			return 0, fmt.Errorf("%w: frame type %d in a text upload", ErrProtocol, typ)
		}
	}
	n := copy(p, t.buf)
	t.buf = t.buf[n:]
	return n, nil
}
