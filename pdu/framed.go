package pdu

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
)

// Framed is netlab's own codec for real files: every PDU is a type byte, a
// uvarint payload length and the payload. Names are length-prefixed (up to
// 255 bytes), addresses are IPv4 or IPv6, content frames carry up to 64 KiB,
// and the first content frame announces the size and SHA-256 of the content
// so the downloader can verify both. Every length is checked against its
// bound before anything is allocated.
type Framed struct{}

// Framed layout constants.
const (
	FramedMaxName  = 255      // longest name, in bytes
	FramedMaxText  = 1024     // longest E text, in bytes
	FramedMaxData  = 64 << 10 // data bytes in one C or F frame
	FramedMaxNames = 100      // names in one O reply
	// FramedMaxHolders is the most holder addresses in one S reply: Addr
	// and up to FramedMaxHolders-1 Others.
	FramedMaxHolders = 16

	framedAnnounce     = 1 << 0                         // C flags bit: size and sum follow
	framedMaxHeader    = 1 + binary.MaxVarintLen32      // type byte and payload length
	framedContentHead  = 1 + binary.MaxVarintLen64 + 32 // flags and announcement
	framedMaxCPayload  = framedContentHead + FramedMaxData
	framedMaxFrame     = framedMaxHeader + framedMaxCPayload
	framedMaxListBytes = FramedMaxNames * (1 + FramedMaxName)
	framedMaxDatagram  = framedMaxHeader + framedMaxListBytes
)

// Name returns "framed".
func (Framed) Name() string { return "framed" }

// Limits returns the Framed bounds.
func (Framed) Limits() Limits {
	return Limits{
		MaxName:     FramedMaxName,
		MaxText:     FramedMaxText,
		MaxData:     FramedMaxData,
		MaxNames:    FramedMaxNames,
		MaxDatagram: framedMaxDatagram,
		MaxFrame:    framedMaxFrame,
		Announce:    true,
		IPv6:        true,
	}
}

// maxPayload bounds the payload length of each type, before allocation.
func framedMaxPayload(t Type) int {
	switch t {
	case Content:
		return framedMaxCPayload
	case Final:
		return FramedMaxData
	case Error:
		return FramedMaxText
	case List:
		return framedMaxListBytes
	}
	// two names and an address, or FramedMaxHolders addresses, or two
	// names, a part byte and a chunk index
	return max(2*(1+FramedMaxName)+1+16+2, FramedMaxHolders*(1+16+2), 2*(1+FramedMaxName)+1+binary.MaxVarintLen64)
}

// Append appends p in the Framed layout.
func (f Framed) Append(dst []byte, p *PDU) ([]byte, error) {
	t := p.Type
	if !t.Known() {
		return dst, unknownType(byte(t))
	}
	if err := f.check(p); err != nil {
		return dst, err
	}
	n := f.payloadLen(p)
	dst = append(dst, byte(t))
	dst = binary.AppendUvarint(dst, uint64(n))
	switch t {
	case Register:
		dst = appendName(dst, p.Peer)
		dst = appendName(dst, p.Content)
		dst = appendAddr(dst, p.Addr)
	case Search, Download, Deregister:
		if p.Reply && t == Search {
			dst = appendAddr(dst, p.Addr)
			for _, a := range p.Others {
				dst = appendAddr(dst, a)
			}
			return dst, nil
		}
		dst = appendName(dst, p.Peer)
		dst = appendName(dst, p.Content)
		if t == Download && p.Part != PartWhole {
			dst = append(dst, byte(p.Part))
			if p.Part == PartChunk {
				dst = binary.AppendUvarint(dst, uint64(p.Chunk))
			}
		}
	case Ack:
		if name := ackName(p); name != "" {
			dst = appendName(dst, name)
		}
	case List:
		if !p.Reply {
			if p.Peer != "" || p.Content != "" {
				dst = appendName(dst, p.Peer)
			}
			if p.Content != "" {
				dst = appendName(dst, p.Content)
			}
			break
		}
		for _, name := range p.Names {
			dst = appendName(dst, name)
		}
	case Error:
		dst = append(dst, p.Text...)
	case Content:
		if p.Announce {
			dst = append(dst, framedAnnounce)
			dst = binary.AppendUvarint(dst, uint64(p.Size))
			dst = append(dst, p.Sum[:]...)
		} else {
			dst = append(dst, 0)
		}
		dst = append(dst, p.Data...)
	case Final:
		dst = append(dst, p.Data...)
	}
	return dst, nil
}

