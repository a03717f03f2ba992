package amqpdemo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/internal/lifecycletest"
)

// TestLifecycle walks the sender and the receiver through construct, run,
// use, stop and use after close (see internal/lifecycletest) against the
// broker named by AMQP_URL (skipped without it, failed with
// NETLAB_REQUIRE_TOOLS=1).
func TestLifecycle(t *testing.T) {
	sender := func(t *testing.T) lifecycletest.Component {
		cfg := brokerConfig(t)
		r, err := NewReceiver(ctxT(t), cfg, nil, nil)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, r.Close()) })
		s, err := NewSender(ctxT(t), Config{URL: cfg.URL, Exchange: cfg.Exchange})
		require.NoError(t, err)
		return lifecycletest.Component{
			Close: s.Close, ErrClosed: ErrClosed,
			Use: func(ctx context.Context) error { return s.Publish(ctx, "lifecycle.sender", []byte("hi")) },
		}
	}
	receiver := func(t *testing.T) lifecycletest.Component {
		cfg := brokerConfig(t)
		r, err := NewReceiver(ctxT(t), Config{URL: cfg.URL, Exchange: cfg.Exchange}, []string{"lifecycle.#"}, nil)
		require.NoError(t, err)
		s, err := NewSender(ctxT(t), cfg)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		used := false
		return lifecycletest.Component{
			Run: r.Run, Close: r.Close, ErrClosed: ErrClosed,
			// Its use is receiving what a sender publishes; after the stop,
			// Run refuses to start again.
			Use: func(ctx context.Context) error {
				if used {
					return r.Run(ctx)
				}
				used = true
				if err := s.Publish(ctx, "lifecycle.receiver", []byte("hi")); err != nil {
					return err
				}
				for r.Total() < 1 {
					select {
					case <-ctx.Done():
						return fmt.Errorf("nothing received: %w", ctx.Err())
					case <-time.After(5 * time.Millisecond):
					}
				}
				return nil
			},
		}
	}
	lifecycletest.Check(t, []lifecycletest.Case{
		{Name: "Sender", Stop: lifecycletest.Close, New: sender},
		{Name: "Receiver", New: receiver},
	})
}

// ctxT is a context that ends with the test, bounded to 10 s.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}
