package capture

import (
	"encoding/binary"
	"unsafe"

	"github.com/google/gopacket/layers"
)

// With many conversations, the flow table's slot, the TCP stream and the
// conversation's counters that a frame needs are each a cache miss, and
// they cost more than all the decoding (BenchmarkTrafficMix/120k-flows).
// A miss does not have to be waited for alone: both goroutines look ahead
// in their batch, prefetchRun frames at a time, and fetch what those frames
// will need, so that the misses overlap. The decoder prefetches (prefetch,
// an instruction that waits for nothing) a run ahead; the counting loads
// (a load whose value is kept, in sink, which waits for all of them at
// once) the run it is about to count.
const prefetchRun = 16

// prefetchFrom is the number of conversations from which prefetching
// pays: with fewer, what the frames need stays in the cache, and reading
// the keys ahead would only cost (BenchmarkTrafficMix/few-flows).
const prefetchFrom = 4096

// quickFlowKey is the flow table key of an Ethernet (or 802.1Q) frame
// holding IPv4 and TCP or UDP, read straight from its bytes; ok is false
// for any other frame, which then is not prefetched. It decides nothing:
// the decoder looks the frame up as usual.
func quickFlowKey(b []byte, lt layers.LinkType) (k [2]uint64, fromFirst, ok bool) {
	if lt != layers.LinkTypeEthernet || len(b) < 14+20+4 {
		return k, false, false
	}
	off, et := 14, binary.BigEndian.Uint16(b[12:])
	if et == uint16(layers.EthernetTypeDot1Q) && len(b) >= 18+20+4 {
		off, et = 18, binary.BigEndian.Uint16(b[16:])
	}
	ip := b[off:]
	if et != uint16(layers.EthernetTypeIPv4) || ip[0]>>4 != 4 || binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
		return k, false, false
	}
	var t tap
	switch layers.IPProtocol(ip[9]) {
	case layers.IPProtocolTCP:
		t.kind = ConvTCP
	case layers.IPProtocolUDP:
		t.kind = ConvUDP
	default:
		return k, false, false
	}
	hl := int(ip[0]&0x0f) * 4
	if hl < 20 || len(ip) < hl+4 {
		return k, false, false
	}
	copy(t.src[:4], ip[12:16])
	copy(t.dst[:4], ip[16:20])
	t.sport, t.dpt = binary.BigEndian.Uint16(ip[hl:]), binary.BigEndian.Uint16(ip[hl+2:])
	k, fromFirst = flowKey4(&t)
	return k, fromFirst, true
}

// prefetchFlows prefetches, as the decoder reaches frame from of b (a
// multiple of prefetchRun), the flow table slots of the next run of
// frames, and the TCP streams of this run, whose slots it prefetched at
// the run before: a stream's number is in its slot. With prefetch, which
// stalls nothing, the lines arrive while the frames before them are
// decoded.
func (d *frameDecoder) prefetchFlows(b *frameBatch, from int) {
	ft := d.flows
	if int(ft.next) < prefetchFrom {
		return
	}
	mask := uint64(len(ft.slots) - 1)
	if from == 0 {
		d.slotsAhead(b, 0, mask)
	}
	cur := d.ahead
	d.slotsAhead(b, from+prefetchRun, mask)
	st := d.streams
	if st == nil {
		return
	}
	for x, j := range cur.at[:cur.n] {
		// The table may have grown since: then j is only some slot.
		if int(j) >= len(ft.slots) {
			continue
		}
		if s := ft.slots[j].stream - 1; s >= 0 && int(s) < len(st.slots) {
			// The slot spans cache lines: its owner and app, and the
			// frame's half from its sequence numbers to its message
			// state, a line every 64 bytes or less.
			sl := &st.slots[s]
			h := &sl.half[cur.dir[x]]
			prefetch(unsafe.Pointer(sl))
			prefetch(unsafe.Pointer(h))
			prefetch(unsafe.Pointer(&h.inHeader))
			prefetch(unsafe.Pointer(&h.untilClose))
		}
	}
}

