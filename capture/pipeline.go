package capture

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/google/gopacket/layers"
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
// them. The frames' bytes are copied into buf, one after the other, only
// so that the frames can go back to the Reader if they are not counted.
type frameBatch struct {
	recs    []frameRec
	buf     []byte
	decoded bool
	facts   []frameFacts
	spans   []batchSpan // end of each frame's path and taps in paths and taps
	paths   []proto
	taps    []tap
	apps    []appFact
	err     error
}

// frameRec is a frame of a batch, what [Packet] says of it in less room
// (the batch's frames are written once and read twice, and 48 bytes
// instead of 88, a Packet and its end, is fewer cache lines): its bytes
// end at buf[end], its timestamp is sec and nsec as time.Unix takes them.
type frameRec struct {
	end    int
	sec    int64
	off    int64
	pre    *predecoded
	nsec   int32
	length uint32
	lt     layers.LinkType
}

type batchSpan struct{ path, taps, apps int32 }

// zeroSec is the Unix seconds of the zero time.Time (a frame without a
// timestamp), which time.Unix(zeroSec, 0).UTC() gives back.
const zeroSec = -62135596800

// add appends a frame to the batch.
func (b *frameBatch) add(data []byte, sec int64, nsec int32, length int, lt layers.LinkType, off int64, pre *predecoded) {
	b.buf = append(b.buf, data...)
	b.recs = append(b.recs, frameRec{end: len(b.buf), nsec: nsec, length: uint32(length), lt: lt, sec: sec, off: off, pre: pre})
}

// data returns the bytes of frame i.
func (b *frameBatch) data(i int) []byte {
	start := 0
	if i > 0 {
		start = b.recs[i-1].end
	}
	end := b.recs[i].end
	return b.buf[start:end:end]
}

// packet returns frame i as the [Reader] returned it.
func (b *frameBatch) packet(i int) Packet {
	r := &b.recs[i]
	return Packet{Data: b.data(i), Timestamp: time.Unix(r.sec, int64(r.nsec)).UTC(), Length: int(r.length), LinkType: r.lt, Offset: r.off, pre: r.pre}
}

// read reads up to a batch of frames from r; it stops early at a read
// error, which it keeps in b.err.
func (b *frameBatch) read(r *Reader) {
	b.recs, b.buf, b.err, b.decoded = b.recs[:0], b.buf[:0], nil, false
	add := func(data []byte, sec, nsec int64, length int, off int64) {
		// A record's fraction of a second can be a second or more (a
		// microsecond field over 999999): normalised as time.Unix does.
		b.add(data, sec+nsec/1e9, int32(nsec%1e9), length, r.linkType, off, nil)
	}
	for len(b.recs) < batchFrames && len(b.buf) < batchBytes {
		// Records whole in the reader's buffer (64 KiB, so at most that
		// much past batchBytes) are taken straight from it; the one that
		// is not, or is damaged, goes through Next.
		if r.pcap && len(r.backlog) == 0 && r.done == nil && r.framer.pcapRun(batchFrames-len(b.recs), add) > 0 {
			continue
		}
		p, err := r.Next()
		if err != nil {
			b.err = err
			break
		}
		b.add(p.Data, p.Timestamp.Unix(), int32(p.Timestamp.Nanosecond()), p.Length, p.LinkType, p.Offset, p.pre)
	}
}

// decode decodes the frames of b.
func (b *frameBatch) decode(dec *frameDecoder) {
	b.facts, b.spans, b.paths, b.taps = b.facts[:0], b.spans[:0], b.paths[:0], b.taps[:0]
	clear(b.apps) // let go of their strings
	b.apps = b.apps[:0]
	start := 0
	for i := range b.recs {
		if i%prefetchRun == 0 {
			dec.prefetchFlows(b, i)
		}
		r := &b.recs[i]
		data := b.buf[start:r.end:r.end]
		start = r.end
		f := frameFacts{wire: uint64(max(int(r.length), len(data))), captured: uint64(len(data)), truncated: len(data) < int(r.length)}
		if r.sec != zeroSec || r.nsec != 0 {
			f.ts = r.sec*1e9 + int64(r.nsec)
		}
		if pre := r.pre; pre != nil {
			f.malformed = pre.malformed
			b.paths = append(b.paths, pre.path...)
			b.taps = append(b.taps, pre.taps...)
			b.apps = append(b.apps, pre.apps...)
			r.pre = nil
		} else {
			// The decoder writes the rows and taps straight into the
			// batch, in room of its usual bounds, instead of copying them
			// there after.
			b.paths, b.taps = slices.Grow(b.paths, maxPath), slices.Grow(b.taps, maxTaps)
			np, nt := len(b.paths), len(b.taps)
			dec.path, dec.taps = b.paths[np:np:np+maxPath], b.taps[nt:nt:nt+maxTaps]
			f.malformed = dec.decode(data, r.lt, f.truncated)
			b.paths, b.taps = b.paths[:np+len(dec.path)], b.taps[:nt+len(dec.taps)]
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
		a.rdec = a.newDecoder()
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
		if cur != nil && (next < len(cur.recs) || cur.err != nil) {
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
		for next < len(cur.recs) {
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
		recs:  make([]frameRec, 0, batchFrames),
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
		if i := bb.next; i < len(bb.b.recs) {
			p = bb.b.packet(i)
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
