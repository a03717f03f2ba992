package capture

import "encoding/binary"

// The TLS record layer (RFC 8446 section 5.1) over reassembled TCP: the
// heuristic, the records counted in the frame that completes them, and the
// ClientHello's server name and ALPN protocols.

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
