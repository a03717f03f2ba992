package amqpdemo

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// startPair binds a Receiver to keys (handler may be nil), runs it until
// the test ends, and opens a Sender on the same exchange; the Sender is
// closed before the Receiver stops, as a deferred Close did.
func startPair(t *testing.T, ctx context.Context, cfg Config, keys []string, handler func(Message)) (*Receiver, *Sender) {
	t.Helper()
	r, err := NewReceiver(ctx, cfg, keys, handler)
	require.NoError(t, err)
	runReceiver(t, r)
	s, err := NewSender(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return r, s
}
