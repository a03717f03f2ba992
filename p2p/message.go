package p2p

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// MaxLineLength bounds one protocol line, newline excluded. A peer list of
// about 3000 peers (up to 22 bytes each) fits; anything longer is treated as
// abuse. Lines between neighbours (gossip, liveness) are far shorter and are
// held to maxLinkLine.
const MaxLineLength = 64 << 10

// maxLinkLine bounds the lines a peer reads from its neighbours and from
// connections it accepts: none of those kinds needs more.
const maxLinkLine = 512

// Fixed texts of the protocol. A line is matched against these before the
// kinds that carry fields.
const (
	lineRegistered      = "registered successfully"
	lineGetPeerList     = "get peer list"
	lineConnected       = "connected"
	lineRemoved         = "dead node removed"
	prefixRegister      = "register:"
	prefixPeerList      = "peer list:"
	prefixDeadNode      = "Dead Node:"
	prefixConnect       = "connect:"
	prefixRefused       = "refused:"
	prefixError         = "error:"
	prefixLivenessReq   = "Liveness Request:"
	prefixLivenessReply = "Liveness Reply:"
)

// Kind says which message a line carries.
type Kind int

// The message kinds of the protocol. The comment of each shows its line.
const (
	KindInvalid         Kind = iota
	KindRegister             // register:<IP>:<Port>
	KindRegistered           // registered successfully
	KindError                // error:<text>
	KindGetPeerList          // get peer list
	KindPeerList             // peer list:<IP1>#<Port1>:<IP2>#<Port2>...
	KindDeadNode             // Dead Node:<DeadIP>:<DeadPort>:<timestamp>:<ReporterIP>
	KindRemoved              // dead node removed
	KindConnect              // connect:<IP>:<Port>
	KindConnected            // connected
	KindRefused              // refused:<text>
	KindGossip               // <timestamp>:<IP>:<Msg#>
	KindLivenessRequest      // Liveness Request:<timestamp>:<IP>
	KindLivenessReply        // Liveness Reply:<sender.timestamp>:<sender.IP>:<self.IP>
)

var kindNames = [...]string{"invalid", "register", "registered", "error", "get peer list",
	"peer list", "dead node", "removed", "connect", "connected", "refused", "gossip",
	"liveness request", "liveness reply"}

// String names the kind in words, for logs.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// Stamp is a protocol timestamp: microseconds since the Unix epoch. On the wire
// it is written as decimal seconds with a fraction, 1700000000.123456, which is
// what Python's time.time() prints, so course peers interoperate.
type Stamp int64

// StampOf converts a time to a [Stamp], dropping precision below a microsecond.
func StampOf(t time.Time) Stamp { return Stamp(t.UnixMicro()) }

// Time converts the stamp back to a time.
func (s Stamp) Time() time.Time { return time.UnixMicro(int64(s)) }

// String writes the stamp as seconds.micro, the wire form.
func (s Stamp) String() string {
	return fmt.Sprintf("%d.%06d", int64(s)/1e6, int64(s)%1e6)
}

// maxStampSeconds bounds timestamps to the year 9999 so that conversion to
// microseconds cannot overflow.
const maxStampSeconds = 253402300799

func parseStamp(s string) (Stamp, error) {
	secPart, frac, hasFrac := strings.Cut(s, ".")
	if secPart == "" || len(secPart) > 12 || !allDigits(secPart) {
		return 0, fmt.Errorf("timestamp %q is not decimal seconds", clip(s))
	}
	sec, _ := strconv.ParseInt(secPart, 10, 64)
	if sec > maxStampSeconds {
		return 0, fmt.Errorf("timestamp %q is after the year 9999", clip(s))
	}
	var micros int64
	if hasFrac {
		if frac == "" || len(frac) > 9 || !allDigits(frac) {
			return 0, fmt.Errorf("timestamp %q has a bad fraction", clip(s))
		}
		frac = (frac + "000000")[:6] // below a microsecond is dropped
		micros, _ = strconv.ParseInt(frac, 10, 64)
	}
	return Stamp(sec*1e6 + micros), nil
}

// Message is one protocol line, decoded. Which fields are set depends on [Kind];
// the comments name the kinds that use each.
type Message struct {
	Kind Kind
	// Addr is the address a message is about: the registering or connecting
	// peer's listen address (register, connect) or the dead node (Dead Node).
	Addr netip.AddrPort
	// Peers is the content of a peer list.
	Peers []netip.AddrPort
	// Time is the timestamp of gossip, liveness and Dead Node messages. In a
	// liveness reply it is the requester's timestamp, echoed.
	Time Stamp
	// From is the node that created the message: the gossip origin, the
	// liveness requester, the dead-node reporter. Port 0 means the line
	// carries the IP alone, as the course's format does; a nonzero port is
	// written IP#Port, which keeps the messages of peers that share one host
	// distinct.
	From netip.AddrPort
	// To is the replying node of a liveness reply (self.IP), in the same
	// notation as From.
	To netip.AddrPort
	// Seq is the gossip message number (Msg#).
	Seq int
	// Text is the reason in an error or refused line.
	Text string
}

