package amqpdemo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testenv"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// brokerConfig returns a Config for the broker named by AMQP_URL, with an
// exchange of the test's own that is deleted afterwards, or skips the test
// when AMQP_URL is not set.
func brokerConfig(t testing.TB) Config {
	t.Helper()
	u := testenv.AMQPURL(t)
	cfg := DefaultConfig()
	cfg.URL = u
	cfg.Exchange = "netlab-test-" + randomHex(t)
	t.Cleanup(func() { deleteTopology(t, cfg.URL, cfg.Exchange, "") })
	return cfg
}

func randomHex(t testing.TB) string {
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return hex.EncodeToString(b[:])
}

// deleteTopology removes what a test declared on the shared broker.
func deleteTopology(t testing.TB, brokerURL, exchange, queue string) {
	conn, err := amqp.Dial(brokerURL)
	if err != nil {
		t.Logf("cleanup: cannot reach broker: %v", err)
		return
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return
	}
	if queue != "" {
		_, _ = ch.QueueDelete(queue, false, false, false)
	}
	if exchange != "" {
		_ = ch.ExchangeDelete(exchange, false, false)
	}
}

// runReceiver starts r.Run and stops it when the test ends.
func runReceiver(t testing.TB, r *Receiver) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("Receiver.Run did not return after its context ended")
		}
	})
}

func withPassword(t testing.TB, raw, password string) string {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	u.User = url.UserPassword(u.User.Username(), password)
	return u.String()
}
