package capture

import (
	"bytes"
	"context"
	"errors"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cancelAfter cancels a context once n bytes have been read through it.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if c.n -= n; c.n <= 0 {
		c.cancel()
	}
	return n, err
}

func generated(t *testing.T, frames int) ([]byte, GenerateStats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Generate(&buf, GenerateConfig{Hosts: 20, Frames: frames, PayloadSize: 300, Seed: 7, Gap: time.Microsecond})
	require.NoError(t, err)
	return buf.Bytes(), st
}

// sequential counts file the plain way, one Next and one Add at a time.
func sequential(t *testing.T, file []byte) (*Analyzer, error) {
	t.Helper()
	a, err := New(DefaultConfig())
	require.NoError(t, err)
	r, err := NewReader(bytes.NewReader(file), 0)
	require.NoError(t, err)
	for {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			return a, nil
		}
		if err != nil {
			return a, err
		}
		a.Add(p)
	}
}

func requireSameCounts(t *testing.T, want, got *Analyzer) {
	t.Helper()
	require.Equal(t, want.Summary(), got.Summary())
	var w, g bytes.Buffer
	require.NoError(t, want.Hierarchy().WritePHS(&w))
	require.NoError(t, got.Hierarchy().WritePHS(&g))
	require.Equal(t, w.String(), g.String())
	for _, k := range ConvKinds() {
		require.Equal(t, want.Conversations(k), got.Conversations(k), "table %v", k)
	}
}

// When ctx ends, ReadFrom has read frames ahead that it did not count; they
// go back to the Reader, so a second ReadFrom counts every frame once.
func TestReadFromCancelHandsBackFrames(t *testing.T) {
	file, st := generated(t, 20_000)
	want, err := sequential(t, file)
	require.NoError(t, err)
	require.Equal(t, st.Frames, want.Summary().Frames)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := NewReader(&cancelAfter{r: bytes.NewReader(file), n: len(file) / 3, cancel: cancel}, 0)
	require.NoError(t, err)
	got, err := New(DefaultConfig())
	require.NoError(t, err)
	require.ErrorIs(t, got.ReadFrom(ctx, r), context.Canceled)
	assert.Less(t, got.Summary().Frames, st.Frames, "cancelled before the end")
	require.NoError(t, got.ReadFrom(context.Background(), r))
	requireSameCounts(t, want, got)
	_, err = r.Next()
	require.ErrorIs(t, err, io.EOF)
}

