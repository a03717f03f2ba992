package amqpwork

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/lifecycletest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLifecycle(t *testing.T) {
	worker := func(t *testing.T) lifecycletest.Component {
		cfg := brokerConfig(t, "life-1", "life-2")
		w, err := NewWorker(cfg, digestHandler)
		require.NoError(t, err)
		c := dial(t, cfg)
		uses := 0
		// Its use is a job for it to run; once it has stopped nobody runs
		// the job, which waits until its deadline.
		use := func(ctx context.Context) error {
			uses++
			ctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			_, err := c.Do(ctx, fmt.Sprintf("life-%d", uses), []Task{{ID: "a", Body: []byte("x")}})
			return err
		}
		return lifecycletest.Component{Run: w.Run, Ready: w.Consuming, Close: w.Close, ErrClosed: ErrClosed,
			Use: use, UseErr: context.DeadlineExceeded, Settle: func() bool { return !w.Consuming() }}
	}
	client := func(t *testing.T) lifecycletest.Component {
		cfg := brokerConfig(t, "life")
		runWorker(t, cfg, digestHandler)
		c, err := Dial(context.Background(), cfg)
		require.NoError(t, err)
		use := func(ctx context.Context) error {
			r, err := c.Do(ctx, "life", []Task{{ID: "a", Body: []byte("x")}})
			if err != nil {
				return err
			}
			if string(r[0].Body) != digest([]byte("x")) {
				return fmt.Errorf("wrong result %q", r[0].Body)
			}
			return nil
		}
		return lifecycletest.Component{Use: use, Close: c.Close, ErrClosed: ErrClosed}
	}
	lifecycletest.Check(t, []lifecycletest.Case{
		{Name: "Worker", Stop: lifecycletest.Cancel, New: worker},
		{Name: "Worker", Stop: lifecycletest.Close, New: worker},
		{Name: "Client", Stop: lifecycletest.Close, New: client},
	})
}

// TestCloseEndsDo: closing the client while Do waits for a result that
// will never come (no worker) returns from Do at once, and the tasks stay
// queued for a later Do.
func TestCloseEndsDo(t *testing.T) {
	cfg := brokerConfig(t, "closing")
	c, err := Dial(testCtx(t), cfg)
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { _, err := c.Do(context.Background(), "closing", makeTasks(2)); done <- err }()
	require.Eventually(t, func() bool { return c.Stats().Published == 2 }, 20e9, 5e6)
	require.NoError(t, c.Close())
	require.Error(t, <-done)
	require.NoError(t, c.Close(), "Close is idempotent")
	_, err = c.Do(context.Background(), "closing", makeTasks(1))
	require.ErrorIs(t, err, ErrClosed)
}

// TestBadCredentialsEndRun: a worker whose password the broker refuses
// says so and stops, rather than retrying for ever.
func TestBadCredentialsEndRun(t *testing.T) {
	cfg := brokerConfig(t)
	u, err := url.Parse(cfg.URL)
	require.NoError(t, err)
	u.User = url.UserPassword(u.User.Username(), "not-the-password")
	cfg.URL = u.String()
	w, err := NewWorker(cfg, digestHandler)
	require.NoError(t, err)
	err = w.Run(testCtx(t))
	require.ErrorContains(t, err, "refused the credentials")
	assert.NotContains(t, err.Error(), "not-the-password", "errors show the URL redacted")
}
