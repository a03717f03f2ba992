package pdu

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"strconv"
)

// Classic is the lab manual's layout, byte for byte, so netlab talks to the C
// peers written for the lab: a type byte and at most 100 data bytes, names in
// fixed NUL-padded 10-byte fields, IPv4 addresses, and content in frames of
// exactly 101 bytes. See the package documentation for the layouts.
type Classic struct{}

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
		if p.Peer != "" {
			dst = appendField(dst, p.Peer)
		}
		return appendField(dst, p.Content), nil
	case Deregister:
		if err := c.checkPair(t, p, false); err != nil {
			return dst, err
		}
		dst = append(dst, byte(t))
		dst = appendField(dst, p.Peer)
		return appendField(dst, p.Content), nil
	case Ack:
		return appendOptionalName(dst, t, p.Peer)
	case List:
		if !p.Reply {
			return appendOptionalName(dst, t, p.Peer)
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
		if len(p.Text) > ClassicMaxData {
			return dst, pduErr(t, ErrTooLong, "text of %d bytes, at most %d", len(p.Text), ClassicMaxData)
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

func appendOptionalName(dst []byte, t Type, name string) ([]byte, error) {
	if err := checkName(t, "peer", name, ClassicName, true); err != nil {
		return dst, err
	}
	dst = append(dst, byte(t))
	if name == "" {
		return dst, nil
	}
	return appendField(dst, name), nil
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
		return decodeOptionalName(t, data, p)
	case List:
		if !p.Reply {
			return decodeOptionalName(t, data, p)
		}
		return decodeSlots(t, data, p)
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
	return c.decodePair(t, data[:10], data[10:20], p)
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

// decodeOptionalName parses the optional peer name of an A or O request:
// empty data, or a name field (a C peer may send fewer than 10 bytes, or its
// whole NUL-padded struct).
func decodeOptionalName(t Type, data []byte, p *PDU) error {
	if len(data) > ClassicName && !allZero(data[ClassicName:]) {
		return pduErr(t, ErrMalformed, "%d data bytes, want 0 to 10", len(data))
	}
	if len(data) > ClassicName {
		data = data[:ClassicName]
	}
	if name := nulField(data); len(name) > 0 {
		p.Peer = string(name)
	}
	return nil
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