// ackName is the name a Framed A carries: Peer, or a Text given alone.
func ackName(p *PDU) string {
	if p.Peer != "" {
		return p.Peer
	}
	return p.Text
}

// appendDataHeader appends the header of a C (no announcement) or F frame
// carrying n data bytes; see dataHeaderCodec.
func (Framed) appendDataHeader(dst []byte, t Type, n int) []byte {
	dst = append(dst, byte(t))
	if t == Content {
		dst = binary.AppendUvarint(dst, uint64(1+n))
		return append(dst, 0) // flags: no announcement
	}
	return binary.AppendUvarint(dst, uint64(n))
}

// readDataHeader reads the header of a C or F frame from r, the fields
// before its data: type, payload length and, for C, the flags and any
// announcement, into p (p.Data is left nil). It returns how many data bytes
// follow in the stream, checked against the same bounds as Decode, so the
// caller can read them straight into its own buffer.
func (f Framed) readDataHeader(r *bufio.Reader, p *PDU) (int, error) {
	tb, err := r.ReadByte()
	if err != nil {
		return 0, err
	}
	t := Type(tb)
	if t != Content && t != Final {
		return 0, pduErr(t, ErrMalformed, "not a content frame")
	}
	n, err := binary.ReadUvarint(r)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, fmt.Errorf("pdu: %c PDU: %w: payload length: %w", rune(t), ErrTruncated, err)
	}
	if n > uint64(framedMaxPayload(t)) {
		return 0, pduErr(t, ErrTooLong, "payload of %d bytes, at most %d", n, framedMaxPayload(t))
	}
	*p = PDU{Type: t}
	if t == Final {
		return int(n), nil
	}
	// C: the flags byte and the announcement lie within the first
	// framedContentHead bytes of the payload.
	head, err := r.Peek(min(int(n), framedContentHead))
	if err != nil {
		return 0, streamTruncated(t, len(head), fmt.Sprint(n), err)
	}
	c := framedCursor{t: t, b: head}
	if err := f.decodeContent(&c, p); err != nil {
		return 0, err
	}
	used := len(head) - len(p.Data)
	p.Data = nil
	_, _ = r.Discard(used)
	data := int(n) - used
	if data > FramedMaxData {
		return 0, pduErr(t, ErrTooLong, "%d data bytes, at most %d", data, FramedMaxData)
	}
	return data, nil
}

