//go:build linux

package chat

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestC10KClientsSmall runs BenchmarkTCPChatC10K's client process with 64
// clients from four source addresses, so that its epoll readers and kernel
// timestamps are checked by every test run, not only by the long
// benchmark: every broadcast, saturated and paced, and every private
// message reaches every client, and the latencies are positive and ordered.
func TestC10KClientsSmall(t *testing.T) {
	const n, perAddr = 64, DefaultMaxPerAddr
	srv := startServer(t, func(c *ServerConfig) { c.MaxClients = n })
	h := startC10KHelper(t, srv.Addr().String(), n, perAddr)
	require.Equal(t, n, srv.Stats().Online)
	var last c10kRun
	for _, tc := range []struct {
		command   string
		delivered int64
	}{
		{"all 20 4 0", 20 * n},     // 20 broadcasts, 4 in flight
		{"all 5 0 2000000", 5 * n}, // 5 broadcasts, one every 2 ms
		{"msg 3 1", 3 * n},         // 3 rounds of one /msg from every client
	} {
		r := h.run(t, srv, tc.command)
		assert.Equal(t, tc.delivered, r.delivered, tc.command)
		assert.Positive(t, r.p50, tc.command)
		assert.LessOrEqual(t, r.p50, r.p99, tc.command)
		assert.Less(t, r.p99, 10*time.Second, tc.command)
		assert.Positive(t, r.rate, tc.command)
		last = r
	}
	assert.Equal(t, n, last.senders, "every client sent in the private rounds")
}
