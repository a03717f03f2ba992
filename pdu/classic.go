package pdu

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// Classic is the lab manual's layout, byte for byte, so netlab talks to the C
// peers written for the lab: a type byte and at most 100 data bytes, names in
// fixed NUL-padded 10-byte fields, IPv4 addresses, and content in frames of
// exactly 101 bytes. See the package documentation for the layouts.
//
// The zero value is netlab's layout. Requests selects the order of the two
// names in S and D requests, which differs between the lab's
// implementations.
type Classic struct {
	// Requests is the order of the names in the S and D requests this codec
	// sends and reads: PeerFirst (the zero value, netlab's) or ContentFirst.
	// A request that carries only the content name reads the same in both.
	Requests RequestLayout
}

// RequestLayout is the order of the two 10-byte names in a Classic S or D
// request.
type RequestLayout uint8

const (
	// PeerFirst: the peer name, then the content name (netlab's layout).
	PeerFirst RequestLayout = iota
	// ContentFirst: the content name, then the peer name; index servers
	// that read the content name from the first 10 bytes of S expect it.
	ContentFirst
)

// String returns "peer-first" or "content-first".
func (l RequestLayout) String() string {
	if l == ContentFirst {
		return "content-first"
	}
	return "peer-first"
}

// ParseRequestLayout parses "peer-first" or "content-first".
func ParseRequestLayout(s string) (RequestLayout, error) {
	switch s {
	case "peer-first":
		return PeerFirst, nil
	case "content-first":
		return ContentFirst, nil
	}
	return 0, fmt.Errorf("pdu: request layout %q: want peer-first or content-first", s)
}

// Classic layout constants.
const (
	ClassicMaxData  = 100                // data bytes after the type byte
	ClassicName     = 10                 // bytes in a name field
	ClassicSlots    = 10                 // name slots in one O reply
	ClassicFrame    = 1 + ClassicMaxData // a whole PDU: type byte and data
	classicAddrSize = 6                  // IPv4 + port
)

var zeros [ClassicMaxData]byte

// Name returns "classic".
func (Classic) Name() string { return "classic" }

// Limits returns the Classic bounds.
func (Classic) Limits() Limits {
	return Limits{
		MaxName:     ClassicName,
		MaxText:     ClassicMaxData,
		MaxData:     ClassicMaxData,
		MaxNames:    ClassicSlots,
		MaxDatagram: ClassicFrame,
		MaxFrame:    ClassicFrame,
	}
}

// Append appends p in the Classic layout.
func (c Classic) Append(dst []byte, p *PDU) ([]byte, error) {
	t := p.Type
	if p.Announce {
		return dst, pduErr(t, ErrMalformed, "the classic layout cannot announce size and sum")
	}
	if p.Part != PartWhole || len(p.Others) > 0 {
		return dst, pduErr(t, ErrMalformed, "the classic layout carries no parts and one holder only")
	}
	switch t {
	case Register:
		if err := c.checkPair(t, p, false); err != nil {
			return dst, err
		}
		dst = append(dst, byte(t))
		dst = appendField(dst, p.Peer)
		dst = appendField(dst, p.Content)
		return appendAddr4(dst, t, p.Addr)
	case Search, Download:
		if t == Search && p.Reply {
			return appendAddr4(append(dst, byte(t)), t, p.Addr)
		}
		if err := c.checkPair(t, p, true); err != nil {
			return dst, err
		}
		dst = append(dst, byte(t))
		switch {
		case p.Peer == "":
			return appendField(dst, p.Content), nil
		case c.Requests == ContentFirst:
			return appendField(appendField(dst, p.Content), p.Peer), nil
		}
		return appendField(appendField(dst, p.Peer), p.Content), nil
	case Deregister:
		if err := c.checkPair(t, p, false); err != nil {
			return dst, err
		}
		dst = append(dst, byte(t))
		dst = appendField(dst, p.Peer)
		return appendField(dst, p.Content), nil
	case Ack:
		return appendAck(dst, p)
	case List:
		if !p.Reply {
			return appendListRequest(dst, p)
		}
		if len(p.Holders) > 0 || p.Text != "" {
			return appendListText(dst, p)
		}
		if len(p.Names) > ClassicSlots {
			return dst, pduErr(t, ErrTooLong, "%d names, at most %d per PDU", len(p.Names), ClassicSlots)
		}
		for _, n := range p.Names {
			if err := checkName(t, "content", n, ClassicName, false); err != nil {
				return dst, err
			}
		}
		dst = append(dst, byte(t))
		for _, n := range p.Names {
			dst = appendField(dst, n)
		}
		return dst, nil
	case Error:
		if err := checkText(t, p.Text); err != nil {
			return dst, err
		}
		return append(append(dst, byte(t)), p.Text...), nil
	case Content:
		if len(p.Data) != ClassicMaxData {
			return dst, pduErr(t, ErrMalformed, "%d data bytes, a C frame holds exactly %d", len(p.Data), ClassicMaxData)
		}
		return append(append(dst, byte(t)), p.Data...), nil
	case Final:
		if len(p.Data) >= ClassicMaxData {
			return dst, pduErr(t, ErrTooLong, "%d data bytes, an F frame holds 0 to %d", len(p.Data), ClassicMaxData-1)
		}
		return append(append(dst, byte(t)), p.Data...), nil
	}
	return dst, unknownType(byte(t))
}

