package chat

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// EntryFlags are the states an ARP entry can be in, merged from the flag
// vocabularies of Linux (C, M, P; ATF_* bits), BSD (permanent, published) and
// Windows (dynamic, static).
type EntryFlags uint8

const (
	// FlagComplete means the MAC address is known (Linux C / ATF_COM, Windows dynamic).
	FlagComplete EntryFlags = 1 << iota
	// FlagPermanent marks a static entry that never expires (Linux M, BSD
	// permanent, Windows static).
	FlagPermanent
	// FlagPublished means the host answers ARP for this address on another's
	// behalf (proxy ARP; Linux P, BSD published).
	FlagPublished
	// FlagIncomplete means a request was sent and no reply has come yet.
	FlagIncomplete
)

// String lists the flags as letters: C complete, M permanent, P published,
// I incomplete.
func (f EntryFlags) String() string {
	var b strings.Builder
	for _, x := range []struct {
		f EntryFlags
		c byte
	}{{FlagComplete, 'C'}, {FlagPermanent, 'M'}, {FlagPublished, 'P'}, {FlagIncomplete, 'I'}} {
		if f&x.f != 0 {
			b.WriteByte(x.c)
		}
	}
	return b.String()
}

// Entry is one line of the neighbour (ARP) table: an IPv4 address and the
// Ethernet address it resolved to on an interface.
type Entry struct {
	IP        netip.Addr
	MAC       net.HardwareAddr // nil while incomplete
	Interface string           // eth0, en0, or on Windows the interface's own address
	Flags     EntryFlags
	Hostname  string // when the tool printed one; empty otherwise
}

// Neighbour reports whether the entry is a resolved unicast host, the kind
// worth probing: complete, with a MAC that is neither broadcast nor multicast.
func (e Entry) Neighbour() bool {
	if e.Flags&FlagIncomplete != 0 || len(e.MAC) == 0 || !e.IP.Is4() {
		return false
	}
	if e.MAC[0]&1 != 0 { // group bit: broadcast ff:ff:.. and multicast 01:00:5e:..
		return false
	}
	return !e.IP.IsMulticast() && e.IP != netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// Table is a neighbour table in the order the system listed it.
type Table []Entry

// Neighbours returns the entries for which [Entry.Neighbour] is true.
func (t Table) Neighbours() Table {
	var out Table
	for _, e := range t {
		if e.Neighbour() {
			out = append(out, e)
		}
	}
	return out
}

// Lookup returns the entry for ip, if the table has one.
func (t Table) Lookup(ip netip.Addr) (Entry, bool) {
	for _, e := range t {
		if e.IP == ip {
			return e, true
		}
	}
	return Entry{}, false
}

// Format writes the table as aligned columns with a header line.
func (t Table) Format(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "IP ADDRESS\tMAC ADDRESS\tINTERFACE\tFLAGS\tHOSTNAME")
	for _, e := range t {
		mac := "(incomplete)"
		if len(e.MAC) > 0 {
			mac = e.MAC.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.IP, mac, dash(e.Interface), dash(e.Flags.String()), dash(e.Hostname))
	}
	return tw.Flush()
}

