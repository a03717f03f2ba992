package capture

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"strings"
)

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
	need     int     // bytes still to come of the body or record
	segs     int     // segments it has spanned so far
	hdr      []byte  // an HTTP header (or TLS record header) not yet complete
	inHeader bool    // hdr is being filled
	msg      httpMsg // the message in progress, once its header is complete
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
	h.msg = httpMsg{}
	h.chunked = chunkScanner{}
}

// --- HTTP/1.x (RFC 9112) ---

var httpMethods = [][]byte{[]byte("GET "), []byte("POST "), []byte("HEAD "), []byte("PUT "), []byte("DELETE "),
	[]byte("OPTIONS "), []byte("CONNECT "), []byte("TRACE "), []byte("PATCH ")}

// httpHeuristic reports whether b starts like an HTTP/1.x message: a
// request line "METHOD target HTTP/1.x" or a status line "HTTP/1.x ".
func httpHeuristic(b []byte) bool {
	if bytes.HasPrefix(b, []byte("HTTP/1.")) && len(b) > 8 && b[8] == ' ' {
		return true
	}
	for _, m := range httpMethods {
		if bytes.HasPrefix(b, m) {
			line := b
			if i := bytes.IndexByte(b, '\n'); i >= 0 {
				line = bytes.TrimRight(b[:i], "\r")
			} else {
				return false
			}
			return bytes.Contains(line, []byte(" HTTP/1."))
		}
	}
	return false
}

// httpStart reports whether b can start an HTTP message: it does
// (httpHeuristic), or its first line is cut short and what there is
// begins like a request or status line, so the header may complete in the
// next segment.
func httpStart(b []byte) bool {
	if bytes.IndexByte(b, '\n') >= 0 {
		return httpHeuristic(b)
	}
	starts := append([][]byte{[]byte("HTTP/1.")}, httpMethods...)
	for _, m := range starts {
		if bytes.HasPrefix(b, m) || bytes.HasPrefix(m, b) {
			return true
		}
	}
	return false
}

// httpMsg is what the statistics need of an HTTP message.
type httpMsg struct {
	request     bool
	method, uri string
	host        string
	status      int
	reason      string
	media       proto
	bodyLen     int
	noBody      bool
	contentLen  int // -1 when absent
	chunked     bool
}

// mediaProto maps a Content-Type to the row Wireshark's media dissectors add.
func mediaProto(ct []byte) proto {
	if i := bytes.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = bytes.TrimSpace(ct)
	var low [40]byte // the types named below are shorter; of a longer one only "text/" matters
	n := min(len(ct), len(low))
	for i, c := range ct[:n] {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		low[i] = c
	}
	t := string(low[:n])
	if len(ct) > n {
		t = t[:5] // never one of the full types
	}
	switch {
	case t == "image/png":
		return protoPNG
	case t == "image/jpeg":
		return protoJFIF
	case t == "image/gif":
		return protoGIF
	case t == "application/json":
		return protoJSON
	case t == "application/x-www-form-urlencoded":
		return protoURLEncoded
	case t == "text/xml", t == "application/xml":
		return protoXML
	case strings.HasPrefix(t, "text/") && len(ct) > 5:
		return protoDataTextLines // text/html among them
	case t == "":
		return protoData
	}
	return protoMedia
}

// interner turns the bytes of a method, target, host or reason into a
// string without allocating when it has seen them before (the Go compiler
// looks a map up by string(b) without a copy). It forgets everything past
// maxInterned strings, so it stays small.
type interner map[string]string

const maxInterned = 4096

func (in interner) str(b []byte) string {
	if s, ok := in[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in) >= maxInterned {
		clear(in)
	}
	in[s] = s
	return s
}

// asciiLowerIs reports whether b, lowered in ASCII, is name.
func asciiLowerIs(b []byte, name string) bool {
	if len(b) != len(name) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != name[i] {
			return false
		}
	}
	return true
}

