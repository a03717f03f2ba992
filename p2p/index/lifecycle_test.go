package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/internal/lifecycletest"
	"github.com/netlab-go/netlab/pdu"
)

// TestLifecycle walks the index server, a content peer and a whole system
// (an index and three peers sharing one context) through construct, run,
// use, stop and use after close (see internal/lifecycletest), from zero
// configs plus what is required.
func TestLifecycle(t *testing.T) {
	server := func(t *testing.T) lifecycletest.Component {
		s, err := New(Config{})
		require.NoError(t, err)
		p, err := NewPeer(PeerConfig{Name: "asker", Index: s.Addr()})
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, p.Close()) })
		use := func(context.Context) error { _, err := p.List(); return err }
		// A query to a closed index is refused (ICMP port unreachable).
		return lifecycletest.Component{
			Run: s.Run, Close: s.Close, ErrClosed: ErrClosed, Use: use, UseErr: syscall.ECONNREFUSED,
		}
	}
	peer := func(t *testing.T) lifecycletest.Component {
		idx := startIndex(t, pdu.Classic{})
		p, err := NewPeer(PeerConfig{Name: "alice", Index: idx.Addr()})
		require.NoError(t, err)
		path, _ := writeRandom(t, t.TempDir(), "song", 1000)
		n := 0
		use := func(context.Context) error {
			n++
			name := fmt.Sprintf("song%d", n)
			if _, err := p.Register(name, path); err != nil {
				return err
			}
			l, err := p.List()
			if err != nil {
				return err
			}
			if !slices.Contains(l.Names, name) {
				return fmt.Errorf("the index lists %v, not %q", l.Names, name)
			}
			return nil
		}
		ready := p.conns.Began
		return lifecycletest.Component{Run: p.Run, Ready: ready, Close: p.Close, ErrClosed: ErrClosed, Use: use}
	}
	lifecycletest.Check(t, []lifecycletest.Case{
		{Name: "Server", New: server},
		{Name: "Peer", New: peer},
		{Name: "System", Stop: lifecycletest.Cancel, New: system},
	})
}

// system is an index and three peers, each serving two files, sharing one
// context: the whole system stops at once, and no peer may wait out its
// Timeout de-registering from the index that is stopping too.
func system(t *testing.T) lifecycletest.Component {
	s, err := New(Config{})
	require.NoError(t, err)
	dir := t.TempDir()
	var peers []*Peer
	for i := range 3 {
		p, err := NewPeer(PeerConfig{Name: fmt.Sprintf("p%d", i), Index: s.Addr(), Retries: 2})
		require.NoError(t, err)
		peers = append(peers, p)
	}
	runs := []func(context.Context) error{s.Run}
	for _, p := range peers {
		runs = append(runs, p.Run)
	}
	registered := false
	use := func(ctx context.Context) error {
		if !registered { // registering needs the index's Run
			for i, p := range peers {
				for j := range 2 {
					name := fmt.Sprintf("f%d-%d", i, j)
					path, _ := writeRandom(t, dir, name, 4096)
					if _, err := p.Register(name, path); err != nil {
						return err
					}
				}
			}
			registered = true
		}
		got, err := peers[0].Download(ctx, "f1-0", t.TempDir())
		if err != nil {
			return err
		}
		want, err := os.ReadFile(filepath.Join(dir, "f1-0"))
		if err != nil {
			return err
		}
		b, err := os.ReadFile(got)
		if err != nil {
			return err
		}
		if !slices.Equal(b, want) {
			return errors.New("the download differs from the file")
		}
		return nil
	}
	return lifecycletest.Component{Run: lifecycletest.Together(runs...), ErrClosed: ErrClosed, Use: use}
}

// TestZeroConfigMeansDefault: a zero field takes the value of DefaultConfig
// or DefaultPeerConfig (Retries excepted: zero means none), and a field
// that is set is kept.
func TestZeroConfigMeansDefault(t *testing.T) {
	s, err := New(Config{})
	require.NoError(t, err)
	got := s.cfg
	assert.NotNil(t, got.Registry, "a new MemRegistry")
	assert.NotNil(t, got.Logger, "a silent logger")
	got.Registry, got.Logger = nil, nil
	assert.Equal(t, DefaultConfig(), got)

	p, err := NewPeer(PeerConfig{Name: "alice", Index: s.Addr(), Timeout: 3})
	require.NoError(t, err)
	gotPeer := p.cfg
	assert.NotNil(t, gotPeer.Logger)
	gotPeer.Logger = nil
	want := DefaultPeerConfig()
	want.Name, want.Index, want.Timeout, want.Retries = "alice", s.Addr(), 3, 0
	assert.Equal(t, want, gotPeer)
	require.NoError(t, p.Close())
	require.NoError(t, s.Close())
}
