package capture

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"time"
)

// Config configures an [Analyzer].
type Config struct {
	// MaxPacketSize bounds the captured length of one frame when reading a
	// file; longer records are reported as corrupt. Default 262144
	// (Wireshark's limit).
	MaxPacketSize int
	// MaxConversations bounds each conversation table. Frames of a new
	// conversation beyond it still count in the hierarchy and the totals,
	// and in [Summary.ConversationsDropped]. Default 1,000,000.
	MaxConversations int
	// Logger receives a line per read error; nil is silent.
	Logger *slog.Logger
	// Interval is the width of the I/O statistics' intervals (tshark -z
	// io,stat,INTERVAL). Default 1 s.
	Interval time.Duration
	// MaxStreams bounds the TCP conversations being reassembled at once,
	// and with them the memory reassembly takes (a 216-byte slot each, and
	// an unfinished HTTP header of at most 64 KiB, usually none); beyond
	// it the oldest stream is forgotten. Default 100,000.
	MaxStreams int
	// NoPayloads turns payload dissection and TCP reassembly off: rows stop
	// at tcp and udp (and DNS on port 53), which is faster.
	NoPayloads bool
	// SkipDamaged makes ReadFile and ReadFrom continue past a damaged
	// record instead of stopping there; [Summary.Skipped] counts them.
	SkipDamaged bool
}

// DefaultConfig returns the defaults described on [Config].
func DefaultConfig() Config {
	return Config{MaxPacketSize: defaultMaxPacket, MaxConversations: 1_000_000, Interval: time.Second, MaxStreams: 100_000}
}

func (c Config) validate() error {
	if c.MaxPacketSize < minMaxPacketLimit {
		return fmt.Errorf("capture: Config.MaxPacketSize %d is below %d", c.MaxPacketSize, minMaxPacketLimit)
	}
	if c.Interval < 0 {
		return fmt.Errorf("capture: Config.Interval %v is negative", c.Interval)
	}
	if c.MaxStreams < 0 {
		return fmt.Errorf("capture: Config.MaxStreams %d is negative", c.MaxStreams)
	}
	if c.MaxConversations < 1 {
		return fmt.Errorf("capture: Config.MaxConversations %d must be at least 1", c.MaxConversations)
	}
	return nil
}

// Summary is the capture's totals.
type Summary struct {
	Frames               uint64    // frames seen
	Bytes                uint64    // their wire lengths added up
	CapturedBytes        uint64    // bytes actually captured
	Malformed            uint64    // frames on which a layer failed to decode
	Truncated            uint64    // frames cut short by the snap length
	Skipped              uint64    // damaged records skipped (Config.SkipDamaged)
	ConversationsDropped uint64    // frames not counted in a conversation table that was full
	First, Last          time.Time // first and last timestamps
}

// Analyzer counts frames into a protocol hierarchy, conversation tables and
// endpoints as it is fed, in memory that grows with the number of
// conversations, never with the number of frames. It is not safe for
// concurrent use.
type Analyzer struct {
	cfg   Config
	dec   *frameDecoder
	rdec  *frameDecoder // ReadFrom's reading goroutine's, made on first use
	hier  *Hierarchy
	sum   Summary
	first int64
	last  int64

	// Conversation tables. The common cases get small keys that hash fast:
	// two MACs, two IPv4 addresses, two IPv4 address:port pairs packed
	// into integers; IPv6 uses the general key.
	eth2  map[[2]uint64]*convEntry
	ip4   map[uint64]*convEntry
	convs map[convKey]*convEntry // ipv6 (TCP and UDP are found by their flow number)
	order [convKinds][]*convEntry

	slab    []convEntry  // the block new conversations are taken from
	flows   *flowTable   // numbers the TCP and UDP conversations as they are decoded
	byFlow  []*convEntry // the TCP and UDP conversations by their flow number
	streams *streamTable // TCP reassembly; nil with Config.NoPayloads
	arp     *arpBindings // ARP bindings for duplicate address detection, shared by dec and rdec
	apps    *appStats
	io      []ioBucket // frames and bytes per Config.Interval from the first frame
	ioStart int64
	lengths lengthCounts // frames by wire length (lengths.go)
	sink    uint64       // keeps the loads of prefetchCounts
}

