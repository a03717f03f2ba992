package capture

import (
	"bytes"
	"strconv"
	"strings"
)

// HTTP/1.x (RFC 9112) over reassembled TCP: the heuristic that finds it on
// any port, the header parser, the chunked body scanner, and the
// segment-by-segment dissection that counts a message once, in the frame
// that completes it.

var httpMethods = [][]byte{[]byte("GET "), []byte("POST "), []byte("HEAD "), []byte("PUT "), []byte("DELETE "),
	[]byte("OPTIONS "), []byte("CONNECT "), []byte("TRACE "), []byte("PATCH ")}

// httpFirstByte holds the first letters of the request methods and of
// "HTTP/1.".
var httpFirstByte = func() (t [256]bool) {
	for _, m := range httpMethods {
		t[m[0]] = true
	}
	t['H'] = true
	return t
}()

// httpHeuristic reports whether b starts like an HTTP/1.x message: a
// request line "METHOD target HTTP/1.x" or a status line "HTTP/1.x ".
func httpHeuristic(b []byte) bool {
	if len(b) == 0 || !httpFirstByte[b[0]] {
		return false // most payloads go no further
	}
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
	if len(b) > 0 && !httpFirstByte[b[0]] {
		return false
	}
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
			// Find the end of the header in what is buffered plus p;
			// a header whole in p (the usual case) is read where it is.
			old := len(h.hdr)
			hdr := p[:min(len(p), maxHeaderBytes)]
			i := -1
			if old == 0 {
				i = bytes.Index(hdr, []byte("\r\n\r\n"))
			}
			if i < 0 {
				h.hdr = append(h.hdr, p[:min(len(p), maxHeaderBytes-old)]...)
				hdr = h.hdr
				if i = bytes.Index(hdr, []byte("\r\n\r\n")); i < 0 {
					if len(h.hdr) >= maxHeaderBytes {
						h.reset()
						if !emitted {
							d.push(protoHTTP)
						}
					}
					return // the header continues in the next segment
				}
			}
			p = p[i+4-old:]
			if !httpHeuristic(hdr[:i+4]) {
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
			m, ok := parseHTTPHeader(hdr[:i+4], d.strs)
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
			h.msg = d.streams.newMsg(&m)
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
		m := *h.msg
		f := appFact{kind: factHTTPResp, status: m.status, reason: m.reason, server: ip.src}
		if m.request {
			f = appFact{kind: factHTTPReq, method: m.method, uri: m.uri, host: m.host, server: ip.dst}
		}
		f.v6 = ip.v6
		d.addApp(f)
		h.segs = 0
		d.streams.freeMsg(h.msg)
		h.msg = nil
	}
}
