package pdu

// Decoding the Classic layout: fixed 101-byte frames, 10-byte NUL-padded
// names, and the two forms of the O reply (slots or records).

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Decode parses one [Classic] [PDU], such as one UDP datagram.
func (c Classic) Decode(b []byte, dir Direction, p *PDU) error {
	t, err := leadingType(b)
	if err != nil {
		return err
	}
	if len(b)-1 > ClassicMaxData {
		return pduErr(t, ErrTooLong, "%d data bytes, at most %d", len(b)-1, ClassicMaxData)
	}
	return c.decodeData(t, b[1:], dir, p)
}

func truncated(t Type, got int, want string) error {
	return pduErr(t, ErrTruncated, "%d data bytes, want %s", got, want)
}

// fixedLayout checks a fixed-size layout: at least want bytes, and anything
// beyond them only NUL padding (C peers often send their whole struct).
func fixedLayout(t Type, data []byte, want int, wantText string) error {
	if len(data) < want {
		return truncated(t, len(data), wantText)
	}
	if !allZero(data[want:]) {
		return pduErr(t, ErrMalformed, "%d data bytes, want %s (extra bytes are not NUL padding)", len(data), wantText)
	}
	return nil
}

func (c Classic) decodeData(t Type, data []byte, dir Direction, p *PDU) error {
	p.reset(t, dir)
	switch t {
	case Register:
		if err := fixedLayout(t, data, 26, "26"); err != nil {
			return err
		}
		if err := c.decodePair(t, data[0:10], data[10:20], p); err != nil {
			return err
		}
		return decodeAddr4(t, data[20:26], p)
	case Search, Download:
		if p.Reply {
			if err := fixedLayout(t, data, classicAddrSize, "6"); err != nil {
				return err
			}
			return decodeAddr4(t, data[:6], p)
		}
		return c.decodeRequest(t, data, p)
	case Deregister:
		if err := fixedLayout(t, data, 20, "20"); err != nil {
			return err
		}
		return c.decodePair(t, data[0:10], data[10:20], p)
	case Ack:
		// Any 0-100 bytes: netlab's name field or another server's
		// sentence, read up to its first NUL.
		text := nulField(data)
		p.Text = string(text)
		if len(text) <= ClassicName {
			p.Peer = p.Text
		}
		return nil
	case List:
		if !p.Reply {
			return decodeListRequest(t, data, p)
		}
		return decodeListReply(t, data, p)
	case Error:
		p.Text = string(nulField(data))
		return nil
	case Content:
		if len(data) != ClassicMaxData {
			return truncated(t, len(data), "100")
		}
		p.Data = data
		return nil
	case Final:
		if len(data) >= ClassicMaxData {
			return pduErr(t, ErrTooLong, "%d data bytes, an F frame holds 0 to %d", len(data), ClassicMaxData-1)
		}
		p.Data = data
		return nil
	}
	return unknownType(byte(t))
}

// decodeRequest parses an S or D request: peer [0:10] and content [10:20], or
// the short form with only the content name [0:10].
func (c Classic) decodeRequest(t Type, data []byte, p *PDU) error {
	first, second := data, data
	if len(data) >= 2*ClassicName {
		first, second = data[:ClassicName], data[ClassicName:2*ClassicName]
	}
	switch {
	case len(data) < ClassicName || (len(data) > ClassicName && len(data) < 2*ClassicName):
		return truncated(t, len(data), "10 or 20")
	case len(data) == ClassicName || allZero(data[ClassicName:]):
		name := nulField(data[:ClassicName])
		if len(name) == 0 {
			return pduErr(t, ErrBadName, "empty content name")
		}
		p.Content = string(name)
		return nil
	case !allZero(data[2*ClassicName:]):
		return pduErr(t, ErrMalformed, "%d data bytes, want 10 or 20 (extra bytes are not NUL padding)", len(data))
	}
	if c.Requests == ContentFirst {
		return c.decodePair(t, second, first, p)
	}
	return c.decodePair(t, first, second, p)
}

func (Classic) decodePair(t Type, peerField, contentField []byte, p *PDU) error {
	peer, content := nulField(peerField), nulField(contentField)
	if len(peer) == 0 {
		return pduErr(t, ErrBadName, "empty peer name")
	}
	if len(content) == 0 {
		return pduErr(t, ErrBadName, "empty content name")
	}
	p.setPair(peer, content)
	return nil
}

func decodeAddr4(t Type, b []byte, p *PDU) error {
	ip := netip.AddrFrom4([4]byte(b[0:4]))
	port := binary.BigEndian.Uint16(b[4:6])
	if port == 0 {
		return pduErr(t, ErrBadAddr, "port 0")
	}
	p.Addr = netip.AddrPortFrom(ip, port)
	return nil
}

// decodeListRequest parses an O request: empty data, or the peer's name
// field (a C peer may send fewer than 10 bytes, or its whole NUL-padded
// struct), optionally followed by a second name field, where the page of
// names starts (netlab's paging; other servers ignore it).
func decodeListRequest(t Type, data []byte, p *PDU) error {
	var start []byte
	if len(data) > ClassicName {
		rest := data[ClassicName:]
		if len(rest) > ClassicName && !allZero(rest[ClassicName:]) {
			return pduErr(t, ErrMalformed, "%d data bytes, want 0 to 20", len(data))
		}
		start = nulField(rest[:min(len(rest), ClassicName)])
		data = data[:ClassicName]
	}
	peer := nulField(data)
	p.setPair(peer, start)
	return nil
}

