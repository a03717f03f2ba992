package capture

import (
	"context"
	"errors"
	"io"
)

// ReadFrom splits the work over two goroutines: one reads and checks the
// records of the file (framer and pcapgo) and copies their frames into
// batches, the other decodes and counts them. Three batches of at most
// batchFrames frames or about batchBytes bytes circulate between them, so
// memory stays bounded whatever the size of the file.
const (
	batchFrames = 1024
	batchBytes  = 1 << 20
	batches     = 3
)

// frameBatch is frames read ahead, their bytes copied into buf, and the read
// error (io.EOF at the end of the file) that came after the last of them.
type frameBatch struct {
	pkts []Packet
	ends []int // end of each frame's bytes in buf
	buf  []byte
	err  error
}

// fill reads up to a batch of frames from r; it stops early at a read error,
// which it keeps in b.err.
func (b *frameBatch) fill(r *Reader) {
	b.pkts, b.ends, b.buf, b.err = b.pkts[:0], b.ends[:0], b.buf[:0], nil
	for len(b.pkts) < batchFrames && len(b.buf) < batchBytes {
		p, err := r.Next()
		if err != nil {
			b.err = err
			break
		}
		b.buf = append(b.buf, p.Data...)
		b.ends = append(b.ends, len(b.buf))
		b.pkts = append(b.pkts, p)
	}
	// buf may have moved as it grew: point the frames into it at the end.
	start := 0
	for i, end := range b.ends {
		b.pkts[i].Data = b.buf[start:end:end]
		start = end
	}
}

// readAhead fills free batches from r and hands them over in order until a
// batch ends with a read error or stop is closed.
func readAhead(r *Reader, free <-chan *frameBatch, full chan<- *frameBatch, stop <-chan struct{}) {
	for {
		var b *frameBatch
		select {
		case b = <-free:
		case <-stop:
			return
		}
		b.fill(r)
		full <- b // never blocks: full has room for every batch
		if b.err != nil {
			return
		}
	}
}

// ReadFrom feeds the Analyzer every frame of r until the end of the file,
// the first read error, or ctx ends. Frames read before an error stay
// counted. It returns nil at the end of the file.
//
// Reading runs on a goroutine of its own, ahead of the counting by at most
// a few thousand frames; ReadFrom waits for it before it returns. Frames
// it read ahead but did not count (when ctx ends) are handed back to r, so
// the next Next or ReadFrom on r starts at the first frame not counted.
func (a *Analyzer) ReadFrom(ctx context.Context, r *Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	free := make(chan *frameBatch, batches)
	full := make(chan *frameBatch, batches)
	for range batches {
		free <- &frameBatch{}
	}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		readAhead(r, free, full, stop)
	}()
	var cur *frameBatch // the batch being counted
	next := 0           // its first frame not yet counted
	defer func() {
		close(stop)
		<-done
		// Hand back what was read and not counted, in order.
		if cur != nil && (next < len(cur.pkts) || cur.err != nil) {
			r.backlog = append(r.backlog, backlogBatch{b: cur, next: next})
		}
		for {
			select {
			case b := <-full:
				r.backlog = append(r.backlog, backlogBatch{b: b})
				continue
			default:
			}
			break
		}
	}()
	for {
		select {
		case cur = <-full:
			next = 0
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		for next < len(cur.pkts) {
			a.Add(cur.pkts[next])
			next++
		}
		if err := cur.err; err != nil {
			cur = nil
			if errors.Is(err, io.EOF) {
				return nil
			}
			if a.cfg.Logger != nil {
				a.cfg.Logger.Warn("capture read error", "err", err, "frames", a.sum.Frames)
			}
			return err
		}
		free <- cur // never blocks: free has room for every batch
		cur = nil
	}
}

// backlogBatch is a batch ReadFrom read ahead and did not count, from frame
// next on.
type backlogBatch struct {
	b    *frameBatch
	next int
}

// nextBacklog returns the first frame (or the read error) that ReadFrom
// handed back; ok is false when there is none.
func (rd *Reader) nextBacklog() (p Packet, ok bool, err error) {
	for len(rd.backlog) > 0 {
		bb := &rd.backlog[0]
		if bb.next < len(bb.b.pkts) {
			p = bb.b.pkts[bb.next]
			bb.next++
			return p, true, nil
		}
		err = bb.b.err
		rd.backlog[0] = backlogBatch{}
		rd.backlog = rd.backlog[1:]
		if err != nil {
			return Packet{}, true, err
		}
	}
	rd.backlog = nil
	return Packet{}, false, nil
}
