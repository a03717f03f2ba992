package index

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

func TestShellGetFromSeveralHolders(t *testing.T) {
	idx := startIndex(t, pdu.Framed{})
	_, content := writeRandom(t, t.TempDir(), "film", 40*testChunk)
	// The honest holder sends its first chunk only once mallory has been
	// asked for one, so that mallory is found out whatever the scheduling
	// (a quick honest holder could otherwise serve all 40 chunks before
	// bob's request to mallory is answered).
	malloryAsked := make(chan struct{})
	var once sync.Once
	mallory := startFakeHolder(t, idx, "mallory", "film", content, func(int) string {
		once.Do(func() { close(malloryAsked) })
		return "corrupt"
	})
	startFakeHolder(t, idx, "alice", "film", content, func(int) string {
		select {
		case <-malloryAsked:
		case <-t.Context().Done(): // the test failed without asking mallory
		}
		return "ok"
	})
	bob := startSwarmPeer(t, "bob", idx, 0, nil)
	var out bytes.Buffer
	dir := t.TempDir()
	require.NoError(t, Shell(context.Background(), bob, dir, strings.NewReader("get film\nget ../x\n"), &out, nil))
	text := out.String()
	assert.Contains(t, text, "downloaded "+filepath.Join(dir, "film"))
	assert.Contains(t, text, mallory.addr().String())
	assert.Contains(t, text, "dropped: corrupt")
	assert.Contains(t, text, "error: index: bad content name")
	got, err := os.ReadFile(filepath.Join(dir, "film"))
	require.NoError(t, err)
	assert.Equal(t, content, got)
}
