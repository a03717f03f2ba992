package pdu

import (
	"fmt"
	"strings"
)

// String describes p in one line for people, such as
// `R peer="alice" content="song" addr=10.0.0.7:5001` or `C 100 bytes`.
func (p PDU) String() string {
	var b strings.Builder
	b.WriteRune(rune(p.Type))
	switch p.Type {
	case Register:
		fmt.Fprintf(&b, " peer=%q content=%q addr=%v", p.Peer, p.Content, p.Addr)
	case Search, Download, Deregister:
		if p.Reply {
			fmt.Fprintf(&b, " reply addr=%v", p.Addr)
			break
		}
		if p.Peer != "" {
			fmt.Fprintf(&b, " peer=%q", p.Peer)
		}
		fmt.Fprintf(&b, " content=%q", p.Content)
	case Ack:
		switch {
		case p.Peer != "":
			fmt.Fprintf(&b, " peer=%q", p.Peer)
		case p.Text != "":
			fmt.Fprintf(&b, " %q", p.Text)
		}
	case List:
		switch {
		case p.Reply && len(p.Holders) > 0:
			b.WriteString(" reply holders=")
			for i, h := range p.Holders {
				if i > 0 {
					b.WriteByte(' ')
				}
				fmt.Fprintf(&b, "%q@%q@%v", h.Content, h.Peer, h.Addr)
			}
		case p.Reply && p.Text != "":
			fmt.Fprintf(&b, " reply text=%q", p.Text)
		case p.Reply:
			fmt.Fprintf(&b, " reply names=%q", p.Names)
		default:
			if p.Peer != "" {
				fmt.Fprintf(&b, " peer=%q", p.Peer)
			}
			if p.Content != "" {
				fmt.Fprintf(&b, " after=%q", p.Content)
			}
		}
	case Error:
		fmt.Fprintf(&b, " %q", p.Text)
	case Content, Final:
		if p.Announce {
			fmt.Fprintf(&b, " announce size=%d sha256=%x…", p.Size, p.Sum[:4])
		}
		fmt.Fprintf(&b, " %d bytes", len(p.Data))
	}
	return b.String()
}