// New returns an [Analyzer], or an error naming the [Config] field that is wrong.
func New(cfg Config) (*Analyzer, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Interval == 0 {
		cfg.Interval = time.Second
	}
	if cfg.MaxStreams == 0 {
		cfg.MaxStreams = 100_000
	}
	a := &Analyzer{cfg: cfg, hier: newHierarchy(), convs: map[convKey]*convEntry{},
		eth2: map[[2]uint64]*convEntry{}, ip4: map[uint64]*convEntry{}, apps: newAppStats()}
	a.flows = newFlowTable(cfg.MaxConversations)
	if !cfg.NoPayloads {
		a.streams = newStreamTable(cfg.MaxStreams)
	}
	a.arp = newARPBindings()
	a.dec = a.newDecoder()
	return a, nil
}

// newDecoder returns a decoder of a's frames: Add's, or ReadFrom's, which
// share the conversations, the TCP streams and the ARP bindings.
func (a *Analyzer) newDecoder() *frameDecoder {
	d := newFrameDecoder(a.flows, a.streams)
	d.arp = a.arp
	return d
}

// Add counts one frame. It never fails: a frame that does not decode is
// counted as malformed.
func (a *Analyzer) Add(p Packet) {
	f := frameFacts{wire: uint64(max(p.Length, len(p.Data))), captured: uint64(len(p.Data)), truncated: p.Truncated()}
	if !p.Timestamp.IsZero() {
		f.ts = p.Timestamp.UnixNano()
	}
	if pre := p.pre; pre != nil {
		f.malformed = pre.malformed
		a.account(&f, pre.path, pre.taps, pre.apps)
		return
	}
	f.malformed = a.dec.decode(p.Data, p.LinkType, f.truncated)
	a.account(&f, a.dec.path, a.dec.taps, a.dec.apps)
}

// frameFacts is what counting needs of a frame besides its decoded path
// and taps.
type frameFacts struct {
	wire, captured       uint64
	ts                   int64 // Unix nanoseconds; 0 for a frame without a timestamp
	malformed, truncated bool
}

// account counts a decoded frame: its path of protocols into the
// hierarchy, its taps into the conversation tables.
func (a *Analyzer) account(f *frameFacts, path []proto, taps []tap, apps []appFact) {
	wire, ts := f.wire, f.ts // a frame without a timestamp (a pcapng simple packet block) counts as 1970, as in Wireshark
	if f.malformed {
		a.sum.Malformed++
	}
	if f.truncated {
		a.sum.Truncated++
	}
	a.hier.add(path, wire)
	a.lengths.add(wire)
	if a.sum.Frames == 0 {
		a.first, a.last = ts, ts
		a.apps.setBase(ts)
	}
	a.first, a.last = min(a.first, ts), max(a.last, ts)
	a.countIO(ts, wire)
	a.sum.Frames++
	a.sum.Bytes += wire
	a.sum.CapturedBytes += f.captured
	top := topProto(path)
	// The innermost TCP or UDP conversation first: its cached eth and IP
	// conversations spare those lookups. The others then in order, outer
	// first, which is the order in which Wireshark's taps add them.
	var flow *convEntry
	var flowFromA bool
	flowAt := -1
	for i := len(taps) - 1; i >= 0; i-- {
		if k := taps[i].kind; k == ConvTCP || k == ConvUDP {
			flow, flowFromA = a.find(&taps[i])
			flowAt = i
			break
		}
	}
	for i := range apps {
		a.apps.add(&apps[i], ts, flow)
	}
	if flow != nil {
		if flowAt == 2 && len(taps) == 3 && taps[0].kind == ConvEth && (taps[1].kind == ConvIPv4 || taps[1].kind == ConvIPv6) {
			if a.rollFrame(flow, flowFromA, taps, wire, ts, top) {
				return
			}
		} else if flow.rolled {
			a.unroll(flow)
		}
	}
	for i := range taps {
		t := &taps[i]
		var e *convEntry
		var fromA bool
		switch {
		case i == flowAt:
			e, fromA = flow, flowFromA
		case flow != nil && t.kind <= ConvIPv6:
			var hit bool
			if p := flow.parents[t.kind]; p != nil {
				if fromA, hit = p.holds(t); hit {
					e = p
				}
			}
			if !hit {
				if e, fromA = a.find(t); e != nil {
					flow.parents[t.kind] = e
				}
			}
		default:
			e, fromA = a.find(t)
		}
		if e != nil {
			a.count(e, t.kind, fromA, wire, ts, top)
		}
	}
}

