package amqpdemo

import (
	"context"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSenderAndReceiverSurviveACutConnection cuts the TCP connections of a
// sender and a receiver; both reconnect, and routed and unroutable messages
// are still told apart on the new connection.
func TestSenderAndReceiverSurviveACutConnection(t *testing.T) {
	cfg := brokerConfig(t)
	proxy, viaProxy := testutil.NewURLProxy(t, cfg.URL)
	cfg.URL = viaProxy
	cfg.ReconnectMin, cfg.ReconnectMax = 10*time.Millisecond, 100*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	r, err := NewReceiver(ctx, cfg, []string{"cut.#"}, nil)
	require.NoError(t, err)
	runReceiver(t, r)
	s, err := NewSender(ctx, cfg)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Publish(ctx, "cut.before", []byte("1")))

	proxy.Cut()
	// The receiver's queue is exclusive and went with its connection;
	// wait until it has bound a new one before publishing again.
	require.Eventually(t, func() bool { return r.Reconnects() >= 1 }, 30*time.Second, 5*time.Millisecond)
	require.NoError(t, s.Publish(ctx, "cut.after", []byte("2")))
	require.ErrorIs(t, s.Publish(ctx, "nobody.after", []byte("3")), ErrUnroutable)

	assert.GreaterOrEqual(t, s.Stats().Reconnects, uint64(1))
	assert.Equal(t, uint64(2), s.Stats().Confirmed)
	assert.Equal(t, uint64(1), s.Stats().Unroutable)
	require.Eventually(t, func() bool { return len(r.Messages("cut.after")) == 1 }, 10*time.Second, 5*time.Millisecond)
}
