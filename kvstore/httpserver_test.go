package kvstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/internal/fakeclock"
	"github.com/netlab-go/netlab/internal/testutil"
)

// startHTTP serves a fresh node's API with cfg until the test ends.
func startHTTP(t *testing.T, cfg HTTPConfig) (*Node, *HTTPServer) {
	t.Helper()
	n, err := New(DefaultConfig("a"), nil)
	require.NoError(t, err)
	s, err := NewHTTPServer(n, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { n.Close() }) // runs after the server has stopped
	testutil.Serve(t, s.Run)
	return n, s
}

func TestHTTPWrongMethodIs405WithAllow(t *testing.T) {
	_, s := startHTTP(t, HTTPConfig{})
	for _, c := range []struct{ method, path, allow string }{
		{"POST", "/kv/k", "GET, HEAD, PUT, DELETE"},
		{"PATCH", "/kv/a/b", "GET, HEAD, PUT, DELETE"},
		{"POST", "/kv", "GET, HEAD"},
		{"DELETE", "/members", "GET, HEAD"},
		{"PUT", "/stats", "GET, HEAD"},
	} {
		req, err := http.NewRequest(c.method, s.URL()+c.path, strings.NewReader("x"))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode, "%s %s", c.method, c.path)
		assert.Equal(t, c.allow, resp.Header.Get("Allow"), "%s %s", c.method, c.path)
		assert.Contains(t, string(body), "not allowed", "%s %s", c.method, c.path)
	}
	resp, err := http.Get(s.URL() + "/nope")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "an unknown path is still 404")
}

