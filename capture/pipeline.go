package capture

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"
)

// ReadFrom splits the work over three goroutines: one reads and checks
// the records of the file (framer and pcapgo) into batches, one decodes
// them, and the caller's goroutine counts them. Decoding a frame costs
// about as much as reading and counting it together, so on two cores the
// three stages share the two evenly (one goroutine reading and decoding
// would be the slower half). Batches of at most batchFrames frames or
// about batchBytes bytes circulate between them, batches of them in all,
// so memory stays bounded whatever the size of the file.
const (
	batchFrames = 4096
	batchBytes  = 1 << 20
	batches     = 6
)

// frameBatch is frames read ahead, decoded once decoded is set, and the
// read error (io.EOF at the end of the file) that came after the last of
// them. The frames' bytes are copied into buf only so that the frames can
// go back to the Reader if they are not counted.
type frameBatch struct {
	pkts    []Packet
	ends    []int // end of each frame's bytes in buf
	buf     []byte
	decoded bool
	facts   []frameFacts
	spans   []batchSpan // end of each frame's path and taps in paths and taps
	paths   []proto
	taps    []tap
	apps    []appFact
	err     error
}

type batchSpan struct{ path, taps, apps int32 }

// read reads up to a batch of frames from r; it stops early at a read
// error, which it keeps in b.err.
func (b *frameBatch) read(r *Reader) {
	b.pkts, b.ends, b.buf, b.err, b.decoded = b.pkts[:0], b.ends[:0], b.buf[:0], nil, false
	add := func(data []byte, sec, nsec int64, length int, off int64) {
		b.buf = append(b.buf, data...)
		b.ends = append(b.ends, len(b.buf))
		b.pkts = append(b.pkts, Packet{Timestamp: time.Unix(sec, nsec).UTC(), Length: length, LinkType: r.linkType, Offset: off})
	}
	for len(b.pkts) < batchFrames && len(b.buf) < batchBytes {
		// Records whole in the reader's buffer (64 KiB, so at most that
		// much past batchBytes) are taken straight from it; the one that
		// is not, or is damaged, goes through Next.
		if r.pcap && len(r.backlog) == 0 && r.done == nil && r.framer.pcapRun(batchFrames-len(b.pkts), add) > 0 {
			continue
		}
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

// decode decodes the frames of b.
func (b *frameBatch) decode(dec *frameDecoder) {
	b.facts, b.spans, b.paths, b.taps = b.facts[:0], b.spans[:0], b.paths[:0], b.taps[:0]
	clear(b.apps) // let go of their strings
	b.apps = b.apps[:0]
	for i := range b.pkts {
		if i%prefetchRun == 0 {
			dec.prefetchFlows(b.pkts[i:min(i+prefetchRun, len(b.pkts))])
		}
		p := &b.pkts[i]
		f := frameFacts{wire: uint64(max(p.Length, len(p.Data))), captured: uint64(len(p.Data)), truncated: p.Truncated()}
		if !p.Timestamp.IsZero() {
			f.ts = p.Timestamp.UnixNano()
		}
		if pre := p.pre; pre != nil {
			f.malformed = pre.malformed
			b.paths = append(b.paths, pre.path...)
			b.taps = append(b.taps, pre.taps...)
			b.apps = append(b.apps, pre.apps...)
			p.pre = nil
		} else {
			f.malformed = dec.decode(p.Data, p.LinkType, f.truncated)
			b.paths = append(b.paths, dec.path...)
			b.taps = append(b.taps, dec.taps...)
			b.apps = append(b.apps, dec.apps...)
		}
		b.facts = append(b.facts, f)
		b.spans = append(b.spans, batchSpan{path: int32(len(b.paths)), taps: int32(len(b.taps)), apps: int32(len(b.apps))})
	}
	b.decoded = true
}

// stage takes batches from in, works on each, and hands them over to out
// in the same order, until a batch ends with a read error or stop is
// closed: ReadFrom's reading stage (from the free batches) and its
// decoding stage (from the read ones).
func stage(in <-chan *frameBatch, out chan<- *frameBatch, stop <-chan struct{}, work func(*frameBatch)) {
	for {
		var b *frameBatch
		select {
		case b = <-in:
		case <-stop:
			return
		}
		work(b)
		out <- b // never blocks: out has room for every batch
		if b.err != nil {
			return
		}
	}
}

// ReadFrom feeds the [Analyzer] every frame of r until the end of the file,
// the first read error, or ctx ends. Frames read before an error stay
// counted. It returns nil at the end of the file.
//
// Reading and decoding run on goroutines of their own, ahead of the
// counting by at most six batches of 4096 frames; ReadFrom waits for them
// before it returns. Frames they read ahead but did not count (when ctx
// ends) are handed back to r, so the next Next or ReadFrom on r starts at
// the first frame not counted.
func (a *Analyzer) ReadFrom(ctx context.Context, r *Reader) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if a.cfg.SkipDamaged {
		r.SkipDamaged(true)
	}
	defer func() { a.sum.Skipped = r.Skipped() }()
	free := make(chan *frameBatch, batches)
	read := make(chan *frameBatch, batches)
	full := make(chan *frameBatch, batches)
	for range batches {
		free <- getBatch()
	}
	if a.rdec == nil {
		a.rdec = newFrameDecoder(a.flows, a.streams)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	dec := a.rdec
	wg.Go(func() { defer timeStage("read")(); stage(free, read, stop, func(b *frameBatch) { b.read(r) }) })
	wg.Go(func() { defer timeStage("decode")(); stage(read, full, stop, func(b *frameBatch) { b.decode(dec) }) })
	defer timeStage("count")()
	var cur *frameBatch // the batch being counted
	next := 0           // its first frame not yet counted
	defer func() {
		close(stop)
		wg.Wait()
		// Hand back what was read and not counted, in order: every
		// decoded batch came before every batch still to decode.
		if cur != nil && (next < len(cur.pkts) || cur.err != nil) {
			r.backlog = append(r.backlog, backlogBatch{b: cur, next: next})
		}
		for _, ch := range []chan *frameBatch{full, read} {
			for len(ch) > 0 {
				r.backlog = append(r.backlog, backlogBatch{b: <-ch})
			}
		}
		for len(free) > 0 {
			batchPool.Put(<-free)
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
		var path, taps, apps int32
		for next < len(cur.pkts) {
			if next%prefetchRun == 0 {
				a.prefetchCounts(cur.taps, cur.apps, cur.spans, next)
			}
			sp := cur.spans[next]
			a.account(&cur.facts[next], cur.paths[path:sp.path], cur.taps[taps:sp.taps], cur.apps[apps:sp.apps])
			path, taps, apps = sp.path, sp.taps, sp.apps
			next++
		}
		if err := cur.err; err != nil {
			batchPool.Put(cur)
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

// stageTimer, when a benchmark sets it, is called by each of ReadFrom's
// three stages ("read", "decode", "count") on the goroutine that runs it,
// as the stage starts, and the function it returns as the stage ends:
// BenchmarkTrafficMix measures each stage's CPU time with it.
var stageTimer func(stage string) (end func())

func timeStage(stage string) func() {
	if stageTimer == nil {
		return func() {}
	}
	return stageTimer(stage)
}

// batchPool keeps batches, with their grown buffers, from one ReadFrom to
// the next.
var batchPool = sync.Pool{New: func() any {
	return &frameBatch{
		pkts: make([]Packet, 0, batchFrames), ends: make([]int, 0, batchFrames),
		buf:   make([]byte, 0, batchBytes+64<<10),
		facts: make([]frameFacts, 0, batchFrames), spans: make([]batchSpan, 0, batchFrames),
		paths: make([]proto, 0, 8*batchFrames), taps: make([]tap, 0, 4*batchFrames),
	}
}}

func getBatch() *frameBatch { return batchPool.Get().(*frameBatch) }

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
		if i := bb.next; i < len(bb.b.pkts) {
			p = bb.b.pkts[i]
			bb.next++
			if !bb.b.decoded {
				return p, true, nil
			}
			var from batchSpan
			if i > 0 {
				from = bb.b.spans[i-1]
			}
			to := bb.b.spans[i]
			p.pre = &predecoded{path: bb.b.paths[from.path:to.path], taps: bb.b.taps[from.taps:to.taps],
				apps: bb.b.apps[from.apps:to.apps], malformed: bb.b.facts[i].malformed}
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