// parseHTTPHeader parses a complete header (through the empty line); in
// makes its strings (nil: a fresh one).
func parseHTTPHeader(hdr []byte, in interner) (m httpMsg, ok bool) {
	if in == nil {
		in = interner{}
	}
	m.contentLen = -1
	first, rest, _ := bytes.Cut(hdr, []byte("\n"))
	first = bytes.TrimRight(first, "\r")
	if len(first) > 9 && string(first[:7]) == "HTTP/1." {
		_, after, ok := bytes.Cut(first, []byte(" "))
		if !ok {
			return m, false
		}
		codeB, reason, hasReason := bytes.Cut(after, []byte(" "))
		code, err := strconv.Atoi(string(codeB))
		if err != nil || code < 100 || code > 999 {
			return m, false
		}
		m.status = code
		if hasReason {
			m.reason = in.str(reason)
		}
		m.noBody = code < 200 || code == 204 || code == 304
	} else {
		method, after, ok1 := bytes.Cut(first, []byte(" "))
		uri, version, ok2 := bytes.Cut(after, []byte(" "))
		if !ok1 || !ok2 || !bytes.HasPrefix(version, []byte("HTTP/1.")) || len(method) == 0 || len(uri) == 0 {
			return m, false
		}
		for _, c := range method {
			if c < 'A' || c > 'Z' {
				return m, false
			}
		}
		m.request, m.method, m.uri = true, in.str(method), in.str(uri)
	}
	for len(rest) > 0 {
		var l []byte
		l, rest, _ = bytes.Cut(rest, []byte("\n"))
		l = bytes.TrimRight(l, "\r")
		i := bytes.IndexByte(l, ':')
		if i <= 0 {
			continue
		}
		name, v := bytes.TrimSpace(l[:i]), bytes.TrimSpace(l[i+1:])
		switch {
		case asciiLowerIs(name, "content-length"):
			if n, err := strconv.Atoi(string(v)); err == nil && n >= 0 {
				m.contentLen = n
			}
		case asciiLowerIs(name, "transfer-encoding"):
			m.chunked = bytes.Contains(bytes.ToLower(v), []byte("chunked"))
		case asciiLowerIs(name, "content-type"):
			m.media = mediaProto(v)
		case asciiLowerIs(name, "host"):
			m.host = in.str(v)
		}
	}
	if m.media == protoNone {
		m.media = protoData
	}
	return m, true
}

// chunkScanner follows a chunked body (RFC 9112 section 7.1) across
// segments without keeping it.
type chunkScanner struct {
	state int // 0 size line, 1 data, 2 CRLF after data, 3 trailers, chunkDone
	size  int
	line  int // bytes of the current line
	n     int // body bytes so far
}

const chunkDone = 4

// feed consumes b and returns how many bytes belonged to the body.
func (c *chunkScanner) feed(b []byte) int {
	for i := 0; i < len(b); i++ {
		switch c.state {
		case 0:
			ch := b[i]
			switch {
			case ch == '\n':
				if c.size == 0 {
					c.state = 3
				} else {
					c.state = 1
				}
				c.line = 0
			case c.line >= 0 && ch >= '0' && ch <= '9':
				c.size = c.size*16 + int(ch-'0')
			case c.line >= 0 && ch|0x20 >= 'a' && ch|0x20 <= 'f':
				c.size = c.size*16 + int(ch|0x20-'a'+10)
			case ch == '\r':
			default:
				c.line = -1 // extensions: ignore up to the newline
			}
			if c.size > 1<<30 {
				c.state = 4
				return i + 1
			}
		case 1:
			n := min(c.size, len(b)-i)
			c.size -= n
			c.n += n
			i += n - 1
			if c.size == 0 {
				c.state = 2
			}
		case 2:
			if b[i] == '\n' {
				c.state, c.size, c.line = 0, 0, 0
			}
		case 3:
			if b[i] == '\n' {
				if c.line == 0 {
					c.state = 4
					return i + 1
				}
				c.line = 0
			} else if b[i] != '\r' {
				c.line++
			}
		case 4:
			return i
		}
	}
	return len(b)
}

