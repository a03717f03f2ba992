package chat

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProbeRoundTrip(t *testing.T) {
	for _, p := range []Probe{
		{Kind: ProbeDiscover, Version: 1, Name: "alice"},
		{Kind: ProbeHere, Version: 1, Name: "bob.lab-2_x", Port: 23432},
		{Kind: ProbeHere, Version: 1, Name: strings.Repeat("n", MaxNameLen), Port: 65535},
	} {
		b, err := p.MarshalText()
		require.NoError(t, err)
		got, err := ParseProbe(b)
		require.NoError(t, err)
		assert.Equal(t, p, got)
	}
	b, err := Probe{Kind: ProbeDiscover, Name: "alice"}.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "NETLAB-DISCOVER 1 alice\n", string(b))
	b, err = Probe{Kind: ProbeHere, Name: "bob", Port: 4000}.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "NETLAB-HERE 1 bob 4000\n", string(b))
}

func TestParseProbeAcceptsWhatNetcatSends(t *testing.T) {
	for _, in := range []string{"NETLAB-DISCOVER 1 nc", "NETLAB-DISCOVER 1 nc\n", "NETLAB-DISCOVER 1 nc\r\n"} {
		p, err := ParseProbe([]byte(in))
		require.NoError(t, err, "%q", in)
		assert.Equal(t, Probe{Kind: ProbeDiscover, Version: 1, Name: "nc"}, p)
	}
}

func TestParseProbeRejects(t *testing.T) {
	cases := map[string]error{
		"hello":                     ErrNotProbe,
		"NETLAB-":                   ErrBadProbe,
		"NETLAB-HELLO 1 x":          ErrBadProbe,
		"NETLAB-DISCOVER":           ErrBadProbe,
		"NETLAB-DISCOVER 1":         ErrBadProbe,
		"NETLAB-DISCOVER 1 a b":     ErrBadProbe,
		"NETLAB-DISCOVER  1 a":      ErrBadProbe,
		"NETLAB-DISCOVER 01 a":      ErrBadProbe,
		"NETLAB-DISCOVER x a":       ErrBadProbe,
		"NETLAB-DISCOVER 2 a":       ErrProbeVersion,
		"NETLAB-DISCOVER 1 a b c d": ErrBadProbe,
		"NETLAB-DISCOVER 1 al ice":  ErrBadProbe,
		"NETLAB-DISCOVER 1 é":       ErrBadProbe,
		"NETLAB-HERE 1 bob":         ErrBadProbe,
		"NETLAB-HERE 1 bob 0":       ErrBadProbe,
		"NETLAB-HERE 1 bob 65536":   ErrBadProbe,
		"NETLAB-HERE 1 bob -1":      ErrBadProbe,
		"NETLAB-HERE 1 bob 80 x":    ErrBadProbe,
		"NETLAB-HERE 1 " + strings.Repeat("b", 33) + " 80": ErrBadProbe,
		"NETLAB-DISCOVER 1 " + strings.Repeat("a", 200):    ErrBadProbe,
	}
	for in, want := range cases {
		_, err := ParseProbe([]byte(in))
		assert.ErrorIs(t, err, want, "%q", in)
	}
}

func TestProbeMarshalValidates(t *testing.T) {
	_, err := Probe{Kind: ProbeDiscover, Name: "bad name"}.MarshalText()
	assert.Error(t, err)
	_, err = Probe{Kind: ProbeHere, Name: "ok", Port: 0}.MarshalText()
	assert.ErrorIs(t, err, ErrBadProbe)
	_, err = Probe{Kind: 9, Name: "ok"}.MarshalText()
	assert.ErrorIs(t, err, ErrBadProbe)
}

func FuzzParseProbe(f *testing.F) {
	for _, s := range []string{
		"NETLAB-DISCOVER 1 alice\n", "NETLAB-HERE 1 bob 23432\n", "NETLAB-HERE 1 bob 23432\r\n",
		"NETLAB-DISCOVER 2 x", "NETLAB-HERE 1 b 0", "hello", "NETLAB-", "NETLAB-HERE 1 a 99999",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseProbe(b)
		if err != nil {
			return
		}
		// Whatever parses re-encodes to the canonical form and parses the same.
		out, err := p.MarshalText()
		if err != nil {
			t.Fatalf("parsed %q but cannot encode %+v: %v", b, p, err)
		}
		q, err := ParseProbe(out)
		if err != nil || q != p {
			t.Fatalf("round trip of %q: %+v -> %q -> %+v, %v", b, p, out, q, err)
		}
	})
}
