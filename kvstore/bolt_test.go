package kvstore

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openBoltNode opens the node name on the bolt file at path (made if
// missing); closing the node closes the file.
func openBoltNode(t *testing.T, name, path string) *Node {
	t.Helper()
	s, err := OpenBoltStore(path)
	require.NoError(t, err)
	cfg := DefaultConfig(name)
	cfg.Store = s
	n, err := New(cfg, nil)
	require.NoError(t, err)
	return n
}

func TestBoltStoreKeepsEntriesAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.db")
	n := openBoltNode(t, "a", path)
	v, err := n.Put("k1", []byte("v1"))
	require.NoError(t, err)
	_, err = n.Put("k2", []byte{0, 1, 2})
	require.NoError(t, err)
	_, err = n.Delete("k2")
	require.NoError(t, err)
	require.NoError(t, n.Close())

	n2 := openBoltNode(t, "a", path)
	defer n2.Close()
	e, err := n2.Get("k1")
	require.NoError(t, err)
	assert.Equal(t, "v1", string(e.Value))
	assert.Equal(t, v, e.Version)
	_, err = n2.Get("k2")
	require.ErrorIs(t, err, ErrNotFound, "the delete survived too")
	// The digests rebuilt from disk equal those the first node kept in
	// memory (its tombstone included): anti-entropy sees no difference.
	assert.True(t, n2.InSyncWith(n), "digests rebuilt from disk differ from the node's before the restart")
	v3, err := n2.Put("k1", []byte("v3"))
	require.NoError(t, err)
	assert.Equal(t, 1, v3.Compare(v), "the restarted clock is past every stored version")
	assert.False(t, n2.InSyncWith(n), "a new write changes the digests")
}

func TestBoltStoreRefusesASecondOpener(t *testing.T) {
	path := filepath.Join(t.TempDir(), "node.db")
	s, err := OpenBoltStore(path)
	require.NoError(t, err)
	defer s.Close()
	_, err = OpenBoltStore(path)
	require.ErrorContains(t, err, "in use by another process")
}

// TestCrashKeepsAcknowledgedWrites runs a child process that writes to a
// durable node and prints each key once Put has returned; the parent kills
// it with SIGKILL mid-stream, reopens the store, and checks that every
// acknowledged key is there.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if path := os.Getenv("KVSTORE_CRASH_CHILD"); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "crash.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashKeepsAcknowledgedWrites$")
	cmd.Env = append(os.Environ(), "KVSTORE_CRASH_CHILD="+path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	var acked []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if key, ok := strings.CutPrefix(sc.Text(), "acked "); ok {
			acked = append(acked, key)
			if len(acked) == 200 {
				require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
				break
			}
		}
	}
	_ = cmd.Wait()
	require.Len(t, acked, 200, "the child acknowledged writes before it was killed")

	n := openBoltNode(t, "restarted", path)
	defer n.Close()
	for _, key := range acked {
		e, err := n.Get(key)
		require.NoError(t, err, "acknowledged write %q lost in the crash", key)
		assert.Equal(t, "value of "+key, string(e.Value))
	}
}

func crashChild(path string) {
	s, err := OpenBoltStore(path)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	cfg := DefaultConfig("child")
	cfg.Store = s
	n, err := New(cfg, nil)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		key := fmt.Sprintf("key-%06d", i)
		if _, err := n.Put(key, []byte("value of "+key)); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("acked", key) // only after Put returned: the write is on disk
	}
}
