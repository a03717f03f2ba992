package amqpconn

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) { testutil.LeakCheckMain(m, 5*time.Second) }

func TestURLPrefersExplicitThenEnvironment(t *testing.T) {
	t.Setenv("AMQP_URL", "")
	assert.Equal(t, "amqp://fallback/", URL("", "amqp://fallback/"))
	t.Setenv("AMQP_URL", "amqp://env/")
	assert.Equal(t, "amqp://env/", URL("", "amqp://fallback/"))
	assert.Equal(t, "amqp://given/", URL("amqp://given/", "amqp://fallback/"))
}

func TestRedactURLHidesThePassword(t *testing.T) {
	assert.Equal(t, "amqp://guest:xxxxx@h:1/", RedactURL("amqp://guest:secret@h:1/"))
	assert.Equal(t, "(unparsable URL)", RedactURL("amqp://%zz"))
}

func TestLoggerIsQuietByDefault(t *testing.T) {
	assert.False(t, Logger(nil).Enabled(context.Background(), slog.LevelError))
}

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	ms := time.Millisecond
	for n, want := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		assert.Equal(t, want*ms, Backoff(n, 100*ms, time.Second), "attempt %d", n)
	}
	for range 100 {
		d := Jitter(time.Second)
		require.GreaterOrEqual(t, d, time.Second/2)
		require.LessOrEqual(t, d, time.Second)
	}
	assert.Equal(t, time.Duration(1), Jitter(1))
}

func TestSleepEndsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, Sleep(ctx, time.Hour), context.Canceled)
	assert.NoError(t, Sleep(context.Background(), time.Millisecond))
}

// TestDialSaysWhereAndWhy dials a port nobody listens on, then one that
// accepts and never answers: the errors name the broker without its
// password, and the second says it timed out only when asked to.
func TestDialSaysWhereAndWhy(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := ln.Addr().String()
	require.NoError(t, ln.Close())
	d := Dialer{URL: "amqp://u:p@" + closed + "/", Timeout: 2 * time.Second, Pkg: "pkg"}
	_, err = d.Dial(context.Background())
	require.ErrorContains(t, err, "pkg: cannot connect to broker amqp://u:xxxxx@"+closed+"/")

	silent := testutil.ServeConns(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	d = Dialer{URL: "amqp://u:p@" + silent.String() + "/", Timeout: 50 * time.Millisecond, Pkg: "pkg"}
	_, err = d.Dial(context.Background())
	require.ErrorContains(t, err, "pkg: cannot connect to broker")
	d.SayTimeout = true
	_, err = d.Dial(context.Background())
	require.ErrorContains(t, err, "pkg: no answer from broker amqp://u:xxxxx@")
	require.ErrorContains(t, err, "within 50ms")
}
