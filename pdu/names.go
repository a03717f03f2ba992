package pdu

import (
	"bytes"
	"strings"
)

// checkName validates a name for encoding: not empty (unless optional), at
// most max bytes, no NUL byte.
func checkName(t Type, what, name string, max int, optional bool) error {
	switch {
	case name == "" && optional:
		return nil
	case name == "":
		return pduErr(t, ErrBadName, "empty %s name", what)
	case len(name) > max:
		return pduErr(t, ErrBadName, "%s name longer than %d bytes", what, max)
	case strings.IndexByte(name, 0) >= 0:
		return pduErr(t, ErrBadName, "%s name contains NUL", what)
	}
	return nil
}

// nulField returns the bytes of a fixed NUL-padded field up to its first NUL
// (the whole field when a name fills it exactly).
func nulField(field []byte) []byte {
	if i := bytes.IndexByte(field, 0); i >= 0 {
		return field[:i]
	}
	return field
}

// allZero reports whether b holds only NUL bytes (C struct padding).
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// setPair stores two names with one allocation: both share one string.
func (p *PDU) setPair(peer, content []byte) {
	var buf [2 * 256]byte
	var s string
	if len(peer)+len(content) <= len(buf) {
		n := copy(buf[:], peer)
		n += copy(buf[n:], content)
		s = string(buf[:n])
	} else {
		s = string(peer) + string(content)
	}
	p.Peer, p.Content = s[:len(peer)], s[len(peer):]
}

// setNames stores a list of names with one allocation for their bytes.
func (p *PDU) setNames(names [][]byte) {
	total := 0
	for _, n := range names {
		total += len(n)
	}
	var b strings.Builder
	b.Grow(total)
	for _, n := range names {
		b.Write(n)
	}
	s := b.String()
	if cap(p.Names) < len(names) {
		p.Names = make([]string, 0, len(names))
	}
	p.Names = p.Names[:0]
	off := 0
	for _, n := range names {
		p.Names = append(p.Names, s[off:off+len(n)])
		off += len(n)
	}
}

// reset clears p for a decode of type t, keeping the Names capacity.
func (p *PDU) reset(t Type, dir Direction) {
	names := p.Names[:0]
	*p = PDU{Type: t, Reply: dir == Reply && (t == Search || t == List), Names: names}
}
