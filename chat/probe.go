package chat

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ProbeVersion is the version of the discovery protocol this package speaks.
const ProbeVersion = 1

// DefaultPort is the UDP port chat peers listen on unless told otherwise.
const DefaultPort = 23432

// MaxProbeBytes bounds a discovery datagram; longer ones are malformed.
const MaxProbeBytes = 128

// MaxNameLen is the longest peer name a probe may carry.
const MaxNameLen = 32

const (
	probePrefix  = "NETLAB-"
	discoverWord = "NETLAB-DISCOVER"
	hereWord     = "NETLAB-HERE"
)

// ProbeKind says which of the two discovery messages a [Probe] is.
type ProbeKind int

const (
	// ProbeDiscover asks "who is there?": NETLAB-DISCOVER 1 <name>.
	ProbeDiscover ProbeKind = iota + 1
	// ProbeHere answers it: NETLAB-HERE 1 <name> <port>.
	ProbeHere
)

// String returns the wire keyword of the kind.
func (k ProbeKind) String() string {
	switch k {
	case ProbeDiscover:
		return discoverWord
	case ProbeHere:
		return hereWord
	}
	return fmt.Sprintf("ProbeKind(%d)", int(k))
}

// Probe is one discovery message. Port is set only for [ProbeHere].
type Probe struct {
	Kind    ProbeKind
	Version int
	Name    string
	Port    int
}

// Errors returned by [ParseProbe]; callers count them as malformed probes.
var (
	ErrNotProbe     = errors.New("chat: not a discovery probe")
	ErrBadProbe     = errors.New("chat: malformed discovery probe")
	ErrProbeVersion = errors.New("chat: unsupported discovery probe version")
)

// IsProbe reports whether a datagram claims to be a discovery message, that
// is, starts with "NETLAB-". Such datagrams never reach the chat text channel.
func IsProbe(b []byte) bool { return bytes.HasPrefix(b, []byte(probePrefix)) }

// MarshalText encodes the probe as one line of text ending in "\n".
func (p Probe) MarshalText() ([]byte, error) {
	if err := ValidateName(p.Name); err != nil {
		return nil, err
	}
	v := p.Version
	if v == 0 {
		v = ProbeVersion
	}
	switch p.Kind {
	case ProbeDiscover:
		return fmt.Appendf(nil, "%s %d %s\n", discoverWord, v, p.Name), nil
	case ProbeHere:
		if p.Port < 1 || p.Port > 65535 {
			return nil, fmt.Errorf("%w: port %d out of range 1-65535", ErrBadProbe, p.Port)
		}
		return fmt.Appendf(nil, "%s %d %s %d\n", hereWord, v, p.Name, p.Port), nil
	}
	return nil, fmt.Errorf("%w: unknown kind %d", ErrBadProbe, int(p.Kind))
}

// ParseProbe decodes one discovery datagram. It accepts an optional trailing
// "\n" or "\r\n" and nothing else around the fields, which are separated by
// single spaces. A probe of another version returns [ErrProbeVersion], so that
// a version-2 peer is told apart from garbage.
func ParseProbe(b []byte) (Probe, error) {
	if !IsProbe(b) {
		return Probe{}, ErrNotProbe
	}
	if len(b) > MaxProbeBytes {
		return Probe{}, fmt.Errorf("%w: %d bytes, limit %d", ErrBadProbe, len(b), MaxProbeBytes)
	}
	s := string(b)
	s = strings.TrimSuffix(s, "\n")
	s = strings.TrimSuffix(s, "\r")
	fields := strings.Split(s, " ")
	var p Probe
	switch fields[0] {
	case discoverWord:
		p.Kind = ProbeDiscover
	case hereWord:
		p.Kind = ProbeHere
	default:
		return Probe{}, fmt.Errorf("%w: unknown keyword %q", ErrBadProbe, fields[0])
	}
	if len(fields) < 2 {
		return Probe{}, fmt.Errorf("%w: %s without version", ErrBadProbe, fields[0])
	}
	v, err := parseSmallInt(fields[1])
	if err != nil {
		return Probe{}, fmt.Errorf("%w: version %q", ErrBadProbe, fields[1])
	}
	if v != ProbeVersion {
		return Probe{}, fmt.Errorf("%w: %d (this peer speaks %d)", ErrProbeVersion, v, ProbeVersion)
	}
	p.Version = v
	want := 3
	if p.Kind == ProbeHere {
		want = 4
	}
	if len(fields) != want {
		return Probe{}, fmt.Errorf("%w: %s has %d fields, want %d", ErrBadProbe, fields[0], len(fields), want)
	}
	if err := ValidateName(fields[2]); err != nil {
		return Probe{}, fmt.Errorf("%w: %v", ErrBadProbe, err)
	}
	p.Name = fields[2]
	if p.Kind == ProbeHere {
		port, err := parseSmallInt(fields[3])
		if err != nil || port < 1 || port > 65535 {
			return Probe{}, fmt.Errorf("%w: port %q", ErrBadProbe, fields[3])
		}
		p.Port = port
	}
	return p, nil
}

// parseSmallInt parses 1 to 5 ASCII digits with no sign and no leading zero.
func parseSmallInt(s string) (int, error) {
	if len(s) == 0 || len(s) > 5 || (len(s) > 1 && s[0] == '0') {
		return 0, ErrBadProbe
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, ErrBadProbe
		}
	}
	return strconv.Atoi(s)
}

// ValidateName checks a peer name used in discovery probes and UDP chat:
// 1 to [MaxNameLen] characters from A-Z a-z 0-9 . _ -.
func ValidateName(name string) error {
	if name == "" {
		return errors.New("chat: empty name")
	}
	if len(name) > MaxNameLen {
		return fmt.Errorf("chat: name longer than %d bytes", MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return fmt.Errorf("chat: name %q: byte %d (%q) is not one of A-Z a-z 0-9 . _ -", name, i, c)
		}
	}
	return nil
}