// String returns the table as Format writes it.
func (t Table) String() string {
	var b strings.Builder
	_ = t.Format(&b)
	return b.String()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ARPTable reads this host's IPv4 neighbour table. On Linux it reads
// /proc/net/arp (for the calling thread's network namespace when
// /proc/thread-self exists); elsewhere it runs `arp -a` and parses the output.
func ARPTable() (Table, error) {
	for _, p := range []string{"/proc/thread-self/net/arp", "/proc/net/arp"} {
		if b, err := os.ReadFile(p); err == nil {
			return ParseARP(string(b))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "arp", "-a").Output()
	if err != nil {
		return nil, fmt.Errorf("chat: no /proc/net/arp and `arp -a` failed: %w", err)
	}
	return ParseARP(string(out))
}

// ErrARPFormat is wrapped by [ParseARP] for output it does not understand.
var ErrARPFormat = errors.New("chat: unrecognised arp output")

// ParseARP parses a neighbour table as printed by any of:
//   - Linux /proc/net/arp;
//   - Linux net-tools `arp -a` ("? (10.0.0.1) at 52:54:00:12:34:56 [ether] on eth0")
//     and `arp -n` / `arp` (the "Address HWtype HWaddress Flags Mask Iface" table);
//   - macOS and FreeBSD `arp -a` ("? (10.0.0.1) at 8:0:27:1:2:3 on en0 ifscope [ethernet]");
//   - Windows `arp -a` ("Interface: 10.0.0.7 --- 0xb" blocks of
//     "Internet Address / Physical Address / Type" rows).
//
// Blank lines and headers are skipped; any other line it cannot read is an
// error naming the line number.
func ParseARP(output string) (Table, error) {
	var t Table
	var p arpParser
	sc := bufio.NewScanner(strings.NewReader(output))
	sc.Buffer(make([]byte, 4096), 64*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		e, ok, err := p.line(line)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: %v", ErrARPFormat, n, err)
		}
		if ok {
			t = append(t, e)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: line %d: %v", ErrARPFormat, n+1, err)
	}
	return t, nil
}

type arpMode int

const (
	modeUnknown  arpMode = iota
	modeProc             // /proc/net/arp
	modeNetTools         // arp -n table
	modeWindows          // arp -a on Windows
)

type arpParser struct {
	mode    arpMode
	winIfce string
}

// bsdLine matches "host (ip) at mac rest..." from Linux `arp -a` and BSD/macOS.
var bsdLine = regexp.MustCompile(`^(\S+) \(([0-9.]+)\) at (\S+)(.*)$`)

func (p *arpParser) line(line string) (Entry, bool, error) {
	f := strings.Fields(line)
	switch {
	case strings.HasPrefix(line, "IP address") && strings.Contains(line, "HW type"):
		p.mode = modeProc
		return Entry{}, false, nil
	case strings.HasPrefix(line, "Address") && strings.Contains(line, "HWtype"):
		p.mode = modeNetTools
		return Entry{}, false, nil
	case strings.HasPrefix(line, "Interface:") && len(f) >= 2:
		p.mode = modeWindows
		p.winIfce = f[1]
		return Entry{}, false, nil
	case p.mode == modeWindows && strings.HasPrefix(line, "Internet Address"):
		return Entry{}, false, nil
	case strings.EqualFold(line, "No ARP Entries Found."):
		return Entry{}, false, nil
	}
	if m := bsdLine.FindStringSubmatch(line); m != nil {
		return parseBSDStyle(m)
	}
	switch p.mode {
	case modeProc:
		return parseProcLine(f)
	case modeNetTools:
		return parseNetToolsLine(f)
	case modeWindows:
		return parseWindowsLine(f, p.winIfce)
	}
	return Entry{}, false, fmt.Errorf("%q matches no known arp format", line)
}

// parseBSDStyle handles `? (ip) at mac [ether] PERM on eth0` (Linux) and
// `? (ip) at mac on en0 ifscope permanent [ethernet]` (macOS, FreeBSD).
func parseBSDStyle(m []string) (Entry, bool, error) {
	var e Entry
	var err error
	if e.IP, err = parseIPv4(m[2]); err != nil {
		return e, false, err
	}
	if m[1] != "?" {
		e.Hostname = m[1]
	}
	if e.MAC, err = parseMAC(m[3]); err != nil {
		return e, false, err
	}
	rest := strings.Fields(m[4])
	for i := 0; i < len(rest); i++ {
		switch strings.ToLower(rest[i]) {
		case "on":
			if i+1 < len(rest) {
				e.Interface = rest[i+1]
				i++
			}
		case "perm", "permanent":
			e.Flags |= FlagPermanent
		case "pub", "published":
			e.Flags |= FlagPublished
		}
	}
	e.Flags |= completeness(e.MAC)
	return e, true, nil
}

// parseProcLine reads "IP HWtype Flags MAC Mask Device" from /proc/net/arp.
func parseProcLine(f []string) (Entry, bool, error) {
	if len(f) != 6 {
		return Entry{}, false, fmt.Errorf("/proc/net/arp row has %d columns, want 6", len(f))
	}
	var e Entry
	var err error
	if e.IP, err = parseIPv4(f[0]); err != nil {
		return e, false, err
	}
	bits, err := strconv.ParseUint(strings.TrimPrefix(f[2], "0x"), 16, 16)
	if err != nil {
		return e, false, fmt.Errorf("flags %q: %v", f[2], err)
	}
	if bits&0x2 != 0 { // ATF_COM
		e.Flags |= FlagComplete
	}
	if bits&0x4 != 0 { // ATF_PERM
		e.Flags |= FlagPermanent
	}
	if bits&0x8 != 0 { // ATF_PUBL
		e.Flags |= FlagPublished
	}
	if e.Flags&FlagComplete != 0 {
		if e.MAC, err = parseMAC(f[3]); err != nil {
			return e, false, err
		}
	} else {
		e.Flags |= FlagIncomplete
	}
	e.Interface = f[5]
	return e, true, nil
}

// parseNetToolsLine reads a row of `arp -n`: "Address HWtype HWaddress Flags
// Iface" with the Mask column usually empty, or "Address (incomplete) Iface".
func parseNetToolsLine(f []string) (Entry, bool, error) {
	if len(f) < 2 {
		return Entry{}, false, fmt.Errorf("arp table row has %d columns", len(f))
	}
	var e Entry
	if ip, err := netip.ParseAddr(f[0]); err == nil && ip.Is4() {
		e.IP = ip
	} else {
		// `arp` without -n prints a hostname here; the table does not say
		// which address it stands for, so such rows need -n.
		return e, false, fmt.Errorf("address %q is not an IPv4 address (use arp -n)", f[0])
	}
	if f[1] == "(incomplete)" {
		e.Flags = FlagIncomplete
		e.Interface = f[len(f)-1]
		return e, true, nil
	}
	if len(f) < 5 {
		return e, false, fmt.Errorf("arp table row has %d columns, want 5 or 6", len(f))
	}
	var err error
	if e.MAC, err = parseMAC(f[2]); err != nil {
		return e, false, err
	}
	for _, c := range f[3] {
		switch c {
		case 'C':
			e.Flags |= FlagComplete
		case 'M':
			e.Flags |= FlagPermanent
		case 'P':
			e.Flags |= FlagPublished
		}
	}
	e.Interface = f[len(f)-1]
	return e, true, nil
}

// parseWindowsLine reads "192.168.1.1   a4-2b-b0-12-34-56   dynamic".
func parseWindowsLine(f []string, ifce string) (Entry, bool, error) {
	if len(f) != 3 {
		return Entry{}, false, fmt.Errorf("windows arp row has %d columns, want 3", len(f))
	}
	var e Entry
	var err error
	if e.IP, err = parseIPv4(f[0]); err != nil {
		return e, false, err
	}
	if e.MAC, err = parseMAC(f[1]); err != nil {
		return e, false, err
	}
	switch strings.ToLower(f[2]) {
	case "static":
		e.Flags |= FlagPermanent
	case "dynamic":
	case "invalid":
		e.MAC = nil
	default:
		return e, false, fmt.Errorf("windows arp type %q", f[2])
	}
	e.Flags |= completeness(e.MAC)
	e.Interface = ifce
	return e, true, nil
}

func completeness(mac net.HardwareAddr) EntryFlags {
	if mac == nil {
		return FlagIncomplete
	}
	return FlagComplete
}

func parseIPv4(s string) (netip.Addr, error) {
	ip, err := netip.ParseAddr(s)
	if err != nil || !ip.Is4() {
		return netip.Addr{}, fmt.Errorf("%q is not an IPv4 address", s)
	}
	return ip, nil
}

// parseMAC reads a 6-byte Ethernet address written with ':' or '-' and
// octets of one or two hex digits (macOS drops leading zeros: 8:0:27:1:2:3).
// "<incomplete>" and "(incomplete)" give a nil address.
func parseMAC(s string) (net.HardwareAddr, error) {
	switch strings.ToLower(s) {
	case "<incomplete>", "(incomplete)", "incomplete":
		return nil, nil
	}
	sep := ":"
	if strings.Contains(s, "-") {
		sep = "-"
	}
	parts := strings.Split(s, sep)
	if len(parts) != 6 {
		return nil, fmt.Errorf("MAC %q does not have 6 octets", s)
	}
	mac := make(net.HardwareAddr, 6)
	for i, p := range parts {
		if len(p) == 0 || len(p) > 2 {
			return nil, fmt.Errorf("MAC %q: octet %d is %q", s, i+1, p)
		}
		v, err := strconv.ParseUint(p, 16, 8)
		if err != nil {
			return nil, fmt.Errorf("MAC %q: octet %d is %q", s, i+1, p)
		}
		mac[i] = byte(v)
	}
	return mac, nil
}
