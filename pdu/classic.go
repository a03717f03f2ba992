package pdu

import (
	"encoding/binary"
	"fmt"
	"net/netip"
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
	// sends and reads: [PeerFirst] (the zero value, netlab's) or [ContentFirst].
	// A request that carries only the content name reads the same in both.
	Requests RequestLayout
}

// RequestLayout is the order of the two 10-byte names in a [Classic] S or D
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

// Limits returns the [Classic] bounds.
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

// Append appends p in the [Classic] layout.
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
