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
