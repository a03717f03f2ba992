package pdu

// Decoding the Framed layout: from a datagram (Decode) or a stream
// (ReadPDU), bounded by the payload length before anything is allocated.

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
)

// Decode parses one [Framed] [PDU], such as one UDP datagram: the payload length
// must match the bytes that follow it exactly.
func (f Framed) Decode(b []byte, dir Direction, p *PDU) error {
	t, err := leadingType(b)
	if err != nil {
		return err
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

// ReadPDU reads one [Framed] [PDU] from a stream by its payload length.
func (f Framed) ReadPDU(r *bufio.Reader, dir Direction, p *PDU) error {
	t, err := readType(r)
	if err != nil {
		return err
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
