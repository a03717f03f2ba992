package gossip_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/gossip/gossiptest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseKey(t *testing.T) {
	for _, n := range []int{16, 24, 32} {
		raw := []byte(strings.Repeat("k", n))
		k, err := gossip.ParseKey(" " + base64.StdEncoding.EncodeToString(raw) + "\n")
		require.NoError(t, err, n)
		assert.Equal(t, raw, k)
	}
	_, err := gossip.ParseKey(base64.StdEncoding.EncodeToString([]byte("short")))
	assert.ErrorContains(t, err, "key of 5 bytes: want 16, 24 or 32")
	_, err = gossip.ParseKey("not base64!")
	assert.ErrorContains(t, err, "not base64")
}

func TestReadKeyring(t *testing.T) {
	dir := t.TempDir()
	k1, k2 := strings.Repeat("a", 32), strings.Repeat("b", 16)
	enc := base64.StdEncoding.EncodeToString
	good := filepath.Join(dir, "good")
	require.NoError(t, os.WriteFile(good, []byte("# primary first\n"+enc([]byte(k1))+"\n\n"+enc([]byte(k2))+"\n"), 0o600))
	keys, err := gossip.ReadKeyring(good)
	require.NoError(t, err)
	assert.Equal(t, [][]byte{[]byte(k1), []byte(k2)}, keys)

	bad := filepath.Join(dir, "bad")
	require.NoError(t, os.WriteFile(bad, []byte(enc([]byte(k1))+"\n"+enc([]byte("xx"))+"\n"), 0o600))
	_, err = gossip.ReadKeyring(bad)
	assert.ErrorContains(t, err, "line 2: key of 2 bytes")
	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte("# nothing\n"), 0o600))
	_, err = gossip.ReadKeyring(empty)
	assert.ErrorContains(t, err, "holds no key")
	_, err = gossip.ReadKeyring(filepath.Join(dir, "missing"))
	assert.ErrorContains(t, err, "keyring")

	// The keys work: a member with the keyring talks to one whose primary
	// is the keyring's second key.
	net := newMem(t, gossiptest.DefaultMemConfig())
	ca := localConfig(net)
	ca.Name, ca.Keys = "a", keys
	a, _ := newMember(t, ca)
	cb := localConfig(net)
	cb.Name, cb.Keys = "b", [][]byte{keys[1], keys[0]}
	b, _ := newMember(t, cb)
	_, err = b.Join([]string{a.Addr()})
	require.NoError(t, err)
	// Join returns once b has a's state; a merges b's a moment later.
	require.Eventually(t, func() bool { return a.NumMembers() == 2 }, 10*time.Second, 5*time.Millisecond)
	cc := localConfig(net)
	cc.Name, cc.Keys = "c", [][]byte{[]byte(strings.Repeat("z", 32))}
	c, _ := newMember(t, cc)
	_, err = c.Join([]string{a.Addr()})
	assert.Error(t, err, "a member without the keyring's keys cannot join")
	assert.Equal(t, 2, a.NumMembers(), "c is not a member")
}

// FuzzParseKey: any text either gives a key of an AES size whose base64 is
// the trimmed text, or an error; never a panic.
func FuzzParseKey(f *testing.F) {
	f.Add(base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 16))))
	f.Add(" " + base64.StdEncoding.EncodeToString([]byte(strings.Repeat("k", 32))) + "\n")
	f.Add("c2hvcnQ=")
	f.Add("not base64!")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := gossip.ParseKey(s)
		if err != nil {
			return
		}
		if n := len(k); n != 16 && n != 24 && n != 32 {
			t.Fatalf("accepted a key of %d bytes", n)
		}
		if again := base64.StdEncoding.EncodeToString(k); again != strings.TrimSpace(s) {
			t.Fatalf("%q decoded to a key that encodes as %q", s, again)
		}
	})
}
