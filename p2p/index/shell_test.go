package index

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/netlab-go/netlab/pdu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestShell(t *testing.T) {
	idx := startIndex(t, pdu.Classic{})
	alice, _ := startPeer(t, "alice", idx, pdu.Classic{}, nil)
	bob, _ := startPeer(t, "bob", idx, pdu.Classic{}, nil)
	songPath, song := writeRandom(t, t.TempDir(), "song", 321)

	var out bytes.Buffer
	in := strings.NewReader("register song " + songPath + "\nlist\nbogus\n")
	require.NoError(t, Shell(context.Background(), alice, t.TempDir(), in, &out, nil))
	assert.Contains(t, out.String(), "registered song")
	assert.Contains(t, out.String(), "1 registered: song")
	assert.Contains(t, out.String(), `unknown command "bogus"`)

	out.Reset()
	dir := t.TempDir()
	in = strings.NewReader("download song\ndownload song\nserving\nderegister song\nderegister song\nhelp\nquit\nlist\n")
	require.NoError(t, Shell(context.Background(), bob, dir, in, &out, nil))
	text := out.String()
	assert.Contains(t, text, "downloaded "+filepath.Join(dir, "song"))
	assert.Contains(t, text, "error: index: file exists")
	assert.Contains(t, text, "serving: song")
	assert.Contains(t, text, "de-registered song")
	assert.Contains(t, text, "error: index: peer name not registered")
	assert.Contains(t, text, "register NAME PATH")
	assert.NotContains(t, text, "registered: ", "nothing runs after quit")
	got, err := os.ReadFile(filepath.Join(dir, "song"))
	require.NoError(t, err)
	assert.Equal(t, song, got)
}