// Every key put through the API comes back exactly from the listing,
// including keys that are not valid UTF-8, and each listed key reads back.
func TestHTTPListingRoundTripsEveryKey(t *testing.T) {
	n, s := startHTTP(t, HTTPConfig{})
	keys := []string{"plain", "with space", "a/b/c", "ключ", "\xff\xfe", "ok\x80bad", "%2F literal", "tab\tnl\n", "\x00nul"}
	for i, k := range keys {
		req, err := http.NewRequest("PUT", s.URL()+"/kv/"+url.PathEscape(k), strings.NewReader(fmt.Sprint("v", i)))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, "PUT %q", k)
	}
	// What the node stored is exactly what was sent.
	for i, k := range keys {
		e, err := n.Get(k)
		require.NoError(t, err, "key %q", k)
		assert.Equal(t, fmt.Sprint("v", i), string(e.Value))
	}

	resp, err := http.Get(s.URL() + "/kv")
	require.NoError(t, err)
	var list struct {
		Entries []JSONEntry `json:"entries"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&list))
	resp.Body.Close()
	got := map[string]string{}
	for _, j := range list.Entries {
		k, v, err := j.Bytes()
		require.NoError(t, err)
		got[string(k)] = string(v)
		// The listed key reads back through the API.
		r, err := http.Get(s.URL() + "/kv/" + url.PathEscape(string(k)))
		require.NoError(t, err)
		r.Body.Close()
		assert.Equal(t, 200, r.StatusCode, "GET listed key %s", hex.EncodeToString(k))
	}
	want := map[string]string{}
	for i, k := range keys {
		want[k] = fmt.Sprint("v", i)
	}
	assert.Equal(t, want, got)
}

// Issue 17: 2,000 PUTs that announce 100 kB and send 2 bytes. The server
// never holds more than MaxConns of them, closes each after ReadTimeout, and
// its descriptors return to the baseline while the attacker still holds its
// side open; a real client is served afterwards.
func TestHTTPSlowBodiesDoNotHoldDescriptors(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc to count descriptors (Linux)")
	}
	const attackers, maxConns = 2000, 64
	readTimeout := 300 * time.Millisecond
	_, s := startHTTP(t, HTTPConfig{ReadTimeout: readTimeout, MaxConns: maxConns, Rate: -1})
	port := s.Addr().(*net.TCPAddr).Port
	baseline := socketsOn(t, port)

	var conns []net.Conn
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	peak, refused := 0, 0
	for i := range attackers {
		c, err := net.DialTimeout("tcp", s.Addr().String(), 2*time.Second)
		if err != nil {
			// The kernel's accept queue (net.core.somaxconn) is full: the
			// connection never reached the server, which is the point.
			refused++
			continue
		}
		conns = append(conns, c)
		_, err = fmt.Fprintf(c, "PUT /kv/k%d HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\nab", i)
		require.NoError(t, err)
		if i%100 == 0 {
			peak = max(peak, socketsOn(t, port))
		}
	}
	peak = max(peak, socketsOn(t, port))
	t.Logf("%d connections opened, %d refused by a full accept queue; the server held at most %d", len(conns), refused, peak-baseline)
	require.Greater(t, len(conns), maxConns, "the attack opened more connections than MaxConns")
	assert.LessOrEqual(t, peak, baseline+maxConns, "the server held more than MaxConns connections")
	assert.Positive(t, peak-baseline, "the attack reached the server")

	// Served MaxConns at a time, each closed after ReadTimeout: the backlog
	// drains in about attackers/maxConns timeouts.
	drain := time.Duration(attackers/maxConns+1)*readTimeout + 10*time.Second
	require.Eventually(t, func() bool { return socketsOn(t, port) <= baseline }, drain, 20*time.Millisecond,
		"the server's descriptors did not return to the baseline")

	// A real client gets in once the slow ones are gone.
	resp, err := http.Get(s.URL() + "/stats")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, 200, resp.StatusCode)
}

func TestRateLimiterTokenBucket(t *testing.T) {
	clock := fakeclock.New(time.Unix(1000, 0))
	l := newRateLimiter(10, 3, clock.Now)
	for i := range 3 {
		ok, _ := l.allow("1.2.3.4")
		require.True(t, ok, "burst request %d", i)
	}
	ok, wait := l.allow("1.2.3.4")
	require.False(t, ok, "the fourth request at once is over the burst")
	assert.InDelta(t, 100*time.Millisecond, wait, float64(time.Millisecond), "one token comes back after 1/rate")
	ok, _ = l.allow("5.6.7.8")
	assert.True(t, ok, "another client has its own bucket")
	clock.Advance(100 * time.Millisecond)
	ok, _ = l.allow("1.2.3.4")
	assert.True(t, ok, "refilled at the rate")
	ok, _ = l.allow("1.2.3.4")
	assert.False(t, ok)
}

func TestHTTPRateLimitedClientGets429(t *testing.T) {
	_, s := startHTTP(t, HTTPConfig{Rate: 0.001, Burst: 5})
	codes := map[int]int{}
	var retry string
	for range 8 {
		resp, err := http.Get(s.URL() + "/stats")
		require.NoError(t, err)
		resp.Body.Close()
		codes[resp.StatusCode]++
		if resp.StatusCode == http.StatusTooManyRequests {
			retry = resp.Header.Get("Retry-After")
		}
	}
	assert.Equal(t, map[int]int{200: 5, 429: 3}, codes)
	secs, err := strconv.Atoi(retry)
	require.NoError(t, err)
	assert.Positive(t, secs)
}

func TestHTTPServerConfigValidated(t *testing.T) {
	n, err := New(DefaultConfig("a"), nil)
	require.NoError(t, err)
	defer n.Close()
	_, err = NewHTTPServer(n, HTTPConfig{Rate: 5, Burst: -1})
	assert.ErrorContains(t, err, "HTTPConfig.Burst")
	_, err = NewHTTPServer(n, HTTPConfig{Addr: "127.0.0.1:99999"})
	assert.ErrorContains(t, err, "HTTPConfig.Addr")
}

func TestHTTPServerCloseIsIdempotentAndEndsRun(t *testing.T) {
	n, err := New(DefaultConfig("a"), nil)
	require.NoError(t, err)
	defer n.Close()
	s, err := NewHTTPServer(n, HTTPConfig{})
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- s.Run(context.Background()) }()
	require.Eventually(t, func() bool {
		resp, err := http.Get(s.URL() + "/stats")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, s.Close())
	require.NoError(t, <-done, "Close ends Run")
	require.NoError(t, s.Close(), "a second Close")
	assert.ErrorIs(t, s.Run(context.Background()), ErrClosed)
	_, err = http.Get(s.URL() + "/stats")
	assert.Error(t, err, "nothing listens any more")
}
