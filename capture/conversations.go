package capture

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"net/netip"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// String returns tshark's name for the table: "eth", "ip", "ipv6", "tcp", "udp".
func (k ConvKind) String() string {
	switch k {
	case ConvEth:
		return "eth"
	case ConvIPv4:
		return "ip"
	case ConvIPv6:
		return "ipv6"
	case ConvTCP:
		return "tcp"
	case ConvUDP:
		return "udp"
	}
	return "conv" + strconv.Itoa(int(k))
}

// ParseConvKind maps tshark's table name to a [ConvKind].
func ParseConvKind(s string) (ConvKind, error) {
	for k := ConvEth; k < convKinds; k++ {
		if k.String() == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("capture: unknown conversation type %q (want eth, ip, ipv6, tcp or udp)", s)
}

// ConvKinds lists every conversation table.
func ConvKinds() []ConvKind { return []ConvKind{ConvEth, ConvIPv4, ConvIPv6, ConvTCP, ConvUDP} }

// endpointKey is an address (MAC in the first 6 bytes, IPv4 in the first
// 4, or IPv6) with a port for TCP and UDP.
type endpointKey struct {
	addr [16]byte
	port uint16
	v6   bool
}

func (e endpointKey) less(o endpointKey) bool {
	for i := range e.addr {
		if e.addr[i] != o.addr[i] {
			return e.addr[i] < o.addr[i]
		}
	}
	return e.port < o.port
}

type convKey struct {
	kind   ConvKind
	lo, hi endpointKey
}

// convEntry is a conversation as it is being counted. The fields every
// frame touches come first: the counters in the first 64 bytes, then the
// first protocol and the cached parents in the next 48, so that counting
// a frame touches two cache lines of an entry (with 100k conversations
// and more, every entry a frame touches is a cache miss).
type convEntry struct {
	ax, bx      uint64 // a and b packed as packed() packs them (eth, IPv4, TCP/UDP over IPv4)
	aFrames     uint64 // frames a -> b
	aBytes      uint64
	bFrames     uint64 // frames b -> a
	bBytes      uint64
	first, last int64 // Unix nanoseconds
	// proto0 is the first protocol seen (eth and IP tables): most
	// conversations carry one; the others go to more.
	proto0 protoCount
	// parents caches, on a TCP or UDP conversation, the eth and IP
	// conversations its last frame belonged to: the next frame of the
	// flow usually has the same ones, and a check of two addresses is
	// cheaper than a map lookup.
	parents [ConvIPv6 + 1]*convEntry
	// ethx is, on a rolled-up flow, the source and destination MACs of
	// its frames from A (packed as packed() packs them).
	ethx [2]uint64
	// rolled says the flow's frames so far are in its parents' totals
	// only by way of the flow: counting them touched the flow alone (one
	// cache miss instead of three with many conversations), and the
	// parents get the flow's counters when exported or when a frame of the
	// flow breaks the pattern (see Analyzer.rollFrame). rollA[k] says the
	// flow's A is parents[k]'s A.
	rolled bool
	rollA  [ConvIPv6 + 1]bool
	seq    int // the index in Analyzer.order
	more   []protoCount
	kind   ConvKind
	a, b   endpointKey // a sent the first frame seen
	// srv is, on a TCP conversation that carries HTTP, the server of its
	// last message (appStats.serverOf).
	srv *httpServer
}

// holds reports whether c, a conversation of t's kind, is the conversation
// of tap t, and whether t goes from c's A to its B.
func (c *convEntry) holds(t *tap) (fromA, ok bool) {
	if x, y, fast := packed(t); fast {
		return x == c.ax, (x == c.ax && y == c.bx) || (x == c.bx && y == c.ax)
	}
	if c.a.v6 != t.v6 {
		return false, false
	}
	if c.a.addr == t.src && c.b.addr == t.dst && c.a.port == t.sport && c.b.port == t.dpt {
		return true, true
	}
	return false, c.a.addr == t.dst && c.b.addr == t.src && c.a.port == t.dpt && c.b.port == t.sport
}

type protoCount struct {
	p      proto
	set    bool // the slot is p's (a rolled-up flow's parent may hold it before counting in it)
	frames uint64
	bytes  uint64
}

// protoSlot returns c's counter of protocol p, made if new (then created
// is true): protocols keep the order in which they first appeared.
func (c *convEntry) protoSlot(p proto) (pc *protoCount, created bool) {
	pc = &c.proto0
	if !pc.set {
		pc.p, pc.set = p, true
		return pc, true
	}
	if pc.p == p {
		return pc, false
	}
	for i := range c.more {
		if c.more[i].p == p {
			return &c.more[i], false
		}
	}
	c.more = append(c.more, protoCount{p: p, set: true})
	return &c.more[len(c.more)-1], true
}

func (c *convEntry) countProto(p proto, wireLen uint64) {
	pc, _ := c.protoSlot(p)
	pc.frames++
	pc.bytes += wireLen
}

// addFlow adds the counters of flow f to c, one of its parents; sameDir
// says f's A is c's A.
func (c *convEntry) addFlow(f *convEntry, sameDir bool) {
	if sameDir {
		c.aFrames += f.aFrames
		c.aBytes += f.aBytes
		c.bFrames += f.bFrames
		c.bBytes += f.bBytes
	} else {
		c.aFrames += f.bFrames
		c.aBytes += f.bBytes
		c.bFrames += f.aFrames
		c.bBytes += f.aBytes
	}
	c.first, c.last = min(c.first, f.first), max(c.last, f.last)
	for i := -1; i < len(f.more); i++ {
		fp := f.protoAt(i)
		if fp.frames == 0 {
			continue
		}
		pc, _ := c.protoSlot(fp.p)
		pc.frames += fp.frames
		pc.bytes += fp.bytes
	}
}

// Conversation is traffic between two endpoints in either direction, as in
// tshark -z conv,TYPE. A is the endpoint that sent the first frame seen.
type Conversation struct {
	Kind       ConvKind
	A, B       string        // addresses, "addr:port" for tcp and udp, as tshark prints them
	AtoBFrames uint64        // frames from A to B (tshark's "->" column)
	AtoBBytes  uint64        // their bytes on the wire
	BtoAFrames uint64        // frames from B to A (tshark's "<-" column)
	BtoABytes  uint64        // their bytes on the wire
	First      time.Time     // first frame seen
	Last       time.Time     // last frame seen
	Start      time.Duration // First relative to the capture's first frame
	Protocols  []ProtocolCount
}

// Frames is the total of both directions.
func (c Conversation) Frames() uint64 { return c.AtoBFrames + c.BtoAFrames }

// Bytes is the total of both directions.
func (c Conversation) Bytes() uint64 { return c.AtoBBytes + c.BtoABytes }

// Duration is the time from the first to the last frame.
func (c Conversation) Duration() time.Duration { return c.Last.Sub(c.First) }

// Dominant returns the protocol that carried the most frames (byBytes
// false) or bytes (byBytes true) of the conversation: its deepest
// meaningful row, such as "dns", "tcp" or "arp".
func (c Conversation) Dominant(byBytes bool) string {
	best, bestW := "", uint64(0)
	for _, p := range c.Protocols {
		w := p.Frames
		if byBytes {
			w = p.Bytes
		}
		if w > bestW {
			best, bestW = p.Name, w
		}
	}
	return best
}

// Endpoint is one address (or address and port) with what it sent and
// received, as in tshark -z endpoints,TYPE.
type Endpoint struct {
	Kind      ConvKind
	Address   string // as in the conversation tables: "addr:port" for tcp and udp
	Host      string // the address without the port
	Port      uint16 // tcp and udp: the port
	TxFrames  uint64
	TxBytes   uint64
	RxFrames  uint64
	RxBytes   uint64
	key       endpointKey
	firstSeen int
}

// Frames is the total sent and received.
func (e Endpoint) Frames() uint64 { return e.TxFrames + e.RxFrames }

// Bytes is the total sent and received.
func (e Endpoint) Bytes() uint64 { return e.TxBytes + e.RxBytes }

func formatEndpoint(kind ConvKind, e endpointKey) string {
	var buf [64]byte
	return string(appendEndpoint(buf[:0], kind, e))
}

// appendEndpoint appends e as tshark prints it in a table of kind: a MAC,
// an address, or "addr:port" for tcp and udp.
func appendEndpoint(b []byte, kind ConvKind, e endpointKey) []byte {
	const hex = "0123456789abcdef"
	switch kind {
	case ConvEth:
		for i, x := range e.addr[:6] {
			if i > 0 {
				b = append(b, ':')
			}
			b = append(b, hex[x>>4], hex[x&15])
		}
		return b
	case ConvIPv4:
		return netip.AddrFrom4([4]byte(e.addr[:4])).AppendTo(b)
	case ConvIPv6:
		return netip.AddrFrom16(e.addr).AppendTo(b)
	}
	if e.v6 {
		b = netip.AddrFrom16(e.addr).AppendTo(b)
	} else {
		b = netip.AddrFrom4([4]byte(e.addr[:4])).AppendTo(b)
	}
	return strconv.AppendUint(append(b, ':'), uint64(e.port), 10)
}

// export returns c as a [Conversation]; its protocols are taken from the
// end of *slab, which grows by blocks (one allocation for many
// conversations instead of one each).
func (c *convEntry) export(start int64, slab *[]ProtocolCount) Conversation {
	out := Conversation{
		Kind: c.kind, A: formatEndpoint(c.kind, c.a), B: formatEndpoint(c.kind, c.b),
		AtoBFrames: c.aFrames, AtoBBytes: c.aBytes, BtoAFrames: c.bFrames, BtoABytes: c.bBytes,
		First: time.Unix(0, c.first).UTC(), Last: time.Unix(0, c.last).UTC(), Start: time.Duration(c.first - start),
	}
	n := 0
	for i := -1; i < len(c.more); i++ {
		if c.protoAt(i).frames > 0 {
			n++
		}
	}
	if n == 0 {
		return out
	}
	if len(*slab)+n > cap(*slab) {
		*slab = make([]ProtocolCount, 0, max(n, 512))
	}
	from := len(*slab)
	for i := -1; i < len(c.more); i++ {
		if p := c.protoAt(i); p.frames > 0 {
			*slab = append(*slab, ProtocolCount{Name: p.p.String(), Frames: p.frames, Bytes: p.bytes})
		}
	}
	out.Protocols = (*slab)[from:len(*slab):len(*slab)]
	return out
}

// protoAt returns c's counter of its first protocol (i = -1) or of
// more[i].
func (c *convEntry) protoAt(i int) *protoCount {
	if i < 0 {
		return &c.proto0
	}
	return &c.more[i]
}

// Conversations returns one table, ordered as tshark orders it: most frames
// first, ties in order of appearance.
func (a *Analyzer) Conversations(kind ConvKind) []Conversation {
	if kind >= convKinds {
		return nil
	}
	es := a.entries(kind)
	rank := rankByFrames(es)
	out := make([]Conversation, len(es))
	inParts(len(rank), func(lo, hi int) {
		var slab []ProtocolCount
		for j := lo; j < hi; j++ {
			out[j] = es[rank[j]].export(a.first, &slab)
		}
	})
	return out
}

// rankByFrames returns the indexes of es, most frames first, ties in
// index order as a stable sort would leave them. No entry is touched
// while sorting (with 100k conversations each one is a cache miss): when
// the frames and the indexes fit in 32 bits, as they do but in captures
// of more than 4G frames, each entry is one integer, the frames'
// complement above the index, and integers sort fastest.
func rankByFrames(es []*convEntry) []int {
	frames := make([]uint64, len(es))
	packed := uint64(len(es)) <= math.MaxUint32
	for i, e := range es {
		frames[i] = e.aFrames + e.bFrames
		packed = packed && frames[i] <= math.MaxUint32
	}
	rank := make([]int, len(es))
	if packed {
		keys := make([]uint64, len(es))
		for i, f := range frames {
			keys[i] = (math.MaxUint32-f)<<32 | uint64(i)
		}
		slices.Sort(keys)
		for j, k := range keys {
			rank[j] = int(k & math.MaxUint32)
		}
		return rank
	}
	for i := range rank {
		rank[i] = i
	}
	slices.SortFunc(rank, func(x, y int) int {
		if c := cmp.Compare(frames[y], frames[x]); c != 0 {
			return c
		}
		return cmp.Compare(x, y)
	})
	return rank
}

// inParts calls f on parts of [0, n) that together cover it, on as many
// goroutines as there are processors (up to 4) when n is large enough for
// that to pay: formatting a table of 100k conversations takes tens of
// milliseconds (BenchmarkTrafficMix/120k-flows).
func inParts(n int, f func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), 4, n/8192)
	if parts < 2 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := 1; p < parts; p++ {
		wg.Go(func() { f(n*p/parts, n*(p+1)/parts) })
	}
	f(0, n/parts)
	wg.Wait()
}

