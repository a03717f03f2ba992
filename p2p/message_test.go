package p2p

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	ipA = netip.MustParseAddr("10.0.0.1")
	apA = netip.MustParseAddrPort("10.0.0.1:5000")
	apB = netip.MustParseAddrPort("10.0.0.2:6001")
)

func TestParseEveryKind(t *testing.T) {
	ts := Stamp(1700000000_123456)
	cases := []struct {
		line string
		want Message
	}{
		{"register:10.0.0.1:5000", Message{Kind: KindRegister, Addr: apA}},
		{"registered successfully", Message{Kind: KindRegistered}},
		{"error:no such thing", Message{Kind: KindError, Text: "no such thing"}},
		{"get peer list", Message{Kind: KindGetPeerList}},
		{"peer list:", Message{Kind: KindPeerList}},
		{"peer list:10.0.0.1#5000:10.0.0.2#6001", Message{Kind: KindPeerList, Peers: []netip.AddrPort{apA, apB}}},
		{"Dead Node:10.0.0.2:6001:1700000000.123456:10.0.0.1", Message{Kind: KindDeadNode, Addr: apB, Time: ts, From: netip.AddrPortFrom(ipA, 0)}},
		{"dead node removed", Message{Kind: KindRemoved}},
		{"connect:10.0.0.1:5000", Message{Kind: KindConnect, Addr: apA}},
		{"connected", Message{Kind: KindConnected}},
		{"refused:at capacity", Message{Kind: KindRefused, Text: "at capacity"}},
		{"1700000000.123456:10.0.0.1:7", Message{Kind: KindGossip, Time: ts, From: netip.AddrPortFrom(ipA, 0), Seq: 7}},
		{"1700000000.123456:10.0.0.1#5000:7", Message{Kind: KindGossip, Time: ts, From: apA, Seq: 7}},
		{"Liveness Request:1700000000.123456:10.0.0.1", Message{Kind: KindLivenessRequest, Time: ts, From: netip.AddrPortFrom(ipA, 0)}},
		{"Liveness Reply:1700000000.123456:10.0.0.1#5000:10.0.0.2#6001", Message{Kind: KindLivenessReply, Time: ts, From: apA, To: apB}},
	}
	for _, c := range cases {
		t.Run(c.line, func(t *testing.T) {
			got, err := Parse(c.line)
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			assert.Equal(t, c.line, got.String(), "encoding gives the line back")
			crlf, err := Parse(c.line + "\r")
			require.NoError(t, err)
			assert.Equal(t, c.want, crlf, "a trailing CR from nc is tolerated")
		})
	}
}

func TestParseTimestamps(t *testing.T) {
	for line, want := range map[string]Stamp{
		"1700000000:10.0.0.1:1":            1700000000_000000,
		"1700000000.5:10.0.0.1:1":          1700000000_500000,
		"1700000000.123456789:10.0.0.1:1":  1700000000_123456, // below a microsecond is dropped
		"0.000001:10.0.0.1:1":              1,
		"253402300799.999999:10.0.0.1:1":   253402300799_999999,
		"1700000000.000100:10.0.0.1#1:999": 1700000000_000100,
	} {
		m, err := Parse(line)
		require.NoError(t, err, line)
		assert.Equal(t, want, m.Time, line)
	}
	now := time.Date(2026, 11, 21, 10, 0, 0, 123456789, time.UTC)
	assert.Equal(t, "1795255200.123456", StampOf(now).String())
	assert.True(t, StampOf(now).Time().Equal(now.Truncate(time.Microsecond)))
}