// rollFrame counts a frame of the usual shape (eth, IP, then the flow's
// TCP or UDP) on its flow alone when the flow is rolled up, and reports
// whether it did. A new flow whose eth and IP conversations are two
// distinct addresses each is rolled up: its parents are found once, here,
// so that they appear in their tables in the order tshark lists them, and
// record the protocols in the order they appear; from then on the flow's
// frames only touch the flow, and its counters are added to the parents
// when they are exported. The first frame that does not fit (other MACs,
// another shape) adds the flow's counters to its parents, and the flow is
// counted frame by frame from then on: the totals are the same either way.
func (a *Analyzer) rollFrame(flow *convEntry, fromA bool, taps []tap, wire uint64, ts int64, top proto) bool {
	eth, ip := &taps[0], &taps[1]
	ex, ey := be48(eth.src[:6]), be48(eth.dst[:6])
	if !fromA {
		ex, ey = ey, ex
	}
	if flow.rolled {
		if ex == flow.ethx[0] && ey == flow.ethx[1] && flowHolds(flow, ip, fromA) {
			a.count(flow, flow.kind, fromA, wire, ts, top)
			if pc := flow.proto0; pc.p != top || flow.more != nil {
				a.registerProto(flow, top)
			}
			return true
		}
		a.unroll(flow)
		return false
	}
	if flow.aFrames+flow.bFrames != 0 || ex == ey || ip.src == ip.dst || !flowHolds(flow, ip, fromA) {
		return false
	}
	pe, eFromA := a.find(eth)
	pi, iFromA := a.find(ip)
	flow.parents[ConvEth], flow.parents[ip.kind] = pe, pi
	if pe == nil || pi == nil {
		// A full table: count this frame as account would, the
		// parents that exist being cached for the next frames.
		if pe != nil {
			a.count(pe, ConvEth, eFromA, wire, ts, top)
		}
		if pi != nil {
			a.count(pi, ip.kind, iFromA, wire, ts, top)
		}
		a.count(flow, flow.kind, fromA, wire, ts, top)
		return true
	}
	flow.rolled = true
	flow.ethx = [2]uint64{ex, ey}
	flow.rollA[ConvEth], flow.rollA[ip.kind] = eFromA == fromA, iFromA == fromA
	a.count(flow, flow.kind, fromA, wire, ts, top)
	pe.protoSlot(top)
	pi.protoSlot(top)
	return true
}

// registerProto gives a rolled-up flow's parents a counter of protocol p
// if the flow has just seen it for the first time, so that the parents'
// protocols keep the order of their first frames.
func (a *Analyzer) registerProto(flow *convEntry, p proto) {
	if pc, _ := flow.protoSlot(p); pc.frames != 1 {
		return
	}
	for _, e := range flow.parents {
		if e != nil {
			e.protoSlot(p)
		}
	}
}

// flowHolds reports whether IP tap t has the addresses of flow's TCP or UDP
// conversation, from A when fromA.
func flowHolds(flow *convEntry, t *tap, fromA bool) bool {
	if t.v6 != flow.a.v6 {
		return false
	}
	s, d := &flow.a.addr, &flow.b.addr
	if !fromA {
		s, d = d, s
	}
	if !t.v6 {
		x, y := uint32(flow.ax>>16), uint32(flow.bx>>16)
		if !fromA {
			x, y = y, x
		}
		return be32(t.src[:4]) == x && be32(t.dst[:4]) == y
	}
	return t.src == *s && t.dst == *d
}

// unroll adds a rolled-up flow's counters to its parents; the flow is
// counted frame by frame from then on.
func (a *Analyzer) unroll(flow *convEntry) {
	for k, e := range flow.parents {
		if e != nil {
			e.addFlow(flow, flow.rollA[k])
		}
	}
	flow.rolled = false
}

