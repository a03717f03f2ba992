package index

import (
	"bytes"
	"context"
	"crypto/sha256"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/pdu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeServer is a content server that answers every D with frames C frames
// of junk and then either closes (hang false) or keeps the connection open
// until the test ends (hang true). sent is closed once frames are out.
type fakeServer struct {
	ln   net.Listener
	sent chan struct{}
	wg   sync.WaitGroup
}

func startFake(t *testing.T, codec pdu.Codec, frames int, hang bool) *fakeServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f := &fakeServer{ln: ln, sent: make(chan struct{})}
	release := make(chan struct{})
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = codec.ReadPDU(pdu.NewReader(c), pdu.Request, new(pdu.PDU))
		var out []byte
		lim := codec.Limits()
		if lim.Announce {
			out, _ = codec.Append(out, &pdu.PDU{Type: pdu.Content, Announce: true, Size: 1 << 20})
		}
		for range frames {
			out, _ = codec.Append(out, &pdu.PDU{Type: pdu.Content, Data: make([]byte, lim.MaxData)})
		}
		_, _ = c.Write(out)
		close(f.sent)
		if hang {
			<-release
		}
	}()
	t.Cleanup(func() {
		close(release)
		_ = ln.Close()
		f.wg.Wait()
	})
	return f
}

func TestInterruptedDownload(t *testing.T) {
	for _, codec := range codecs {
		t.Run(codec.Name(), func(t *testing.T) {
			idx := startIndex(t, codec)
			bob, _ := startPeer(t, "bob", idx, codec, nil)
			dir := t.TempDir()

			// The only server of "song" dies after three frames.
			fake := startFake(t, codec, 3, false)
			registerRaw(t, idx, codec, "fake", "song", fake.ln.Addr())
			_, err := bob.Download(context.Background(), "song", dir)
			require.ErrorIs(t, err, pdu.ErrIncomplete)
			assert.Empty(t, entries(t, dir), "no file under the final name, no temporary file")
			assert.Empty(t, bob.Serving(), "nothing half-downloaded is registered")

			// Retry: alice now serves it too and, least used, is chosen.
			alice, _ := startPeer(t, "alice", idx, codec, nil)
			songPath, song := writeRandom(t, t.TempDir(), "song", 1234)
			require.NoError(t, second(alice.Register("song", songPath)))
			path, err := bob.Download(context.Background(), "song", dir)
			require.NoError(t, err)
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, song, got)
			assert.Equal(t, []string{"song"}, entries(t, dir))
		})
	}
}

func TestCancelledDownload(t *testing.T) {
	for _, codec := range codecs {
		t.Run(codec.Name(), func(t *testing.T) {
			idx := startIndex(t, codec)
			bob, _ := startPeer(t, "bob", idx, codec, nil)
			dir := t.TempDir()
			fake := startFake(t, codec, 2, true) // sends, then stalls forever
			registerRaw(t, idx, codec, "slow", "film", fake.ln.Addr())

			ctx, cancel := context.WithCancel(context.Background())
			go func() {
				<-fake.sent
				cancel()
			}()
			_, err := bob.Download(ctx, "film", dir)
			require.ErrorIs(t, err, context.Canceled)
			assert.Empty(t, entries(t, dir))
		})
	}
}

// TestTenConcurrentDownloaders: ten peers fetch the same content at once
// and all get identical bytes.
func TestTenConcurrentDownloaders(t *testing.T) {
	for _, codec := range codecs {
		t.Run(codec.Name(), func(t *testing.T) {
			idx, _, content := startHolder(t, codec, "seed", "album", 300_001)
			want := sha256.Sum256(content)

			peers := make([]*Peer, 10)
			dirs := make([]string, 10)
			for i := range peers {
				peers[i], _ = startPeer(t, "p"+string(rune('0'+i)), idx, codec, nil)
				dirs[i] = t.TempDir()
			}
			var wg sync.WaitGroup
			errs := make([]error, 10)
			for i := range peers {
				wg.Go(func() { _, errs[i] = peers[i].Download(context.Background(), "album", dirs[i]) })
			}
			wg.Wait()
			for i := range peers {
				require.NoError(t, errs[i], "peer %d", i)
				got, err := os.ReadFile(filepath.Join(dirs[i], "album"))
				require.NoError(t, err)
				assert.Equal(t, want, sha256.Sum256(got), "peer %d", i)
			}
			assert.Len(t, idx.cfg.Registry.Holders("album", nil), 11, "every downloader became a server")
		})
	}
}

func TestFramedDetectsCorruptContent(t *testing.T) {
	idx := startIndex(t, pdu.Framed{})
	bob, _ := startPeer(t, "bob", idx, pdu.Framed{}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	wg.Go(func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = pdu.Framed{}.ReadPDU(pdu.NewReader(c), pdu.Request, new(pdu.PDU))
		content := bytes.Repeat([]byte("x"), 1000)
		_ = pdu.SendContent(c, pdu.Framed{}, bytes.NewReader(content), 1000, sha256.Sum256([]byte("something else")))
	})
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	registerRaw(t, idx, pdu.Framed{}, "liar", "doc", ln.Addr())
	dir := t.TempDir()
	_, err = bob.Download(context.Background(), "doc", dir)
	require.ErrorIs(t, err, pdu.ErrVerify)
	assert.Empty(t, entries(t, dir))
}

// TestDownloadProgress: Progress sees the bytes as they are written, the
// announced total with Framed, and one last call.
func TestDownloadProgress(t *testing.T) {
	for _, codec := range codecs {
		t.Run(codec.Name(), func(t *testing.T) {
			idx := startIndex(t, codec)
			alice, _ := startPeer(t, "alice", idx, codec, nil)
			const size = 1<<20 + 7
			path, _ := writeRandom(t, t.TempDir(), "big", size)
			require.NoError(t, second(alice.Register("big", path)))
			var seen []DownloadProgress
			bob := peerWith(t, idx, codec, func(c *PeerConfig) {
				c.Progress = func(p DownloadProgress) { seen = append(seen, p) }
			})
			require.NoError(t, downloadWithin(t, 20*time.Second, bob, "big", t.TempDir()))
			require.GreaterOrEqual(t, len(seen), 3, "a 1 MiB download is written in several chunks")
			total := int64(-1)
			if codec.Limits().Announce {
				total = size
			}
			last := seen[len(seen)-1]
			assert.Equal(t, DownloadProgress{Content: "big", Done: size, Total: total, End: true}, last)
			for i := 1; i < len(seen); i++ {
				assert.GreaterOrEqual(t, seen[i].Done, seen[i-1].Done, "never backwards")
				assert.Equal(t, i == len(seen)-1, seen[i].End)
			}
		})
	}
}
