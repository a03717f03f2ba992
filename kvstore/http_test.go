package kvstore

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHTTPAPI(t *testing.T) {
	n := newNodeWith(t, func(c *Config) { c.Limits.MaxKey, c.Limits.MaxValue = 32, 64 })
	srv := httptest.NewServer(n.Handler())
	defer srv.Close()

	do := func(method, path, body string) (int, map[string]any) {
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, "application/json", resp.Header.Get("Content-Type"), "%s %s", method, path)
		raw, _ := io.ReadAll(resp.Body)
		var out map[string]any
		require.NoError(t, json.Unmarshal(raw, &out), "%s %s: %s", method, path, raw)
		return resp.StatusCode, out
	}

	// ok is do for a request that must succeed.
	ok := func(method, path, body string) map[string]any {
		t.Helper()
		code, out := do(method, path, body)
		require.Equal(t, 200, code, "%s %s", method, path)
		return out
	}

	out := ok("PUT", "/kv/temperature", "25.5")
	assert.Equal(t, "a", out["version"].(map[string]any)["node"])
	out = ok("GET", "/kv/temperature", "")
	assert.Equal(t, "25.5", out["value"])
	assert.Equal(t, "utf-8", out["encoding"])
	ok("PUT", "/kv/sensors/room%201", "\xff\xfe")
	out = ok("GET", "/kv?prefix=sensors/", "")
	assert.EqualValues(t, 1, out["count"])
	entry := out["entries"].([]any)[0].(map[string]any)
	assert.Equal(t, "sensors/room 1", entry["key"])
	assert.Equal(t, "base64", entry["encoding"])
	assert.Equal(t, "//4=", entry["value"])

	ok("DELETE", "/kv/temperature", "")
	code, out := do("GET", "/kv/temperature", "")
	assert.Equal(t, 404, code)
	assert.Contains(t, out["error"], "not found")

	out = ok("GET", "/members", "")
	assert.Equal(t, []any{"a"}, out["members"])
	out = ok("GET", "/stats", "")
	assert.EqualValues(t, 2, out["puts"])
	assert.EqualValues(t, 1, out["deletes"])

	// Bad requests: 4xx with a JSON error, never a 500.
	bad := []struct{ method, path, body string }{
		{"PUT", "/kv/" + strings.Repeat("k", 33), "x"},
		{"PUT", "/kv/k", strings.Repeat("v", 65)},
		{"PUT", "/kv/", "x"},
		{"DELETE", "/kv/", ""},
		{"GET", "/kv/", ""},
		{"POST", "/kv/k", "x"},
		{"GET", "/nope", ""},
		{"PATCH", "/stats", ""},
	}
	for _, b := range bad {
		code, out := do(b.method, b.path, b.body)
		assert.True(t, code >= 400 && code < 500, "%s %s: status %d", b.method, b.path, code)
		assert.NotEmpty(t, out["error"], "%s %s", b.method, b.path)
	}
}