func (Classic) checkPair(t Type, p *PDU, peerOptional bool) error {
	if err := checkName(t, "peer", p.Peer, ClassicName, peerOptional); err != nil {
		return err
	}
	return checkName(t, "content", p.Content, ClassicName, false)
}

// appendField appends name NUL-padded to a 10-byte field; the name has been
// checked.
func appendField(dst []byte, name string) []byte {
	dst = append(dst, name...)
	return append(dst, zeros[:ClassicName-len(name)]...)
}

// appendAck appends an A: netlab's form, the peer's name in a 10-byte
// field, or a text such as other index servers send. A text that fits a
// name is sent as netlab's name field: it decodes to the same PDU.
func appendAck(dst []byte, p *PDU) ([]byte, error) {
	t := p.Type
	switch {
	case p.Peer != "" && p.Text != "" && p.Text != p.Peer:
		return dst, pduErr(t, ErrMalformed, "peer %q and text %q: an A carries one of them", p.Peer, p.Text)
	case p.Peer != "" || (p.Text != "" && len(p.Text) <= ClassicName):
		name := p.Peer
		if name == "" {
			name = p.Text
		}
		if err := checkName(t, "peer", name, ClassicName, false); err != nil {
			return dst, err
		}
		return appendField(append(dst, byte(t)), name), nil
	}
	if err := checkText(t, p.Text); err != nil {
		return dst, err
	}
	return append(append(dst, byte(t)), p.Text...), nil
}

// checkText validates an A, E or O text: at most 100 bytes, no NUL (a NUL
// ends the text for a reader).
func checkText(t Type, text string) error {
	if len(text) > ClassicMaxData {
		return pduErr(t, ErrTooLong, "text of %d bytes, at most %d", len(text), ClassicMaxData)
	}
	if strings.IndexByte(text, 0) >= 0 {
		return pduErr(t, ErrMalformed, "text contains NUL")
	}
	return nil
}

// appendListRequest appends an O request: 'O' alone, or with the peer's
// name field, and with a second field naming where the page starts.
func appendListRequest(dst []byte, p *PDU) ([]byte, error) {
	t := p.Type
	if err := checkName(t, "peer", p.Peer, ClassicName, true); err != nil {
		return dst, err
	}
	if err := checkName(t, "start", p.Content, ClassicName, true); err != nil {
		return dst, err
	}
	dst = append(dst, byte(t))
	if p.Peer == "" && p.Content == "" {
		return dst, nil
	}
	if p.Peer == "" {
		dst = append(dst, zeros[:ClassicName]...)
	} else {
		dst = appendField(dst, p.Peer)
	}
	if p.Content == "" {
		return dst, nil
	}
	return appendField(dst, p.Content), nil
}