// ErrMalformed is wrapped by every error [Parse] returns, so that callers can
// tell bad input from I/O failures.
var ErrMalformed = errors.New("p2p: malformed line")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// Parse decodes one protocol line, without its newline (a trailing "\r" is
// tolerated, for nc and telnet users). It is a pure function: it does no I/O,
// keeps no state, and returns an error wrapping [ErrMalformed] for anything it
// does not recognise, including lines longer than [MaxLineLength].
func Parse(line string) (Message, error) {
	line = strings.TrimSuffix(line, "\r")
	switch {
	case len(line) > MaxLineLength:
		return Message{}, malformed("line of %d bytes is longer than %d", len(line), MaxLineLength)
	case line == "":
		return Message{}, malformed("empty line")
	case !validText(line):
		return Message{}, malformed("line is not printable UTF-8")
	case line == lineRegistered:
		return Message{Kind: KindRegistered}, nil
	case line == lineGetPeerList:
		return Message{Kind: KindGetPeerList}, nil
	case line == lineConnected:
		return Message{Kind: KindConnected}, nil
	case line == lineRemoved:
		return Message{Kind: KindRemoved}, nil
	case strings.HasPrefix(line, prefixRegister):
		return parseAddrMsg(KindRegister, line[len(prefixRegister):])
	case strings.HasPrefix(line, prefixConnect):
		return parseAddrMsg(KindConnect, line[len(prefixConnect):])
	case strings.HasPrefix(line, prefixPeerList):
		return parsePeerList(line[len(prefixPeerList):])
	case strings.HasPrefix(line, prefixDeadNode):
		return parseDeadNode(line[len(prefixDeadNode):])
	case strings.HasPrefix(line, prefixError):
		return Message{Kind: KindError, Text: line[len(prefixError):]}, nil
	case strings.HasPrefix(line, prefixRefused):
		return Message{Kind: KindRefused, Text: line[len(prefixRefused):]}, nil
	case strings.HasPrefix(line, prefixLivenessReq):
		return parseLivenessRequest(line[len(prefixLivenessReq):])
	case strings.HasPrefix(line, prefixLivenessReply):
		return parseLivenessReply(line[len(prefixLivenessReply):])
	case line[0] >= '0' && line[0] <= '9':
		return parseGossip(line)
	}
	return Message{}, malformed("unknown message kind in %q", clip(line))
}

func parseAddrMsg(kind Kind, rest string) (Message, error) {
	ip, port, ok := strings.Cut(rest, ":")
	if !ok {
		return Message{}, malformed("%s: want <IP>:<Port>, got %q", kind, clip(rest))
	}
	ap, err := addrPort(ip, port)
	if err != nil {
		return Message{}, malformed("%s: %v", kind, err)
	}
	return Message{Kind: kind, Addr: ap}, nil
}

func parsePeerList(rest string) (Message, error) {
	m := Message{Kind: KindPeerList}
	if rest == "" {
		return m, nil
	}
	for i, item := range strings.Split(rest, ":") {
		ip, port, ok := strings.Cut(item, "#")
		if !ok {
			return Message{}, malformed("peer list: entry %d %q is not <IP>#<Port>", i+1, clip(item))
		}
		ap, err := addrPort(ip, port)
		if err != nil {
			return Message{}, malformed("peer list: entry %d: %v", i+1, err)
		}
		m.Peers = append(m.Peers, ap)
	}
	return m, nil
}

func parseDeadNode(rest string) (Message, error) {
	f := strings.Split(rest, ":")
	if len(f) != 4 {
		return Message{}, malformed("Dead Node: want <DeadIP>:<DeadPort>:<timestamp>:<ReporterIP>, got %d fields", len(f))
	}
	dead, err := addrPort(f[0], f[1])
	if err != nil {
		return Message{}, malformed("Dead Node: %v", err)
	}
	ts, err := parseStamp(f[2])
	if err != nil {
		return Message{}, malformed("Dead Node: %v", err)
	}
	rep, err := parseNode(f[3])
	if err != nil {
		return Message{}, malformed("Dead Node: reporter: %v", err)
	}
	return Message{Kind: KindDeadNode, Addr: dead, Time: ts, From: rep}, nil
}

func parseGossip(line string) (Message, error) {
	f, ts, from, err := stampedFields(line, 3, "gossip", "<timestamp>:<IP>:<Msg#>", "origin")
	if err != nil {
		return Message{}, err
	}
	if f[2] == "" || len(f[2]) > 9 || !allDigits(f[2]) {
		return Message{}, malformed("gossip: message number %q is not a number below 10^9", clip(f[2]))
	}
	seq, _ := strconv.Atoi(f[2])
	return Message{Kind: KindGossip, Time: ts, From: from, Seq: seq}, nil
}

