package gossipkeys

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoad(t *testing.T) {
	k := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("a", 16)))
	path := filepath.Join(t.TempDir(), "ring")
	require.NoError(t, os.WriteFile(path, []byte(k+"\n"), 0o600))
	keys, err := Load("", "")
	assert.NoError(t, err)
	assert.Nil(t, keys, "no key: no encryption")
	keys, err = Load(k, "")
	require.NoError(t, err)
	assert.Equal(t, [][]byte{[]byte(strings.Repeat("a", 16))}, keys)
	keys, err = Load("", path)
	require.NoError(t, err)
	assert.Len(t, keys, 1)
	_, err = Load(k, path)
	assert.ErrorContains(t, err, "not both")
	_, err = Load("bad!", "")
	assert.ErrorContains(t, err, "not base64")
	_, err = Load("", filepath.Join(t.TempDir(), "missing"))
	assert.ErrorContains(t, err, "gossip: keyring")
}

func TestFromFlags(t *testing.T) {
	k := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("a", 16)))
	path := filepath.Join(t.TempDir(), "ring")
	require.NoError(t, os.WriteFile(path, []byte(k+"\n"), 0o600))
	for _, c := range []struct {
		name, key, keyring string
		keys               int
		err                string // prefix of the error; "" for none
	}{
		{name: "none", keys: 0},
		{name: "key", key: k, keys: 1},
		{name: "keyring", keyring: path, keys: 1},
		{name: "bad key", key: "bad!", err: "flag -key: "},
		{name: "missing keyring", keyring: filepath.Join(t.TempDir(), "missing"), err: "flag -keyring: "},
		{name: "both", key: k, keyring: path, err: "flag -keyring: give a key or a keyring, not both"},
	} {
		t.Run(c.name, func(t *testing.T) {
			keys, err := FromFlags(c.key, c.keyring)
			if c.err != "" {
				require.Error(t, err)
				assert.True(t, strings.HasPrefix(err.Error(), c.err), "error %q, want prefix %q", err, c.err)
				assert.NotContains(t, err.Error(), "gossip: ", "no package prefix in a flag message")
				return
			}
			require.NoError(t, err)
			assert.Len(t, keys, c.keys)
		})
	}
}