// decodeListReply parses an O reply in the first form that reads it whole:
// records "peer|content|ip:port;" (other index servers), netlab's 10-byte
// name slots, or a text shown as it came (up to its first NUL).
func decodeListReply(t Type, data []byte, p *PDU) error {
	// Like a text, records end at the first NUL: what a C sender left in
	// its buffer after it is not part of the reply.
	if hs, ok := parseRecords(nulField(data)); ok {
		p.Holders = hs
		return nil
	}
	if slotsForm(data) {
		return decodeSlots(t, data, p)
	}
	p.Text = string(nulField(data))
	return nil
}

// slotsForm reports whether an O reply reads as netlab's name slots: a
// multiple of 10 bytes, each slot a name padded with NULs, and empty slots
// only at the end. Padding after the names (a C struct sent whole) is
// accepted only when the names do not read as one NUL-terminated text, so
// "No content registered" padded to 100 bytes is a text, not three names.
func slotsForm(data []byte) bool {
	if len(data)%ClassicName != 0 {
		return false
	}
	names, padded := 0, false
	for off := 0; off < len(data); off += ClassicName {
		slot := data[off : off+ClassicName]
		name := nulField(slot)
		switch {
		case len(name) == 0 && !allZero(data[off:]):
			return false // an empty slot with names after it
		case len(name) == 0:
			padded = true
		case !allZero(slot[len(name):]):
			return false // bytes after a name's NUL: not a name field
		default:
			names++
		}
		if padded {
			break
		}
	}
	if !padded {
		return true
	}
	// Padded: a text is one string followed by NULs only.
	first := nulField(data)
	return names > 0 && !allZero(data[len(first):])
}

// validRecordField reports whether s can be the peer or content field of a
// record: not empty, without '|', ';' or NUL.
func validRecordField(s string) bool {
	return s != "" && !strings.ContainsAny(s, "|;\x00")
}

// parseRecords reads text as records "peer|content|ip:port;", the last ';'
// optional. It returns false unless every byte belongs to a record.
func parseRecords(text []byte) ([]Holder, bool) {
	s := string(text)
	s = strings.TrimSuffix(s, ";")
	if s == "" {
		return nil, false
	}
	var hs []Holder
	for rec := range strings.SplitSeq(s, ";") {
		f := strings.Split(rec, "|")
		if len(f) != 3 || !validRecordField(f[0]) || !validRecordField(f[1]) {
			return nil, false
		}
		ap, err := netip.ParseAddrPort(f[2])
		if err != nil || ap.Port() == 0 || ap.String() != f[2] {
			return nil, false
		}
		hs = append(hs, Holder{Peer: f[0], Content: f[1], Addr: ap})
	}
	return hs, true
}

// decodeSlots parses an O reply: content names in 10-byte slots; an empty
// slot ends the names and only empty slots may follow it.
func decodeSlots(t Type, data []byte, p *PDU) error {
	if len(data)%ClassicName != 0 {
		return truncated(t, len(data), "a multiple of 10")
	}
	var names [ClassicSlots][]byte
	n := 0
	for off := 0; off < len(data); off += ClassicName {
		name := nulField(data[off : off+ClassicName])
		if len(name) == 0 {
			if !allZero(data[off:]) {
				return pduErr(t, ErrBadName, "empty content name in slot %d", off/ClassicName)
			}
			break
		}
		names[n] = name
		n++
	}
	p.setNames(names[:n])
	return nil
}

// ReadPDU reads one [Classic] [PDU] from a stream. Content frames are framed by
// their fixed sizes: a C frame is exactly 101 bytes; F and E frames run to
// the end of the stream (the server closes after them), at most 99 and 100
// data bytes. A request (D) has no length on the wire: it is what arrived
// with its type byte, as the lab's C peers send it with one write, and at
// least the bytes its shortest form needs.
func (c Classic) ReadPDU(r *bufio.Reader, dir Direction, p *PDU) error {
	t, err := readType(r)
	if err != nil {
		return err
	}
	var data []byte
	switch t {
	case Content:
		data, err = r.Peek(ClassicMaxData)
		if err != nil {
			return streamTruncated(t, len(data), "100", err)
		}
	case Final, Error:
		data, err = r.Peek(ClassicMaxData + 1) // F holds < 100, E <= 100: more is an error
		if err != nil && err != io.EOF {
			return err
		}
		if len(data) > ClassicMaxData {
			return pduErr(t, ErrTooLong, "more than %d data bytes before the end of the stream", ClassicMaxData)
		}
	default:
		need := 0
		switch {
		case t == Register:
			need = 26
		case t == Deregister:
			need = 20
		case (t == Search && dir == Reply):
			need = classicAddrSize
		case t == Search || t == Download:
			need = ClassicName
		}
		if _, err := r.Peek(need); err != nil {
			return streamTruncated(t, r.Buffered(), "at least "+strconv.Itoa(need), err)
		}
		data, _ = r.Peek(min(r.Buffered(), ClassicMaxData))
	}
	if err := c.decodeData(t, data, dir, p); err != nil {
		return err
	}
	_, _ = r.Discard(len(data))
	return nil
}

func streamTruncated(t Type, got int, want string, err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("pdu: %c PDU: %w: %d data bytes, want %s: %w", rune(t), ErrTruncated, got, want, err)
}