// entries returns the conversations of one table as they are to be
// exported: for the eth and IP tables, a copy of each conversation that
// rolled-up flows belong to, with the flows' counters added, leaving the
// Analyzer as it is (it may go on counting).
func (a *Analyzer) entries(kind ConvKind) []*convEntry {
	es := slices.Clone(a.order[kind])
	if kind > ConvIPv6 {
		return es
	}
	var copied []bool
	var copies []convEntry // taken in blocks, as newEntry does
	for _, fk := range [...]ConvKind{ConvTCP, ConvUDP} {
		for _, f := range a.order[fk] {
			e := f.parents[kind]
			if !f.rolled || e == nil {
				continue
			}
			if copied == nil {
				copied = make([]bool, len(es))
			}
			if !copied[e.seq] {
				if len(copies) == cap(copies) {
					copies = make([]convEntry, 0, 1024)
				}
				copies = append(copies, *e)
				cp := &copies[len(copies)-1]
				cp.more = slices.Clone(e.more)
				es[e.seq], copied[e.seq] = cp, true
			}
			es[e.seq].addFlow(f, f.rollA[kind])
		}
	}
	return es
}

// topProto is the row that says what a frame carried: the deepest one that
// is not "data" or an error marker.
func topProto(path []proto) proto {
	for i := len(path) - 1; i >= 0; i-- {
		switch path[i] {
		case protoData, protoMalformed, protoShort, protoTCPSegments:
			continue
		}
		return path[i]
	}
	return protoData
}

// packed returns a tap's two endpoints packed into integers for the
// common tables (eth, IPv4, TCP and UDP over IPv4), which then need no
// byte-array compares; ok is false for the IPv6 ones.
func packed(t *tap) (x, y uint64, ok bool) {
	switch {
	case t.kind == ConvEth:
		return be48(t.src[:6]), be48(t.dst[:6]), true
	case t.kind == ConvIPv4:
		return uint64(be32(t.src[:4])), uint64(be32(t.dst[:4])), true
	case !t.v6 && (t.kind == ConvTCP || t.kind == ConvUDP):
		return uint64(be32(t.src[:4]))<<16 | uint64(t.sport), uint64(be32(t.dst[:4]))<<16 | uint64(t.dpt), true
	}
	return 0, 0, false
}

// find returns the conversation of tap t, made if new, and whether the
// frame goes from its A to its B; nil when its table is full.
func (a *Analyzer) find(t *tap) (*convEntry, bool) {
	if t.flow != 0 {
		return a.findFlow(t)
	}
	if x, y, ok := packed(t); ok {
		var e *convEntry
		if t.kind == ConvEth {
			e = lookup(a, a.eth2, [2]uint64{min(x, y), max(x, y)}, t, x, y)
		} else {
			e = lookup(a, a.ip4, min(x, y)<<32|max(x, y), t, x, y)
		}
		return e, e != nil && x == e.ax
	}
	src := endpointKey{addr: t.src, port: t.sport, v6: t.v6}
	dst := endpointKey{addr: t.dst, port: t.dpt, v6: t.v6}
	key := convKey{kind: t.kind, lo: src, hi: dst}
	if dst.less(src) {
		key.lo, key.hi = dst, src
	}
	e := lookup(a, a.convs, key, t, 0, 0)
	return e, e != nil && t.src == e.a.addr && t.sport == e.a.port
}

// findFlow returns the conversation of a TCP or UDP tap by its flow
// number, made if new; nil when the flow table had no room for it.
func (a *Analyzer) findFlow(t *tap) (*convEntry, bool) {
	if t.flow < 0 {
		a.sum.ConversationsDropped++
		return nil, false
	}
	i := int(t.flow - 1)
	if i >= len(a.byFlow) {
		// Numbers come in the order frames are counted, so this is
		// usually the next one.
		a.byFlow = append(a.byFlow, make([]*convEntry, i+1-len(a.byFlow))...)
	}
	x, y, v4 := packed(t)
	e := a.byFlow[i]
	if e == nil {
		e = a.newEntry(t, x, y)
		a.byFlow[i] = e
	}
	if v4 {
		return e, x == e.ax
	}
	return e, t.src == e.a.addr && t.sport == e.a.port
}

