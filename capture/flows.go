package capture

// The flow table numbers the TCP and UDP conversations as the decoder meets
// them. It is looked up once per frame, on the goroutine that decodes; the
// number travels with the frame's tap to the goroutine that counts, which
// finds the conversation's counters by index, and to TCP reassembly, which
// finds the stream's state in the slot. With many conversations every
// lookup is a cache miss, so one lookup instead of one per table (before:
// a Go map for the conversations and another for the streams) is most of
// the difference (BenchmarkTrafficMix/120k-flows).
//
// Conversations over IPv4, nearly all of them, live in an open-addressing
// table of fixed-size keys (no pointers for the garbage collector to scan,
// one probe usually); those over IPv6 in a Go map.

// flowRef is what the decoder keeps per TCP or UDP conversation.
type flowRef struct {
	id     int32 // the conversation's number, from 0 in order of appearance
	stream int32 // 1 + its TCP reassembly slot in streamTable.slots; 0: none
}

// flowSlot is one slot of the IPv4 table: a key and its flow. A key is
// never zero (the table kind is in bit 48 of both halves), so the zero
// slot is empty.
type flowSlot struct {
	k [2]uint64
	flowRef
}

// flowKey6 is a conversation over IPv6, its endpoints in a fixed order.
type flowKey6 struct {
	kind   ConvKind
	a, b   [16]byte
	ap, bp uint16
}

// flowTable numbers the TCP and UDP conversations; at most max of each kind.
type flowTable struct {
	slots []flowSlot // a power of two long, at most half full
	used  int
	v6    map[flowKey6]int32 // index in refs6
	refs6 []flowRef
	count [2]int // conversations of ConvTCP and ConvUDP so far
	max   int
	next  int32
}

func newFlowTable(maxConversations int) *flowTable {
	return &flowTable{slots: make([]flowSlot, 1024), v6: map[flowKey6]int32{}, max: maxConversations}
}

// flowKey4 returns the key of a TCP or UDP tap over IPv4 and whether the
// tap goes from the key's first endpoint to its second.
func flowKey4(t *tap) (k [2]uint64, fromFirst bool) {
	kind := uint64(t.kind-ConvTCP+1) << 48
	x := kind | uint64(be32(t.src[:4]))<<16 | uint64(t.sport)
	y := kind | uint64(be32(t.dst[:4]))<<16 | uint64(t.dpt)
	if y < x {
		return [2]uint64{y, x}, false
	}
	return [2]uint64{x, y}, true
}

func slotOf(k [2]uint64, mask uint64) uint64 {
	h := k[0]*0x9e3779b97f4a7c15 ^ k[1]*0xc2b2ae3d27d4eb4f
	return (h ^ h>>31) & mask
}

// find returns the flow of TCP or UDP tap t, numbered if new; nil when it
// is new and its table is full. The pointer is good until the next find.
func (ft *flowTable) find(t *tap) *flowRef {
	if t.v6 {
		return ft.find6(t)
	}
	k, _ := flowKey4(t)
	mask := uint64(len(ft.slots) - 1)
	for i := slotOf(k, mask); ; i = (i + 1) & mask {
		s := &ft.slots[i]
		if s.k == k {
			return &s.flowRef
		}
		if s.k == [2]uint64{} {
			id, ok := ft.number(t.kind)
			if !ok {
				return nil
			}
			s.k, s.flowRef = k, flowRef{id: id}
			if ft.used++; ft.used*2 > len(ft.slots) {
				ft.grow()
				return ft.find(t)
			}
			return &s.flowRef
		}
	}
}

// number gives a new conversation of kind its number; false when the
// kind's table is full.
func (ft *flowTable) number(kind ConvKind) (int32, bool) {
	if ft.count[kind-ConvTCP] >= ft.max {
		return 0, false
	}
	ft.count[kind-ConvTCP]++
	ft.next++
	return ft.next - 1, true
}

func (ft *flowTable) grow() {
	old := ft.slots
	ft.slots = make([]flowSlot, 2*len(old))
	mask := uint64(len(ft.slots) - 1)
	for _, s := range old {
		if s.k == [2]uint64{} {
			continue
		}
		i := slotOf(s.k, mask)
		for ft.slots[i].k != [2]uint64{} {
			i = (i + 1) & mask
		}
		ft.slots[i] = s
	}
}

func (ft *flowTable) find6(t *tap) *flowRef {
	k := flowKey6{kind: t.kind, a: t.src, b: t.dst, ap: t.sport, bp: t.dpt}
	if endpointLess(t.dst, t.dpt, t.src, t.sport) {
		k.a, k.b, k.ap, k.bp = t.dst, t.src, t.dpt, t.sport
	}
	if i, ok := ft.v6[k]; ok {
		return &ft.refs6[i]
	}
	id, ok := ft.number(t.kind)
	if !ok {
		return nil
	}
	ft.v6[k] = int32(len(ft.refs6))
	ft.refs6 = append(ft.refs6, flowRef{id: id})
	return &ft.refs6[len(ft.refs6)-1]
}

// endpointLess orders (address, port) endpoints.
func endpointLess(a [16]byte, ap uint16, b [16]byte, bp uint16) bool {
	if a != b {
		for i := range a {
			if a[i] != b[i] {
				return a[i] < b[i]
			}
		}
	}
	return ap < bp
}
