package gossip

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMessageRoundTrip(t *testing.T) {
	m := Message{
		Kind:   KindPushPull,
		Rumors: []Rumor{{ID: 1, TTL: 1500 * time.Millisecond, Payload: []byte("a")}, {ID: 1 << 60, TTL: time.Minute, Payload: []byte{}}},
		IDs:    []RumorID{7, 8, 9},
	}
	b, err := m.Encode()
	require.NoError(t, err)
	assert.Equal(t, m.encodedSize(), len(b))
	got, err := DecodeMessage(b)
	require.NoError(t, err)
	m.Rumors[1].Payload = []byte{}
	got.Rumors[1].Payload = []byte{}
	assert.Equal(t, m, got)
}

func TestDecodeMessageRejectsBadInput(t *testing.T) {
	good, err := Message{Kind: KindPush, Rumors: []Rumor{{ID: 1, TTL: time.Second, Payload: []byte("xyz")}}}.Encode()
	require.NoError(t, err)
	cases := map[string]struct {
		b    []byte
		want string
	}{
		"short":       {good[:3], "shorter than"},
		"magic":       {append([]byte{'X'}, good[1:]...), "magic"},
		"version":     {append([]byte{'G', 9}, good[2:]...), "version"},
		"kind":        {append([]byte{'G', 1, 99}, good[3:]...), "unknown kind"},
		"truncated":   {good[:len(good)-3], "payload length"},
		"trailing":    {append(append([]byte{}, good...), 0), "ids need"},
		"many rumors": {[]byte{'G', 1, 1, 0xff, 0xff, 0, 0}, "cannot fit"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeMessage(c.b)
			assert.ErrorIs(t, err, ErrMalformed)
			assert.ErrorContains(t, err, c.want)
		})
	}
}

func TestEncodeRejectsOversizePayload(t *testing.T) {
	_, err := Message{Kind: KindPush, Rumors: []Rumor{{ID: 1, Payload: make([]byte, MaxPayload+1)}}}.Encode()
	assert.ErrorContains(t, err, "payload")
}

// FuzzDecodeMessage feeds arbitrary datagrams to the decoder: it must never
// panic, and whatever it accepts must encode back to the same bytes.
func FuzzDecodeMessage(f *testing.F) {
	for _, m := range []Message{
		{Kind: KindPush, Rumors: []Rumor{{ID: 42, TTL: time.Second, Payload: []byte("rumor")}}},
		{Kind: KindPull, IDs: []RumorID{1, 2, 3}},
		{Kind: KindPushPull, Rumors: []Rumor{{ID: 1, Payload: []byte("x")}}, IDs: []RumorID{5}},
		{Kind: KindReply},
		{Kind: KindDigest, IDs: []RumorID{9}},
		{Kind: KindSync, Rumors: []Rumor{{ID: 3, TTL: time.Hour}}},
	} {
		b, err := m.Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{'G', 1, 1, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			return
		}
		again, err := m.Encode()
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		if string(again) != string(b) {
			t.Fatalf("round trip changed the bytes:\n in %x\nout %x", b, again)
		}
	})
}