// check validates p for encoding.
func (Framed) check(p *PDU) error {
	t := p.Type
	name := func(what, n string, optional bool) error { return checkName(t, what, n, FramedMaxName, optional) }
	addr := func() error {
		if !p.Addr.IsValid() || p.Addr.Port() == 0 || p.Addr.Addr().Zone() != "" {
			return pduErr(t, ErrBadAddr, "%v is not an IP address and non-zero port without zone", p.Addr)
		}
		return nil
	}
	switch t {
	case Register:
		if err := name("peer", p.Peer, false); err != nil {
			return err
		}
		if err := name("content", p.Content, false); err != nil {
			return err
		}
		return addr()
	case Search, Download, Deregister:
		if t == Search && p.Reply {
			if len(p.Others) >= FramedMaxHolders {
				return pduErr(t, ErrTooLong, "%d holders, at most %d per PDU", 1+len(p.Others), FramedMaxHolders)
			}
			for _, a := range append([]netip.AddrPort{p.Addr}, p.Others...) {
				if !a.IsValid() || a.Port() == 0 || a.Addr().Zone() != "" {
					return pduErr(t, ErrBadAddr, "%v is not an IP address and non-zero port without zone", a)
				}
			}
			return nil
		}
		if err := name("peer", p.Peer, t != Deregister); err != nil {
			return err
		}
		if p.Part != PartWhole && (t != Download || p.Part > PartChunk) {
			return pduErr(t, ErrMalformed, "part %d: only a D asks for a part, 1 or 2", p.Part)
		}
		if p.Chunk < 0 || p.Chunk > MaxChunks || (p.Chunk != 0 && p.Part != PartChunk) {
			return pduErr(t, ErrMalformed, "chunk %d: want 0 to %d, with part %d", p.Chunk, MaxChunks, PartChunk)
		}
		return name("content", p.Content, false)
	case Ack:
		if p.Peer != "" && p.Text != "" && p.Text != p.Peer {
			return pduErr(t, ErrMalformed, "peer %q and text %q: an A carries one of them", p.Peer, p.Text)
		}
		return name("peer", ackName(p), true)
	case List:
		if !p.Reply {
			if err := name("peer", p.Peer, true); err != nil {
				return err
			}
			return name("start", p.Content, true)
		}
		if len(p.Holders) > 0 || p.Text != "" {
			return pduErr(t, ErrMalformed, "the framed O reply carries names only")
		}
		if len(p.Names) > FramedMaxNames {
			return pduErr(t, ErrTooLong, "%d names, at most %d per PDU", len(p.Names), FramedMaxNames)
		}
		for _, n := range p.Names {
			if err := name("content", n, false); err != nil {
				return err
			}
		}
	case Error:
		if len(p.Text) > FramedMaxText {
			return pduErr(t, ErrTooLong, "text of %d bytes, at most %d", len(p.Text), FramedMaxText)
		}
	case Content, Final:
		if len(p.Data) > FramedMaxData {
			return pduErr(t, ErrTooLong, "%d data bytes, at most %d", len(p.Data), FramedMaxData)
		}
		if p.Announce && (t != Content || p.Size < 0) {
			return pduErr(t, ErrMalformed, "only a C frame announces, with a size >= 0")
		}
	}
	return nil
}

func (Framed) payloadLen(p *PDU) int {
	nameLen := func(n string) int { return 1 + len(n) }
	switch p.Type {
	case Register:
		return nameLen(p.Peer) + nameLen(p.Content) + addrLen(p.Addr)
	case Search, Download, Deregister:
		if p.Reply && p.Type == Search {
			n := addrLen(p.Addr)
			for _, a := range p.Others {
				n += addrLen(a)
			}
			return n
		}
		n := nameLen(p.Peer) + nameLen(p.Content)
		if p.Type == Download && p.Part != PartWhole {
			n++
			if p.Part == PartChunk {
				n += uvarintLen(uint64(p.Chunk))
			}
		}
		return n
	case Ack:
		if ackName(p) == "" {
			return 0
		}
		return nameLen(ackName(p))
	case List:
		if !p.Reply {
			switch {
			case p.Content != "":
				return nameLen(p.Peer) + nameLen(p.Content)
			case p.Peer != "":
				return nameLen(p.Peer)
			}
			return 0
		}
		n := 0
		for _, name := range p.Names {
			n += nameLen(name)
		}
		return n
	case Error:
		return len(p.Text)
	case Content:
		if p.Announce {
			return 1 + uvarintLen(uint64(p.Size)) + 32 + len(p.Data)
		}
		return 1 + len(p.Data)
	case Final:
		return len(p.Data)
	}
	return 0
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

func appendName(dst []byte, name string) []byte {
	return append(append(dst, byte(len(name))), name...)
}

func addrLen(ap netip.AddrPort) int {
	if ap.Addr().Is4() {
		return 1 + 4 + 2
	}
	return 1 + 16 + 2
}

func appendAddr(dst []byte, ap netip.AddrPort) []byte {
	a := ap.Addr()
	if a.Is4() {
		b := a.As4()
		dst = append(append(dst, 4), b[:]...)
	} else {
		b := a.As16()
		dst = append(append(dst, 6), b[:]...)
	}
	return binary.BigEndian.AppendUint16(dst, ap.Port())
}

// Decode parses one Framed PDU, such as one UDP datagram: the payload length
// must match the bytes that follow it exactly.
func (f Framed) Decode(b []byte, dir Direction, p *PDU) error {
	if len(b) == 0 {
		return errEmpty
	}
	t := Type(b[0])
	if !t.Known() {
		return unknownType(b[0])
	}
	n, k := binary.Uvarint(b[1:])
	if k <= 0 {
		return pduErr(t, ErrTruncated, "no complete payload length")
	}
	rest := b[1+k:]
	if n > uint64(framedMaxPayload(t)) {
		return pduErr(t, ErrTooLong, "payload of %d bytes, at most %d", n, framedMaxPayload(t))
	}
	if uint64(len(rest)) < n {
		return pduErr(t, ErrTruncated, "%d payload bytes, want %d", len(rest), n)
	}
	if uint64(len(rest)) > n {
		return pduErr(t, ErrMalformed, "%d bytes after a payload of %d", uint64(len(rest))-n, n)
	}
	return f.decodePayload(t, rest, dir, p)
}

// ReadPDU reads one Framed PDU from a stream by its payload length.
func (f Framed) ReadPDU(r *bufio.Reader, dir Direction, p *PDU) error {
	tb, err := r.ReadByte()
	if err != nil {
		return err
	}
	t := Type(tb)
	if !t.Known() {
		return unknownType(tb)
	}
	n, err := binary.ReadUvarint(r)
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return fmt.Errorf("pdu: %c PDU: %w: payload length: %w", rune(t), ErrTruncated, err)
	}
	if n > uint64(framedMaxPayload(t)) {
		return pduErr(t, ErrTooLong, "payload of %d bytes, at most %d", n, framedMaxPayload(t))
	}
	if int(n) > r.Size() {
		return pduErr(t, ErrTooLong, "payload of %d bytes does not fit the %d-byte reader (use pdu.NewReader)", n, r.Size())
	}
	payload, err := r.Peek(int(n))
	if err != nil {
		return streamTruncated(t, len(payload), fmt.Sprint(n), err)
	}
	if err := f.decodePayload(t, payload, dir, p); err != nil {
		return err
	}
	_, _ = r.Discard(int(n))
	return nil
}