// count adds one frame of a tap of the given kind to conversation e.
func (a *Analyzer) count(e *convEntry, kind ConvKind, fromA bool, wire uint64, ts int64, top proto) {
	if fromA {
		e.aFrames++
		e.aBytes += wire
	} else {
		e.bFrames++
		e.bBytes += wire
	}
	e.first, e.last = min(e.first, ts), max(e.last, ts)
	e.countProto(top, wire)
}

// lookup finds or makes the conversation of tap t under key k; nil when
// the table is full. x and y are t's packed endpoints (0 for IPv6).
func lookup[K comparable](a *Analyzer, m map[K]*convEntry, k K, t *tap, x, y uint64) *convEntry {
	if e, ok := m[k]; ok {
		return e
	}
	if len(a.order[t.kind]) >= a.cfg.MaxConversations {
		a.sum.ConversationsDropped++
		return nil
	}
	e := a.newEntry(t, x, y)
	m[k] = e
	return e
}

// newEntry makes the conversation of tap t, last in its table's order.
func (a *Analyzer) newEntry(t *tap, x, y uint64) *convEntry {
	if len(a.slab) == cap(a.slab) {
		// Entries come in blocks: fewer allocations, and neighbours in
		// memory for conversations that start together.
		a.slab = make([]convEntry, 0, 1024)
	}
	a.slab = append(a.slab, convEntry{kind: t.kind, a: endpointKey{addr: t.src, port: t.sport, v6: t.v6},
		b: endpointKey{addr: t.dst, port: t.dpt, v6: t.v6}, ax: x, bx: y, first: math.MaxInt64, last: math.MinInt64, seq: len(a.order[t.kind])})
	e := &a.slab[len(a.slab)-1]
	a.order[t.kind] = append(a.order[t.kind], e)
	return e
}

func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
func be48(b []byte) uint64 {
	return uint64(binary.BigEndian.Uint16(b))<<32 | uint64(binary.BigEndian.Uint32(b[2:]))
}

// ReadFile opens a capture file (pcap or pcapng, gzip or not) and feeds the
// Analyzer every frame of it; see ReadFrom.
func (a *Analyzer) ReadFile(ctx context.Context, path string) error {
	r, err := OpenFile(path, a.cfg.MaxPacketSize)
	if err != nil {
		return err
	}
	defer r.Close()
	return a.ReadFrom(ctx, r)
}

// Summary returns the totals so far.
func (a *Analyzer) Summary() Summary {
	s := a.sum
	if s.Frames > 0 {
		s.First, s.Last = time.Unix(0, a.first).UTC(), time.Unix(0, a.last).UTC()
	}
	return s
}

// Hierarchy returns the protocol hierarchy so far. It is the [Analyzer]'s own
// tree: read it, do not change it, and do not feed frames while reading.
func (a *Analyzer) Hierarchy() *Hierarchy { return a.hier }

// Endpoints returns the endpoints of one table with what each sent and
// received, most frames first, ties in order of appearance. They are
// derived from the conversations, so they cost nothing per frame.
func (a *Analyzer) Endpoints(kind ConvKind) []Endpoint {
	if kind >= convKinds {
		return nil
	}
	idx := map[endpointKey]int{}
	var eps []Endpoint
	get := func(k endpointKey) *Endpoint {
		i, ok := idx[k]
		if !ok {
			i = len(eps)
			idx[k] = i
			hostKind := kind
			if kind == ConvTCP || kind == ConvUDP {
				hostKind = ConvIPv4
				if k.v6 {
					hostKind = ConvIPv6
				}
			}
			eps = append(eps, Endpoint{Kind: kind, Address: formatEndpoint(kind, k), Host: formatEndpoint(hostKind, k), Port: k.port, key: k, firstSeen: i})
		}
		return &eps[i]
	}
	for _, e := range a.entries(kind) {
		ea := get(e.a)
		ea.TxFrames += e.aFrames
		ea.TxBytes += e.aBytes
		ea.RxFrames += e.bFrames
		ea.RxBytes += e.bBytes
		eb := get(e.b)
		eb.TxFrames += e.bFrames
		eb.TxBytes += e.bBytes
		eb.RxFrames += e.aFrames
		eb.RxBytes += e.aBytes
	}
	sortEndpoints(eps)
	return eps
}