// appendListText appends an O reply in the forms other index servers send:
// records "peer|content|ip:port;" or a plain text. netlab's index never
// sends them; they exist so that a decoded reply encodes again.
func appendListText(dst []byte, p *PDU) ([]byte, error) {
	t := p.Type
	if len(p.Names) > 0 || (len(p.Holders) > 0 && p.Text != "") {
		return dst, pduErr(t, ErrMalformed, "an O reply carries names, holders or a text, one of them")
	}
	start := len(dst)
	dst = append(dst, byte(t))
	if len(p.Holders) > 0 {
		for _, h := range p.Holders {
			if !validRecordField(h.Peer) || !validRecordField(h.Content) || !h.Addr.IsValid() || h.Addr.Port() == 0 {
				return dst[:start], pduErr(t, ErrMalformed, "holder %q|%q|%v cannot be a record", h.Peer, h.Content, h.Addr)
			}
			dst = append(dst, h.Peer...)
			dst = append(dst, '|')
			dst = append(dst, h.Content...)
			dst = append(dst, '|')
			dst = h.Addr.AppendTo(dst)
			dst = append(dst, ';')
		}
		if len(dst)-start-1 > ClassicMaxData {
			return dst[:start], pduErr(t, ErrTooLong, "records of %d bytes, at most %d", len(dst)-start-1, ClassicMaxData)
		}
		return dst, nil
	}
	if err := checkText(t, p.Text); err != nil {
		return dst[:start], err
	}
	if _, ok := parseRecords([]byte(p.Text)); ok {
		return dst[:start], pduErr(t, ErrMalformed, "text %q reads as holder records", p.Text)
	}
	dst = append(dst, p.Text...)
	// A text whose length is a multiple of 10 would read as name slots:
	// a terminating NUL keeps it a text.
	if len(p.Text)%ClassicName == 0 {
		if len(p.Text) == ClassicMaxData {
			return dst[:start], pduErr(t, ErrTooLong, "a text of %d bytes reads as %d names", ClassicMaxData, ClassicSlots)
		}
		dst = append(dst, 0)
	}
	return dst, nil
}

func appendAddr4(dst []byte, t Type, ap netip.AddrPort) ([]byte, error) {
	a := ap.Addr().Unmap()
	if !a.Is4() {
		return dst, pduErr(t, ErrBadAddr, "%v is not an IPv4 address", ap.Addr())
	}
	ip := a.As4()
	dst = append(dst, ip[:]...)
	return binary.BigEndian.AppendUint16(dst, ap.Port()), nil
}

// Decode parses one Classic PDU, such as one UDP datagram.
func (c Classic) Decode(b []byte, dir Direction, p *PDU) error {
	if len(b) == 0 {
		return errEmpty
	}
	t := Type(b[0])
	if !t.Known() {
		return unknownType(b[0])
	}
	if len(b)-1 > ClassicMaxData {
		return pduErr(t, ErrTooLong, "%d data bytes, at most %d", len(b)-1, ClassicMaxData)
	}
	return c.decodeData(t, b[1:], dir, p)
}

var errEmpty = fmt.Errorf("pdu: %w", ErrEmpty)

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
	if hs, ok := parseRecords(nulField(data)); ok && allZero(data[len(nulField(data)):]) {
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

// ReadPDU reads one Classic PDU from a stream. Content frames are framed by
// their fixed sizes: a C frame is exactly 101 bytes; F and E frames run to
// the end of the stream (the server closes after them), at most 99 and 100
// data bytes. A request (D) has no length on the wire: it is what arrived
// with its type byte, as the lab's C peers send it with one write, and at
// least the bytes its shortest form needs.
func (c Classic) ReadPDU(r *bufio.Reader, dir Direction, p *PDU) error {
	tb, err := r.ReadByte()
	if err != nil {
		return err
	}
	t := Type(tb)
	if !t.Known() {
		return unknownType(tb)
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