// framedCursor reads fields from a payload, remembering the first error.
type framedCursor struct {
	t   Type
	b   []byte
	err error
}

func (c *framedCursor) name(what string, optional bool) []byte {
	if c.err != nil {
		return nil
	}
	if len(c.b) < 1 {
		c.err = pduErr(c.t, ErrTruncated, "%s name length missing", what)
		return nil
	}
	n := int(c.b[0])
	if len(c.b) < 1+n {
		c.err = pduErr(c.t, ErrTruncated, "%s name of %d bytes, %d present", what, n, len(c.b)-1)
		return nil
	}
	name := c.b[1 : 1+n]
	c.b = c.b[1+n:]
	switch {
	case n == 0 && !optional:
		c.err = pduErr(c.t, ErrBadName, "empty %s name", what)
	case indexNUL(name) >= 0:
		c.err = pduErr(c.t, ErrBadName, "%s name contains NUL", what)
	}
	return name
}

func indexNUL(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

func (c *framedCursor) addr() netip.AddrPort {
	if c.err != nil {
		return netip.AddrPort{}
	}
	if len(c.b) < 1 {
		c.err = pduErr(c.t, ErrTruncated, "address family missing")
		return netip.AddrPort{}
	}
	var a netip.Addr
	var rest []byte
	switch fam := c.b[0]; {
	case fam == 4 && len(c.b) >= 1+4+2:
		a, rest = netip.AddrFrom4([4]byte(c.b[1:5])), c.b[5:]
	case fam == 6 && len(c.b) >= 1+16+2:
		a, rest = netip.AddrFrom16([16]byte(c.b[1:17])), c.b[17:]
	case fam == 4 || fam == 6:
		c.err = pduErr(c.t, ErrTruncated, "IPv%d address and port need %d bytes, %d present", fam, 2+map[byte]int{4: 4, 6: 16}[fam], len(c.b)-1)
		return netip.AddrPort{}
	default:
		c.err = pduErr(c.t, ErrBadAddr, "address family %d, want 4 or 6", fam)
		return netip.AddrPort{}
	}
	port := binary.BigEndian.Uint16(rest)
	c.b = rest[2:]
	if port == 0 {
		c.err = pduErr(c.t, ErrBadAddr, "port 0")
	}
	return netip.AddrPortFrom(a, port)
}

// part reads the part a D asks for, and its chunk index.
func (c *framedCursor) part(p *PDU) {
	p.Part, c.b = Part(c.b[0]), c.b[1:]
	switch p.Part {
	case PartManifest:
	case PartChunk:
		v, n := binary.Uvarint(c.b)
		if n <= 0 || v > MaxChunks {
			c.err = pduErr(c.t, ErrMalformed, "bad chunk index")
			return
		}
		p.Chunk, c.b = int(v), c.b[n:]
	default:
		c.err = pduErr(c.t, ErrMalformed, "part %d, want 1 or 2", p.Part)
	}
}

// end checks that the payload was consumed exactly.
func (c *framedCursor) end() error {
	if c.err == nil && len(c.b) > 0 {
		c.err = pduErr(c.t, ErrMalformed, "%d unexpected bytes after the fields", len(c.b))
	}
	return c.err
}

func (f Framed) decodePayload(t Type, b []byte, dir Direction, p *PDU) error {
	p.reset(t, dir)
	c := &framedCursor{t: t, b: b}
	switch t {
	case Register:
		peer, content := c.name("peer", false), c.name("content", false)
		p.Addr = c.addr()
		if err := c.end(); err != nil {
			return err
		}
		p.setPair(peer, content)
	case Search, Download, Deregister:
		if p.Reply && t == Search {
			p.Addr = c.addr()
			for len(c.b) > 0 && c.err == nil {
				if len(p.Others) == FramedMaxHolders-1 {
					return pduErr(t, ErrTooLong, "more than %d holders", FramedMaxHolders)
				}
				p.Others = append(p.Others, c.addr())
			}
			return c.end()
		}
		peer, content := c.name("peer", t != Deregister), c.name("content", false)
		if t == Download && c.err == nil && len(c.b) > 0 {
			c.part(p)
		}
		if err := c.end(); err != nil {
			return err
		}
		p.setPair(peer, content)
	case Ack:
		if err := f.optionalName(c, p); err != nil {
			return err
		}
		p.Text = p.Peer
		return nil
	case List:
		if !p.Reply {
			return f.listRequest(c, p)
		}
		var names [FramedMaxNames][]byte
		n := 0
		for len(c.b) > 0 && c.err == nil {
			if n == FramedMaxNames {
				return pduErr(t, ErrTooLong, "more than %d names", FramedMaxNames)
			}
			names[n] = c.name("content", false)
			n++
		}
		if err := c.end(); err != nil {
			return err
		}
		p.setNames(names[:n])
	case Error:
		p.Text = string(b)
	case Content:
		return f.decodeContent(c, p)
	case Final:
		p.Data = b
	}
	return nil
}

func (Framed) optionalName(c *framedCursor, p *PDU) error {
	if len(c.b) == 0 {
		return nil
	}
	name := c.name("peer", true)
	if err := c.end(); err != nil {
		return err
	}
	p.Peer = string(name)
	return nil
}

// listRequest reads an O request: nothing, or an optional peer name and
// then, optionally, the non-empty name the page of names starts after.
func (Framed) listRequest(c *framedCursor, p *PDU) error {
	if len(c.b) == 0 {
		return nil
	}
	peer := c.name("peer", true)
	var start []byte
	if len(c.b) > 0 {
		start = c.name("start", false)
	}
	if err := c.end(); err != nil {
		return err
	}
	p.setPair(peer, start)
	return nil
}

func (Framed) decodeContent(c *framedCursor, p *PDU) error {
	t := c.t
	if len(c.b) < 1 {
		return pduErr(t, ErrTruncated, "flags byte missing")
	}
	flags, b := c.b[0], c.b[1:]
	if flags&^framedAnnounce != 0 {
		return pduErr(t, ErrMalformed, "unknown flags %#02x", flags)
	}
	if flags&framedAnnounce != 0 {
		size, k := binary.Uvarint(b)
		if k <= 0 || size > 1<<62 {
			return pduErr(t, ErrMalformed, "bad announced size")
		}
		b = b[k:]
		if len(b) < 32 {
			return pduErr(t, ErrTruncated, "SHA-256 of %d bytes, want 32", len(b))
		}
		p.Announce, p.Size = true, int64(size)
		copy(p.Sum[:], b[:32])
		b = b[32:]
	}
	if len(b) > FramedMaxData {
		return pduErr(t, ErrTooLong, "%d data bytes, at most %d", len(b), FramedMaxData)
	}
	p.Data = b
	return nil
}