func parseLivenessRequest(rest string) (Message, error) {
	_, ts, from, err := stampedFields(rest, 2, "Liveness Request", "<timestamp>:<IP>", "sender")
	if err != nil {
		return Message{}, err
	}
	return Message{Kind: KindLivenessRequest, Time: ts, From: from}, nil
}

func parseLivenessReply(rest string) (Message, error) {
	f, ts, from, err := stampedFields(rest, 3, "Liveness Reply", "<sender.timestamp>:<sender.IP>:<self.IP>", "sender")
	if err != nil {
		return Message{}, err
	}
	to, err := parseNode(f[2])
	if err != nil {
		return Message{}, malformed("Liveness Reply: self: %v", err)
	}
	return Message{Kind: KindLivenessReply, Time: ts, From: from, To: to}, nil
}

// stampedFields splits the rest of a gossip or liveness line at its colons
// into n fields, which must begin with a timestamp and a node (who names
// it in errors), and parses those two. kind and format (the fields'
// layout) name the line in errors.
func stampedFields(rest string, n int, kind, format, who string) (f []string, ts Stamp, node netip.AddrPort, err error) {
	f = strings.Split(rest, ":")
	if len(f) != n {
		return nil, 0, node, malformed("%s: want %s, got %d fields", kind, format, len(f))
	}
	if ts, err = parseStamp(f[0]); err != nil {
		return nil, 0, node, malformed("%s: %v", kind, err)
	}
	if node, err = parseNode(f[1]); err != nil {
		return nil, 0, node, malformed("%s: %s: %v", kind, who, err)
	}
	return f, ts, node, nil
}

// addrPort parses an IPv4 address and a port 1-65535. The colon-separated
// format leaves no room for IPv6 addresses, so they are refused.
func addrPort(ip, port string) (netip.AddrPort, error) {
	a, err := parseIPv4(ip)
	if err != nil {
		return netip.AddrPort{}, err
	}
	if port == "" || len(port) > 5 || !allDigits(port) {
		return netip.AddrPort{}, fmt.Errorf("port %q is not a number", clip(port))
	}
	p, _ := strconv.Atoi(port)
	if p < 1 || p > 65535 {
		return netip.AddrPort{}, fmt.Errorf("port %d is out of range 1-65535", p)
	}
	return netip.AddrPortFrom(a, uint16(p)), nil
}

// parseNode parses "IP" (port 0) or "IP#Port".
func parseNode(s string) (netip.AddrPort, error) {
	if ip, port, ok := strings.Cut(s, "#"); ok {
		return addrPort(ip, port)
	}
	a, err := parseIPv4(s)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return netip.AddrPortFrom(a, 0), nil
}

func parseIPv4(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 address", clip(s))
	}
	return a, nil
}

// String encodes the message as its protocol line, without the newline. For a
// message that [Parse] returned, Parse(m.String()) gives m back.
func (m Message) String() string {
	switch m.Kind {
	case KindRegister:
		return prefixRegister + m.Addr.Addr().String() + ":" + strconv.Itoa(int(m.Addr.Port()))
	case KindRegistered:
		return lineRegistered
	case KindError:
		return prefixError + m.Text
	case KindGetPeerList:
		return lineGetPeerList
	case KindPeerList:
		var b strings.Builder
		b.WriteString(prefixPeerList)
		for i, p := range m.Peers {
			if i > 0 {
				b.WriteByte(':')
			}
			b.WriteString(p.Addr().String() + "#" + strconv.Itoa(int(p.Port())))
		}
		return b.String()
	case KindDeadNode:
		return prefixDeadNode + m.Addr.Addr().String() + ":" + strconv.Itoa(int(m.Addr.Port())) + ":" +
			m.Time.String() + ":" + nodeString(m.From)
	case KindRemoved:
		return lineRemoved
	case KindConnect:
		return prefixConnect + m.Addr.Addr().String() + ":" + strconv.Itoa(int(m.Addr.Port()))
	case KindConnected:
		return lineConnected
	case KindRefused:
		return prefixRefused + m.Text
	case KindGossip:
		return m.Time.String() + ":" + nodeString(m.From) + ":" + strconv.Itoa(m.Seq)
	case KindLivenessRequest:
		return prefixLivenessReq + m.Time.String() + ":" + nodeString(m.From)
	case KindLivenessReply:
		return prefixLivenessReply + m.Time.String() + ":" + nodeString(m.From) + ":" + nodeString(m.To)
	}
	return prefixError + "invalid message"
}

// nodeString writes a node as IP, or IP#Port when the port is set.
func nodeString(n netip.AddrPort) string {
	if n.Port() == 0 {
		return n.Addr().String()
	}
	return n.Addr().String() + "#" + strconv.Itoa(int(n.Port()))
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validText accepts UTF-8 without control characters other than tab.
func validText(s string) bool {
	for _, r := range s {
		if r == '\uFFFD' || (r < 0x20 && r != '\t') || r == 0x7f {
			return false
		}
	}
	return true
}

// clip shortens a string for an error message, so that a hostile line is not
// echoed back in full.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
