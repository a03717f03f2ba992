package kvstore

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// When PutAcked returns, the asked-for number of other replicas hold the
// write already: read them at once, without waiting.
func TestPutAckedWaitsForReplicas(t *testing.T) {
	mc := startMemCluster(t, []string{"A", "B", "C"}, nil)
	a := mc.replicas[0]
	ctx := context.Background()
	for i := range 20 {
		v, err := a.PutAcked(ctx, "k", []byte{byte(i)}, 2)
		require.NoError(t, err)
		for _, r := range mc.replicas[1:] {
			e, err := r.Get("k")
			require.NoError(t, err, "%s: write %d acknowledged but absent", r.Name(), i)
			assert.Equal(t, v, e.Version, "%s: write %d", r.Name(), i)
		}
	}
	v, err := a.DeleteAcked(ctx, "k", 2)
	require.NoError(t, err)
	for _, r := range mc.replicas[1:] {
		_, err := r.Get("k")
		assert.ErrorIs(t, err, ErrNotFound, r.Name())
		e, ok, err := r.store.Get("k")
		require.NoError(t, err)
		require.True(t, ok)
		assert.Equal(t, v, e.Version)
	}

	// More acknowledgements than there are other members: refused at once,
	// but the write is stored here.
	v, err = a.PutAcked(ctx, "k3", []byte("x"), 3)
	require.ErrorIs(t, err, ErrNotEnoughReplicas)
	assert.NotZero(t, v.Wall)
	_, err = a.Get("k3")
	assert.NoError(t, err)
}

// A replica cut off from the writer cannot acknowledge: the write fails as
// soon as too few members are left to answer (or at AckTimeout), naming why.
func TestPutAckedTimesOutAcrossAPartition(t *testing.T) {
	mc := startMemCluster(t, []string{"A", "B", "C"}, func(c *Config) { c.AckTimeout = 300 * time.Millisecond })
	a := mc.replicas[0]
	mc.net.Partition(mc.addrs(0, 1), mc.addrs(2))
	start := time.Now()
	_, err := a.PutAcked(context.Background(), "k", []byte("x"), 2)
	require.ErrorIs(t, err, ErrNotEnoughReplicas)
	assert.Contains(t, err.Error(), "request to C", "the error names the member that could not answer")
	assert.Less(t, time.Since(start), 10*time.Second)
	// One acknowledgement is still possible on A's side.
	_, err = a.PutAcked(context.Background(), "k", []byte("y"), 1)
	require.NoError(t, err)
	e, err := mc.replicas[1].Get("k")
	require.NoError(t, err)
	assert.Equal(t, "y", string(e.Value))
}

func TestHTTPWriteWaitsForW(t *testing.T) {
	mc := startMemCluster(t, []string{"A", "B", "C"}, nil)
	srv := httptest.NewServer(mc.replicas[0].Handler())
	defer srv.Close()
	do := func(method, path string) (int, map[string]any) {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader("25.5"))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return resp.StatusCode, out
	}
	code, out := do("PUT", "/kv/temperature?w=2")
	require.Equal(t, 200, code, out)
	assert.EqualValues(t, 2, out["w"])
	for _, r := range mc.replicas[1:] {
		e, err := r.Get("temperature")
		require.NoError(t, err, r.Name())
		assert.Equal(t, "25.5", string(e.Value))
	}
	code, out = do("PUT", "/kv/temperature?w=5")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, true, out["stored_locally"])
	assert.Contains(t, out["error"], "not enough replicas")
	code, _ = do("DELETE", "/kv/temperature?w=2")
	require.Equal(t, 200, code)
	for _, r := range mc.replicas[1:] {
		_, err := r.Get("temperature")
		assert.ErrorIs(t, err, ErrNotFound, r.Name())
	}
	for _, bad := range []string{"-1", "x", "101", "1.5"} {
		code, out = do("PUT", "/kv/t?w="+bad)
		assert.Equal(t, http.StatusBadRequest, code, bad)
		assert.Contains(t, out["error"], "w must be", bad)
	}
}

func TestPutAckedWithoutRequesterIsRefused(t *testing.T) {
	n, err := New(DefaultConfig("a"), nil)
	require.NoError(t, err)
	defer n.Close()
	_, err = n.PutAcked(context.Background(), "k", nil, 1)
	assert.ErrorIs(t, err, errNoRequester)
	v, err := n.PutAcked(context.Background(), "k", []byte("v"), 0)
	require.NoError(t, err, "w=0 is a plain Put")
	assert.NotZero(t, v.Wall)
	_, err = n.PutAcked(context.Background(), "k", nil, -1)
	assert.ErrorContains(t, err, "want 0 or more")
}