func (d *frameDecoder) httpSegment(h *halfStream, ip *tap, p []byte) {
	if h.untilClose {
		return // more of a body that runs to the end of the connection
	}
	if h.inHeader || h.need != 0 {
		h.segs++ // a message in progress reaches into this segment
	}
	emitted := false
	for len(p) > 0 {
		if h.need == 0 && !h.inHeader {
			if !httpStart(p) {
				// A continuation Wireshark cannot place: an http row alone.
				if !emitted {
					d.push(protoHTTP)
					d.addApp(appFact{kind: factHTTPOther})
				}
				return
			}
			h.inHeader, h.hdr, h.segs = true, h.hdr[:0], 1
		}
		if h.inHeader {
			// Find the end of the header in what is buffered plus p.
			old := len(h.hdr)
			h.hdr = append(h.hdr, p[:min(len(p), maxHeaderBytes-old)]...)
			i := bytes.Index(h.hdr, []byte("\r\n\r\n"))
			if i < 0 {
				if len(h.hdr) >= maxHeaderBytes {
					h.reset()
					if !emitted {
						d.push(protoHTTP)
					}
				}
				return // the header continues in the next segment
			}
			p = p[i+4-old:]
			if !httpHeuristic(h.hdr[:i+4]) {
				// A start that looked like a method while it was short
				// ("C" of "CONNECT") but is none once whole: what the
				// unsegmented stream would have shown, an http row alone.
				h.reset()
				if !emitted {
					d.push(protoHTTP)
					d.addApp(appFact{kind: factHTTPOther})
				}
				return
			}
			m, ok := parseHTTPHeader(h.hdr[:i+4], d.strs)
			h.inHeader, h.hdr = false, h.hdr[:0]
			if !ok {
				h.reset()
				if !emitted {
					d.push(protoHTTP)
				}
				return
			}
			if m.request {
				m.noBody = m.contentLen <= 0 && !m.chunked
			}
			h.msg = m
			switch {
			case m.noBody:
			case m.chunked:
				h.chunked, h.need = chunkScanner{}, -1
			case m.contentLen > 0:
				h.need = m.contentLen
			case m.contentLen < 0 && !m.request:
				// No length: the body runs to the end of the connection.
				// The message counts now, with what this segment has.
				h.msg.bodyLen = len(p)
				p = nil
				h.untilClose = true
			}
		}
		switch {
		case h.need > 0:
			n := min(h.need, len(p))
			h.need -= n
			h.msg.bodyLen += n
			p = p[n:]
			if h.need > 0 {
				return // more body in the next segment
			}
		case h.need < 0:
			n := h.chunked.feed(p)
			p = p[n:]
			if h.chunked.state != chunkDone {
				return
			}
			h.msg.bodyLen = h.chunked.n
			h.need = 0
		}
		// The message is complete in this segment.
		if !emitted {
			d.push(protoHTTP)
			if h.msg.bodyLen > 0 {
				d.push(h.msg.media)
			}
			if h.segs > 1 {
				d.push(protoTCPSegments)
			}
			emitted = true
		}
		m := h.msg
		f := appFact{kind: factHTTPResp, status: m.status, reason: m.reason, server: ip.src}
		if m.request {
			f = appFact{kind: factHTTPReq, method: m.method, uri: m.uri, host: m.host, server: ip.dst}
		}
		f.v6 = ip.v6
		d.addApp(f)
		h.segs = 0
		h.msg = httpMsg{}
	}
}

// --- TLS record layer (RFC 8446 section 5.1) ---

// tlsRecordHeader reports whether b starts with a plausible TLS record
// header, and its length.
func tlsRecordHeader(b []byte) (n int, ok bool) {
	if len(b) < 5 {
		return 0, false
	}
	if b[0] < 20 || b[0] > 24 || b[1] != 3 || b[2] > 4 {
		return 0, false
	}
	n = int(binary.BigEndian.Uint16(b[3:5]))
	return n, n > 0 && n <= maxTLSRecord
}

// tlsHeuristic is Wireshark's: a handshake record whose first message is a
// ClientHello or ServerHello.
func tlsHeuristic(b []byte) bool {
	if _, ok := tlsRecordHeader(b); !ok || b[0] != 22 || len(b) < 6 {
		return false
	}
	return b[5] == 1 || b[5] == 2
}