// A read error in the middle of the file comes after every frame before it
// was counted, with the same message, as when reading frame by frame.
func TestReadFromErrorAfterFrames(t *testing.T) {
	file, _ := generated(t, 5_000)
	for _, cut := range []int{len(file) / 2, len(file) - 7, 24 + 16 + 3} {
		bad := file[:cut]
		want, wantErr := sequential(t, bad)
		require.ErrorIs(t, wantErr, ErrTruncated)
		got, gotErr := analyze(t, bad)
		require.Error(t, gotErr)
		assert.Equal(t, wantErr.Error(), gotErr.Error())
		requireSameCounts(t, want, got)
	}
	// A corrupt record length in the middle: the error names its offset.
	bad := append([]byte(nil), file...)
	off := 24
	for range 1000 {
		off += 16 + int(le32(bad[off+8:]))
	}
	copy(bad[off+8:], []byte{0xff, 0xff, 0xff, 0x7f})
	want, wantErr := sequential(t, bad)
	require.ErrorIs(t, wantErr, ErrCorrupt)
	got, gotErr := analyze(t, bad)
	require.Error(t, gotErr)
	assert.Equal(t, wantErr.Error(), gotErr.Error())
	assert.Equal(t, uint64(1000), got.Summary().Frames)
	requireSameCounts(t, want, got)
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

// Frames handed back to the Reader may have been decoded (a batch waiting
// to be counted) or only read (a batch waiting to be decoded); a second
// ReadFrom counts both kinds once, in order, the decoded ones without
// decoding them again.
func TestReadFromHandsBackReadAndDecodedBatches(t *testing.T) {
	file, _ := generated(t, 20_000)
	want, err := sequential(t, file)
	require.NoError(t, err)

	got, err := New(DefaultConfig())
	require.NoError(t, err)
	got.rdec = newFrameDecoder(got.flows, got.streams)
	r, err := NewReader(bytes.NewReader(file), 0)
	require.NoError(t, err)
	decoded, read := getBatch(), getBatch()
	decoded.read(r)
	decoded.decode(got.rdec)
	read.read(r)
	require.True(t, decoded.decoded)
	require.False(t, read.decoded)
	require.NoError(t, decoded.err)
	require.NoError(t, read.err)
	r.backlog = append(r.backlog, backlogBatch{b: decoded, next: 10}, backlogBatch{b: read})
	// The first ten frames as ReadFrom would have counted them.
	for i := range 10 {
		var from batchSpan
		if i > 0 {
			from = decoded.spans[i-1]
		}
		to := decoded.spans[i]
		got.account(&decoded.facts[i], decoded.paths[from.path:to.path], decoded.taps[from.taps:to.taps], decoded.apps[from.apps:to.apps])
	}
	require.NoError(t, got.ReadFrom(context.Background(), r))
	requireSameCounts(t, want, got)
}

// A batch takes the records that lie whole in the Reader's buffer straight
// from it (framer.pcapRun) and the others through Next: each frame is the
// one Next returns, with its offset, and the frames that follow a batch
// are Next's too.
func TestBatchReadMatchesNext(t *testing.T) {
	file, _ := generated(t, 5000)
	want, err := NewReader(bytes.NewReader(file), 0)
	require.NoError(t, err)
	r, err := NewReader(bytes.NewReader(file), 0)
	require.NoError(t, err)
	b := getBatch()
	defer batchPool.Put(b)
	b.read(r)
	require.NoError(t, b.err)
	require.Len(t, b.recs, batchFrames)
	for i := range b.recs {
		p := b.packet(i)
		w, err := want.Next()
		require.NoError(t, err)
		require.Equal(t, w.Data, p.Data, "frame %d", i)
		require.Equal(t, w.Offset, p.Offset, "frame %d", i)
		require.True(t, w.Timestamp.Equal(p.Timestamp), "frame %d", i)
		require.Equal(t, w.Timestamp.Location(), p.Timestamp.Location(), "frame %d", i)
		require.Equal(t, w.Length, p.Length, "frame %d", i)
		require.Equal(t, w.LinkType, p.LinkType, "frame %d", i)
	}
	for {
		w, werr := want.Next()
		p, err := r.Next()
		require.Equal(t, werr, err)
		if err != nil {
			require.ErrorIs(t, err, io.EOF)
			return
		}
		require.Equal(t, w.Data, p.Data)
		require.Equal(t, w.Offset, p.Offset)
	}
}

// A table large enough to be formatted on several goroutines (inParts)
// comes out as it does on one.
func TestConversationsInParts(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, writeManyFlows(&buf, 60_000, 30_000))
	a, err := analyze(t, buf.Bytes())
	require.NoError(t, err)
	require.Greater(t, len(a.order[ConvIPv4]), 2*8192)
	var parallel [convKinds][]Conversation
	for _, k := range ConvKinds() {
		parallel[k] = a.Conversations(k)
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	for _, k := range ConvKinds() {
		require.Equal(t, a.Conversations(k), parallel[k], "table %v", k)
	}
}

// rankByFrames orders by frames, most first, ties in order of appearance,
// whether the counts fit in 32 bits (one integer per entry) or not.
func TestRankByFrames(t *testing.T) {
	frames := []uint64{3, 7, 3, 0, 7, 1 << 20, 3}
	want := []int{5, 1, 4, 0, 2, 6, 3}
	es := make([]*convEntry, len(frames))
	for i, f := range frames {
		es[i] = &convEntry{aFrames: f / 2, bFrames: f - f/2}
	}
	assert.Equal(t, want, rankByFrames(es))
	es[5].aFrames = 1 << 40 // too many for a packed key: the general sort
	assert.Equal(t, want, rankByFrames(es))
	es[3].bFrames = 1 << 41
	assert.Equal(t, []int{3, 5, 1, 4, 0, 2, 6}, rankByFrames(es))
}
