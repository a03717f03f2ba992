package pdu

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
)

// Framed is netlab's own codec for real files: every [PDU] is a type byte, a
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
	// and up to [FramedMaxHolders]-1 Others.
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

// Limits returns the [Framed] bounds.
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

// Append appends p in the [Framed] layout.
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