func (d *frameDecoder) tlsSegment(h *halfStream, p []byte) {
	if h.need > 0 || len(h.hdr) > 0 {
		h.segs++ // a record in progress reaches into this segment
	}
	complete, spanned, bad := 0, false, false
	for len(p) > 0 {
		if h.need == 0 {
			// A record header, maybe split across segments.
			if len(h.hdr) == 0 {
				h.segs = 1
			}
			var hb []byte
			if len(h.hdr) > 0 || len(p) < 5 {
				take := min(len(p), 5-len(h.hdr))
				h.hdr = append(h.hdr, p[:take]...)
				p = p[take:]
				if len(h.hdr) < 5 {
					// The next header goes on in the next segment; what
					// this one completed still counts.
					break
				}
				hb = h.hdr
			} else {
				hb, p = p[:5], p[5:]
			}
			n, ok := tlsRecordHeader(hb)
			typ := hb[0]
			h.hdr = h.hdr[:0]
			if !ok {
				// Not a record: Wireshark shows it as TLS with an
				// "Ignored Unknown Record" and loses the framing.
				h.reset()
				bad = true
				break
			}
			if typ == 22 && len(p) > 0 && p[0] == 1 {
				d.clientHello(p[:min(len(p), n)])
			}
			h.need = n
			continue
		}
		k := min(h.need, len(p))
		h.need -= k
		p = p[k:]
		if h.need == 0 {
			complete++
			spanned = spanned || h.segs > 1
			h.segs = 0
		}
	}
	if complete > 0 || bad {
		d.push(protoTLS)
		if spanned {
			d.push(protoTCPSegments)
		}
	}
}

// clientHello reads the server name (SNI, RFC 6066 section 3) and the ALPN
// protocols (RFC 7301) from a ClientHello handshake message, when the
// record holds all of it.
func (d *frameDecoder) clientHello(b []byte) {
	sni, alpn, ok := parseClientHello(b)
	if ok {
		d.addApp(appFact{kind: factTLSHello, host: sni, uri: alpn})
	}
}

// parseClientHello parses a ClientHello handshake message (type 1).
func parseClientHello(b []byte) (sni, alpn string, ok bool) {
	if len(b) < 4 || b[0] != 1 {
		return "", "", false
	}
	n := int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if len(b) < 4+n {
		return "", "", false
	}
	b = b[4 : 4+n]
	// version(2) random(32) session id
	if len(b) < 35 {
		return "", "", false
	}
	b = b[34:]
	skip := func(lenBytes int) bool {
		if len(b) < lenBytes {
			return false
		}
		l := 0
		for i := 0; i < lenBytes; i++ {
			l = l<<8 | int(b[i])
		}
		if len(b) < lenBytes+l {
			return false
		}
		b = b[lenBytes+l:]
		return true
	}
	if !skip(1) || !skip(2) || !skip(1) { // session id, cipher suites, compression
		return "", "", false
	}
	if len(b) == 0 {
		return "", "", true // no extensions
	}
	if len(b) < 2 {
		return "", "", false
	}
	el := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+el {
		return "", "", false
	}
	ext := b[2 : 2+el]
	for len(ext) >= 4 {
		typ, l := binary.BigEndian.Uint16(ext), int(binary.BigEndian.Uint16(ext[2:]))
		if len(ext) < 4+l {
			return "", "", false
		}
		body := ext[4 : 4+l]
		ext = ext[4+l:]
		switch typ {
		case 0: // server_name
			if len(body) >= 5 && body[2] == 0 {
				nl := int(binary.BigEndian.Uint16(body[3:]))
				if len(body) >= 5+nl {
					sni = string(body[5 : 5+nl])
				}
			}
		case 16: // application_layer_protocol_negotiation
			if len(body) >= 2 {
				list := body[2:]
				var names []byte
				for len(list) > 0 && len(list) >= 1+int(list[0]) {
					if len(names) > 0 {
						names = append(names, ',')
					}
					names = append(names, list[1:1+int(list[0])]...)
					list = list[1+int(list[0]):]
				}
				alpn = string(names)
			}
		}
	}
	return sni, alpn, true
}

// --- QUIC (RFC 9000 section 17.2) ---

// quicHeuristic recognises a QUIC long-header packet of a known version,
// as Wireshark's heuristic does: header form and fixed bit set, version 1
// (RFC 9000), 2 (RFC 9369) or a draft, connection IDs of at most 20 bytes.
func quicHeuristic(b []byte) bool {
	if len(b) < 7 || b[0]&0xc0 != 0xc0 {
		return false
	}
	v := binary.BigEndian.Uint32(b[1:5])
	switch {
	case v == 1, v == 0x6b3343cf, v>>8 == 0xff0000 && v&0xff >= 29 && v&0xff <= 34:
	default:
		return false
	}
	dcid := int(b[5])
	if dcid > 20 || len(b) < 7+dcid {
		return false
	}
	return int(b[6+dcid]) <= 20
}