// flowRun is the flow table slots of a run of frames that have a
// quickFlowKey, and the half of its TCP stream each frame is in
// (streamDir).
type flowRun struct {
	at  [prefetchRun]int32
	dir [prefetchRun]uint8
	n   int
}

// slotsAhead prefetches the flow table slots of the frames of b from on
// (a run of them) and keeps them in d.ahead.
func (d *frameDecoder) slotsAhead(b *frameBatch, from int, mask uint64) {
	r := &d.ahead
	r.n = 0
	for i := from; i < min(from+prefetchRun, len(b.recs)); i++ {
		if k, fromFirst, ok := quickFlowKey(b.data(i), b.recs[i].lt); ok {
			j := slotOf(k, mask)
			r.at[r.n], r.dir[r.n] = int32(j), 0
			if !fromFirst {
				r.dir[r.n] = 1
			}
			r.n++
			s := &d.flows.slots[j]
			prefetch(unsafe.Pointer(s)) // a slot may span two lines
			prefetch(unsafe.Pointer(&s.stream))
		}
	}
}

// prefetchCounts loads the conversations that the flow taps of a run of
// frames count in, and the DNS transactions of their IPv4 DNS messages.
func (a *Analyzer) prefetchCounts(taps []tap, apps []appFact, spans []batchSpan, from int) {
	a.prefetchDNS(apps, spans, from)
	if len(a.byFlow) < prefetchFrom {
		return
	}
	var es [prefetchRun]*convEntry
	n := 0
	prev := int32(0)
	if from > 0 {
		prev = spans[from-1].taps
	}
	for _, sp := range spans[from:min(from+prefetchRun, len(spans))] {
		// the frame's innermost tap is its flow's, when it has one
		if sp.taps > prev {
			if id := taps[sp.taps-1].flow - 1; id >= 0 && int(id) < len(a.byFlow) {
				if e := a.byFlow[id]; e != nil {
					es[n] = e
					n++
				}
			}
		}
		prev = sp.taps
	}
	var sink uint64
	for _, e := range es[:n] {
		// every cache line of the fields counting reads (ax to seq)
		sink += e.ax + uint64(e.first) + e.proto0.frames + e.ethx[0] + uint64(e.seq)
	}
	// Then, of the HTTP conversations, the server (appStats.serverOf),
	// its rows, and their last burst buckets, which an HTTP message ticks.
	var rows [3 * prefetchRun]*StatNode
	m := 0
	for _, e := range es[:n] {
		if sv := e.srv; sv != nil && sv.byAddr != nil {
			rows[m], rows[m+1], rows[m+2] = sv.byAddr, sv.addrHost, sv.hostAddr
			m += 3
		}
	}
	var last [3 * prefetchRun]*burstBucket
	k := 0
	for _, nd := range rows[:m] {
		if nd != nil {
			// StatNode.tick's fields, Count to bcount
			sink += nd.Count + b2u(nd.floats) + nd.bcount
			if len(nd.buckets) > 0 {
				last[k] = &nd.buckets[len(nd.buckets)-1]
				k++
			}
		}
	}
	for _, b := range last[:k] {
		sink += b.n
	}
	a.sink += sink
}

// prefetchDNS loads the slots of the DNS transactions that the IPv4 DNS
// messages of a run of frames will look up; with thousands of
// transactions each is a cache miss (BenchmarkTrafficMix/few-flows).
func (a *Analyzer) prefetchDNS(apps []appFact, spans []batchSpan, from int) {
	t := &a.apps.pending4
	if t.n < prefetchFrom {
		return
	}
	lo, hi := int32(0), spans[min(from+prefetchRun, len(spans))-1].apps
	if from > 0 {
		lo = spans[from-1].apps
	}
	var at [prefetchRun]uint64
	mask := uint64(len(t.slots) - 1)
	n := 0
	for i := lo; i < hi && n < len(at); i++ {
		if f := &apps[i]; f.kind == factDNS && !f.dns.v6 {
			at[n] = slotOf(dnsKey4(&f.dns), mask)
			n++
		}
	}
	var sink uint64
	for _, j := range at[:n] {
		sink += t.slots[j].k[0]
	}
	a.sink += sink
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}