func TestParseRejects(t *testing.T) {
	for _, c := range []struct{ line, why string }{
		{"", "empty line"},
		{"hello", "unknown message kind"},
		{"REGISTER:10.0.0.1:5000", "unknown message kind"},
		{"register:10.0.0.1", "want <IP>:<Port>"},
		{"register:10.0.0.1:0", "out of range"},
		{"register:10.0.0.1:65536", "out of range"},
		{"register:10.0.0.1:-1", "not a number"},
		{"register:localhost:5000", "not an IPv4 address"},
		{"register:::1:5000", "not an IPv4 address"},
		{"register:010.0.0.1:5000", "not an IPv4 address"},
		{"peer list:10.0.0.1:5000", "is not <IP>#<Port>"},
		{"peer list:10.0.0.1#5000:", "is not <IP>#<Port>"},
		{"Dead Node:10.0.0.2:6001:17:10.0.0.1:x", "got 5 fields"},
		{"Dead Node:10.0.0.2:6001:yesterday:10.0.0.1", "not decimal seconds"},
		{"1700000000.:10.0.0.1:1", "bad fraction"},
		{"1700000000.1234567890:10.0.0.1:1", "bad fraction"},
		{"999999999999:10.0.0.1:1", "after the year 9999"},
		{"1700000000:10.0.0.1:", "is not a number"},
		{"1700000000:10.0.0.1:1234567890", "below 10^9"},
		{"1700000000:10.0.0.1", "got 2 fields"},
		{"Liveness Request:1700000000", "got 1 fields"},
		{"Liveness Reply:1700000000:10.0.0.1", "got 2 fields"},
		{"error:bell\a", "not printable UTF-8"},
		{"error:\xff\xfe", "not printable UTF-8"},
		{strings.Repeat("9", MaxLineLength+1), "longer than"},
	} {
		_, err := Parse(c.line)
		require.Error(t, err, "%q", c.line)
		assert.ErrorIs(t, err, ErrMalformed)
		assert.Contains(t, err.Error(), c.why, "%q", c.line)
	}
}

func TestKindString(t *testing.T) {
	assert.Equal(t, "liveness reply", KindLivenessReply.String())
	assert.Equal(t, "kind(99)", Kind(99).String())
}

// FuzzParse checks that Parse never panics, that what it accepts it can
// encode, and that the encoding parses back to the same message.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"register:127.0.0.1:5000", "registered successfully", "get peer list",
		"peer list:127.0.0.1#5000:127.0.0.1#5001", "peer list:",
		"Dead Node:127.0.0.1:5001:1700000000.5:127.0.0.1",
		"connect:127.0.0.1:5000", "connected", "refused:at capacity", "error:x",
		"1700000000.123456:127.0.0.1#5000:3", "Liveness Request:1.0:127.0.0.1",
		"Liveness Reply:1.000001:127.0.0.1#1:127.0.0.1#2", "dead node removed",
		"register:1.2.3.4:99999", "\xff", "9:9:9",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		m, err := Parse(line)
		if err != nil {
			if m.Kind != KindInvalid {
				t.Fatalf("error with kind %v", m.Kind)
			}
			return
		}
		enc := m.String()
		if len(enc) > MaxLineLength {
			t.Fatalf("encoding of %q is %d bytes", line, len(enc))
		}
		again, err := Parse(enc)
		if err != nil {
			t.Fatalf("Parse(%q) = %v, but its encoding %q does not parse: %v", line, m, enc, err)
		}
		if again.String() != enc {
			t.Fatalf("round trip changed %q to %q", enc, again.String())
		}
	})
}

func TestReadSeeds(t *testing.T) {
	seeds, err := ReadSeeds(strings.NewReader("# seeds\n10.0.0.1:5000\n\n 10.0.0.2:6001 \n10.0.0.1:5000\n"))
	require.NoError(t, err)
	assert.Equal(t, []netip.AddrPort{apA, apB}, seeds, "comments, blanks and repeats are skipped")

	var b strings.Builder
	require.NoError(t, WriteSeeds(&b, seeds))
	back, err := ReadSeeds(strings.NewReader(b.String()))
	require.NoError(t, err)
	assert.Equal(t, seeds, back)

	for in, why := range map[string]string{
		"":                        "names no seeds",
		"10.0.0.1\n":              "line 1: want IP:Port",
		"# x\n10.0.0.1:http\n":    "line 2: port",
		strings.Repeat("1", 5000): "seeds file",
	} {
		_, err := ReadSeeds(strings.NewReader(in))
		require.Error(t, err)
		assert.Contains(t, err.Error(), why)
	}
}

func FuzzReadSeeds(f *testing.F) {
	f.Add("127.0.0.1:5000\n127.0.0.1:5001\n")
	f.Add("# c\n\n1.2.3.4:1")
	f.Add("1.2.3.4")
	f.Fuzz(func(t *testing.T, in string) {
		seeds, err := ReadSeeds(strings.NewReader(in))
		if err != nil {
			return
		}
		if len(seeds) == 0 || len(seeds) > maxSeeds {
			t.Fatalf("%d seeds accepted", len(seeds))
		}
		for _, s := range seeds {
			if !s.Addr().Is4() || s.Port() == 0 {
				t.Fatalf("bad seed %v accepted", s)
			}
		}
	})
}
