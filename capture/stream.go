package capture

// TCP payloads are dissected per conversation, the way Wireshark does it:
// the protocol is chosen by port where Wireshark registers one (80 and
// 8080 HTTP, 443 and 853 TLS, 53 DNS), else by heuristics run on each
// payload until one claims the conversation (HTTP's request or status
// line, a TLS handshake record). A message that spans segments is
// reassembled: the segments before the last add no row, the last adds the
// message's rows and "tcp.segments", so the message counts once. A segment
// that repeats bytes already seen (a retransmission, or the second copy of
// every packet on some loopback captures) is not dissected again.
//
// Reassembly keeps no payload bytes except an HTTP header that is not yet
// complete (up to maxHeaderBytes), and at most Config.MaxStreams
// conversations; beyond that the oldest half are forgotten, and their next
// segments are dissected as if the capture started there.

// appProto is what a TCP conversation carries.
type appProto uint8

const (
	appUnknown appProto = iota // no port rule and no heuristic has matched yet
	appHTTP
	appTLS
)

const (
	maxHeaderBytes = 64 << 10 // an HTTP header longer than this is given up
	maxTLSRecord   = 1<<14 + 2048
)

// halfStream is one direction of a TCP conversation.
type halfStream struct {
	next    uint32 // sequence number expected next
	started bool

	// The message (HTTP) or record (TLS) in progress.
	need     int      // bytes still to come of the body or record
	segs     int      // segments it has spanned so far
	hdr      []byte   // an HTTP header (or TLS record header) not yet complete
	inHeader bool     // hdr is being filled
	msg      *httpMsg // the message in progress, once its header is complete
	chunked  chunkScanner
	// untilClose: an HTTP response without a length, whose body runs to
	// the end of the connection; nothing after it is a new message.
	untilClose bool
}

type tcpStream struct {
	owner int32 // 1 + the id of the flow whose stream this is; 0: free
	app   appProto
	half  [2]halfStream
}

// streamTable holds the TCP conversations being reassembled: at most max
// slots, found from their flow (flowRef.stream) without a lookup of their
// own. When every slot is in use the oldest is taken back, first come
// first taken, and its flow's next segments are dissected as if the
// capture started there.
type streamTable struct {
	slots []tcpStream
	free  []int32 // slots of streams that ended
	hand  int     // the slot taken back next when all are in use
	max   int
	msgs  []*httpMsg // HTTP messages that completed, to be reused
}

// newMsg returns m in a message of the table's, reused if it can be: a
// stream holds a message only while one is in progress, so the slots stay
// small.
func (t *streamTable) newMsg(m *httpMsg) *httpMsg {
	if n := len(t.msgs); n > 0 {
		p := t.msgs[n-1]
		t.msgs = t.msgs[:n-1]
		*p = *m
		return p
	}
	// A copy, not &m of an httpMsg parameter: that would move every
	// message to the heap, reused or not.
	p := new(httpMsg)
	*p = *m
	return p
}

// freeMsg hands back a message that completed.
func (t *streamTable) freeMsg(m *httpMsg) {
	if len(t.msgs) < 1024 {
		*m = httpMsg{}
		t.msgs = append(t.msgs, m)
	}
}

func newStreamTable(maxStreams int) *streamTable {
	return &streamTable{max: max(maxStreams, 1)}
}

// keptHeader is the largest header buffer a reused slot keeps.
const keptHeader = 1 << 10

// get returns flow f's stream, made if it has none.
func (t *streamTable) get(f *flowRef) *tcpStream {
	if i := f.stream - 1; i >= 0 && int(i) < len(t.slots) && t.slots[i].owner == f.id+1 {
		return &t.slots[i]
	}
	var i int
	switch {
	case len(t.free) > 0:
		i = int(t.free[len(t.free)-1])
		t.free = t.free[:len(t.free)-1]
	case len(t.slots) < t.max:
		i = len(t.slots)
		t.slots = append(t.slots, tcpStream{})
	default:
		i = t.hand
		t.hand = (t.hand + 1) % len(t.slots)
	}
	s := &t.slots[i]
	h0, h1 := s.half[0].hdr, s.half[1].hdr
	*s = tcpStream{owner: f.id + 1}
	if cap(h0) <= keptHeader && cap(h1) <= keptHeader {
		s.half[0].hdr, s.half[1].hdr = h0[:0], h1[:0]
	}
	f.stream = int32(i + 1)
	return s
}

// drop ends flow f's stream (FIN or RST).
func (t *streamTable) drop(f *flowRef) {
	if i := f.stream - 1; i >= 0 && int(i) < len(t.slots) && t.slots[i].owner == f.id+1 {
		t.slots[i].owner = 0
		t.free = append(t.free, i)
	}
	f.stream = 0
}

// streamDir is the direction of a segment in its stream: 0 from the
// smaller endpoint (address, then port), 1 from the larger.
func streamDir(ip *tap, sport, dport uint16) int {
	if !ip.v6 {
		x, y := uint64(be32(ip.src[:4]))<<16|uint64(sport), uint64(be32(ip.dst[:4]))<<16|uint64(dport)
		if y < x {
			return 1
		}
		return 0
	}
	if endpointLess(ip.dst, dport, ip.src, sport) {
		return 1
	}
	return 0
}

// tcpPortApp is Wireshark's port table for the protocols dissected here.
func tcpPortApp(port uint16) appProto {
	switch port {
	case 80, 8080:
		return appHTTP
	case 443, 853:
		return appTLS
	}
	return appUnknown
}

// tcpSegment dissects one TCP segment's payload of flow f and pushes its
// rows.
func (d *frameDecoder) tcpSegment(f *flowRef, ip *tap, sport, dport uint16, seq uint32, syn, fin, rst bool, payload []byte) {
	st := d.streams
	s := &d.lone
	if f != nil {
		s = st.get(f)
	} else {
		*s = tcpStream{} // a conversation the flow table had no room for
	}
	h := &s.half[streamDir(ip, sport, dport)]
	if syn {
		seq++
	}
	end := seq + uint32(len(payload))
	if h.started {
		switch delta := int32(seq - h.next); {
		case int32(end-h.next) <= 0:
			// Nothing new: a retransmission. Wireshark does not hand it
			// to the protocol above.
			return
		case delta < 0:
			payload = payload[-delta:] // overlap: only the new bytes
		case delta > 0:
			// A gap (bytes lost before the capture saw them): whatever
			// was in progress cannot be completed.
			h.reset()
		}
	}
	h.started, h.next = true, end
	if fin || rst {
		defer func() {
			if f != nil {
				st.drop(f)
			}
		}()
	}
	if len(payload) == 0 {
		return
	}
	if s.app == appUnknown {
		s.app = max(tcpPortApp(min(sport, dport)), tcpPortApp(max(sport, dport)))
		if s.app == appUnknown && h.need == 0 && !h.inHeader {
			switch {
			case tlsHeuristic(payload):
				s.app = appTLS
			case httpHeuristic(payload):
				s.app = appHTTP
			}
		}
	}
	switch s.app {
	case appHTTP:
		d.httpSegment(h, ip, payload)
	case appTLS:
		d.tlsSegment(h, payload)
	default:
		d.push(protoData)
	}
}

func (h *halfStream) reset() {
	h.need, h.segs, h.inHeader, h.untilClose = 0, 0, false, false
	h.hdr = h.hdr[:0]
	h.msg = nil // not handed back: a gap is rare
	h.chunked = chunkScanner{}
}