// formatSize writes a byte count as Wireshark 4.0 does in its tables.
func formatSize(n uint64) string {
	switch {
	case n >= 10_000_000_000_000:
		return strconv.FormatUint(n/1_000_000_000_000, 10) + " TB"
	case n >= 10_000_000_000:
		return strconv.FormatUint(n/1_000_000_000, 10) + " GB"
	case n >= 10_000_000:
		return strconv.FormatUint(n/1_000_000, 10) + " MB"
	case n >= 10_000:
		return strconv.FormatUint(n/1_000, 10) + " kB"
	}
	return strconv.FormatUint(n, 10) + " bytes"
}

var convTitles = map[ConvKind]string{
	ConvEth: "Ethernet", ConvIPv4: "IPv4", ConvIPv6: "IPv6", ConvTCP: "TCP", ConvUDP: "UDP",
}

const convRule = "================================================================================"

// WriteConversations writes a conversation table in the layout of tshark -q
// -z conv,TYPE: largest first, then in order of appearance.
func WriteConversations(w io.Writer, kind ConvKind, convs []Conversation) error {
	var b strings.Builder
	width, pad := 20, strings.Repeat(" ", 47)
	if kind == ConvTCP || kind == ConvUDP {
		width, pad = 26, strings.Repeat(" ", 59)
	}
	b.WriteString(convRule + "\n" + convTitles[kind] + " Conversations\nFilter:<No Filter>\n")
	b.WriteString(pad + "|       <-      | |       ->      | |     Total     |    Relative    |   Duration   |\n")
	b.WriteString(pad + "| Frames  Bytes | | Frames  Bytes | | Frames  Bytes |      Start     |              |\n")
	for _, c := range convs {
		fmt.Fprintf(&b, "%-*s <-> %-*s  %6d %-9s  %6d %-9s  %6d %-9s  %14.9f   %12.4f\n",
			width, c.A, width, c.B,
			c.BtoAFrames, formatSize(c.BtoABytes), c.AtoBFrames, formatSize(c.AtoBBytes),
			c.Frames(), formatSize(c.Bytes()), c.Start.Seconds(), c.Duration().Seconds())
	}
	b.WriteString(convRule + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteEndpoints writes an endpoint table in the layout of tshark -q -z
// endpoints,TYPE: most frames first, ties in order of appearance.
func WriteEndpoints(w io.Writer, kind ConvKind, eps []Endpoint) error {
	var b strings.Builder
	b.WriteString(convRule + "\n" + convTitles[kind] + " Endpoints\nFilter:<No Filter>\n")
	ports := kind == ConvTCP || kind == ConvUDP
	if ports {
		b.WriteString("                       |  Port  ||  Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |\n")
	} else {
		b.WriteString("                       |  Packets  | |  Bytes  | | Tx Packets | | Tx Bytes | | Rx Packets | | Rx Bytes |\n")
	}
	for _, e := range eps {
		if ports {
			fmt.Fprintf(&b, "%-20s%11d%11d%14d%11d%16d%12d%16d   \n", e.Host, e.Port, e.Frames(), e.Bytes(), e.TxFrames, e.TxBytes, e.RxFrames, e.RxBytes)
		} else {
			fmt.Fprintf(&b, "%-20s%12d%14d%11d%16d%12d%16d   \n", e.Host, e.Frames(), e.Bytes(), e.TxFrames, e.TxBytes, e.RxFrames, e.RxBytes)
		}
	}
	b.WriteString(convRule + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// sortEndpoints orders like tshark: most frames first, ties in order of
// appearance (the input order).
func sortEndpoints(eps []Endpoint) {
	// eps are in order of appearance: firstSeen breaks ties as a stable
	// sort would, and the unstable sort is faster.
	slices.SortFunc(eps, func(x, y Endpoint) int {
		if c := cmp.Compare(y.Frames(), x.Frames()); c != 0 {
			return c
		}
		return cmp.Compare(x.firstSeen, y.firstSeen)
	})
}
