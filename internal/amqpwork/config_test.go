package amqpwork

import (
	"fmt"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigDefaults(t *testing.T) {
	t.Setenv("AMQP_URL", "")
	c := Config{Queue: "q"}.withDefaults()
	assert.Equal(t, DefaultURL, c.URL)
	assert.Equal(t, 1, c.Prefetch)
	assert.Equal(t, 1, c.Concurrency)
	assert.Equal(t, 5, c.MaxDeliveries)
	assert.Equal(t, DefaultMaxMessageSize, c.MaxMessageSize)
	assert.Equal(t, 100*time.Millisecond, c.MinBackoff)
	assert.Equal(t, 5*time.Second, c.MaxBackoff)
	assert.Equal(t, 5*time.Second, c.DialTimeout)
	assert.Equal(t, 256<<20, c.BlobCacheBytes)
	assert.Equal(t, DefaultInlineBody, c.InlineBody)
	assert.Equal(t, time.Minute, c.FetchTimeout)
	require.NoError(t, c.Validate())
	assert.Equal(t, -1, Config{Queue: "q", InlineBody: -1}.withDefaults().InlineBody, "every body inline")

	t.Setenv("AMQP_URL", "amqp://u:p@example.org:5673/v")
	assert.Equal(t, "amqp://u:p@example.org:5673/v", Config{Queue: "q"}.withDefaults().URL)
	assert.Equal(t, "amqp://x@h/", Config{Queue: "q", URL: "amqp://x@h/"}.withDefaults().URL)
}

func TestConfigValidateNamesTheField(t *testing.T) {
	long := string(make([]byte, 200))
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "Config.Queue is empty"},
		{Config{Queue: long}, "Config.Queue is 200 bytes"},
		{Config{Queue: "q", Prefetch: -1}, "Config.Prefetch -1"},
		{Config{Queue: "q", Prefetch: 70000}, "Config.Prefetch 70000"},
		{Config{Queue: "q", Concurrency: -2}, "Config.Concurrency -2"},
		{Config{Queue: "q", MaxDeliveries: -1}, "Config.MaxDeliveries -1"},
		{Config{Queue: "q", MaxDeliveries: 1001}, "Config.MaxDeliveries 1001"},
		{Config{Queue: "q", MaxMessageSize: 10}, "Config.MaxMessageSize 10"},
		{Config{Queue: "q", MinBackoff: time.Second, MaxBackoff: time.Millisecond}, "Config.MinBackoff"},
		{Config{Queue: "q", DialTimeout: -1}, "Config.DialTimeout"},
		{Config{Queue: "q", BlobCacheBytes: -1}, "Config.BlobCacheBytes"},
		{Config{Queue: "q", FetchTimeout: -time.Second}, "Config.FetchTimeout"},
		{Config{Queue: "q", URL: "http://x/"}, "Config.URL"},
	} {
		err := c.cfg.Validate()
		require.Error(t, err, "%+v", c.cfg)
		assert.Contains(t, err.Error(), c.want)
	}
	require.NoError(t, Config{Queue: "q", MaxDeliveries: 1}.Validate())
}

func TestJobNames(t *testing.T) {
	require.NoError(t, validJob("q", "multiply-7"))
	require.Error(t, validJob("q", ""))
	require.Error(t, validJob("q", "amq.x"))
	err := validJob("q", string(make([]byte, 250)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the limit is 255")
}

func TestNewJobChecksTasks(t *testing.T) {
	c := &Client{cfg: Config{Queue: "q"}.withDefaults()}
	_, err := c.newJob("j", "", []Task{{ID: "a"}, {ID: "a"}})
	assert.ErrorContains(t, err, `task ID "a" appears twice`)
	_, err = c.newJob("j", "", []Task{{ID: ""}})
	assert.ErrorContains(t, err, "task 0: ID must be 1 to 255 bytes")
	j, err := c.newJob("j", "", []Task{{ID: "a"}, {ID: "b"}})
	require.NoError(t, err)
	assert.Equal(t, 2, j.left)
}

// TestBackoffDoublesWithJitter: each delay lies in [d/2, d] for d doubling
// from MinBackoff to MaxBackoff, and the jitter spreads them.
func TestBackoffDoublesWithJitter(t *testing.T) {
	c := Config{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}
	for n, d := range []time.Duration{100, 200, 400, 800, 1000, 1000, 1000} {
		d *= time.Millisecond
		seen := map[time.Duration]bool{}
		for range 50 {
			got := c.backoffDelay(n)
			require.GreaterOrEqual(t, got, d/2, "attempt %d", n)
			require.LessOrEqual(t, got, d, "attempt %d", n)
			seen[got] = true
		}
		assert.Greater(t, len(seen), 10, "attempt %d: no jitter", n)
	}
}

func TestDeadLetterErrorNamesTaskAndReason(t *testing.T) {
	e := &DeadLetterError{Job: "j", TaskID: "t7", Reason: "boom", Deliveries: 5}
	assert.Equal(t, `amqpwork: job "j" task "t7" dead-lettered after 5 deliveries: boom`, e.Error())
}

func TestDeadLetterErrorFromHeaders(t *testing.T) {
	for name, c := range map[string]struct {
		h          amqp.Table
		reason     string
		deliveries int
	}{
		"worker": {amqp.Table{hError: "bad block", hDeliveries: int64(4), hMaxDeliveries: int32(4)},
			"bad block", 4},
		"broker": {amqp.Table{xFirstReason: "delivery_limit", hMaxDeliveries: int32(3)},
			"the broker dead-lettered it (delivery_limit): no worker acknowledged it in 3 deliveries; " +
				"workers died or lost their connection on it", 3},
		"count out of range": {amqp.Table{hError: "x", hDeliveries: int64(1<<20 + 1), hMaxDeliveries: int32(2)},
			"x", 2},
		"zero count": {amqp.Table{hError: "x", hDeliveries: int64(0), hMaxDeliveries: int32(1<<20 + 1)}, "x", 0},
		"largest":    {amqp.Table{hError: "x", hDeliveries: int64(1 << 20)}, "x", 1 << 20},
		"zero count, max given": {amqp.Table{hError: "x", hDeliveries: int64(0), hMaxDeliveries: int32(2)},
			"x", 2},
		"largest max": {amqp.Table{hError: "x", hMaxDeliveries: int32(1 << 20)}, "x", 1 << 20},
		"zero max":    {amqp.Table{hError: "x", hMaxDeliveries: int32(0)}, "x", 0},
		"nothing": {amqp.Table{}, "the broker dead-lettered it (unknown): no worker acknowledged it in 0 " +
			"deliveries; workers died or lost their connection on it", 0},
	} {
		e := deadLetterError("j", amqp.Delivery{CorrelationId: "t", Headers: c.h})
		assert.Equal(t, c.reason, e.Reason, name)
		assert.Equal(t, c.deliveries, e.Deliveries, name)
		assert.Equal(t, "t", e.TaskID, name)
	}
}

func TestRoundPrefixCountsAgainstTheIDLimit(t *testing.T) {
	c := &Client{cfg: Config{Queue: "q"}.withDefaults()}
	_, err := c.newJob("j", "0123456789ab.r1/", []Task{{ID: string(make([]byte, 240))}})
	assert.ErrorContains(t, err, "ID must be 1 to 239 bytes, it is 240")
	_, err = c.newJob("j", "0123456789ab.r1/", []Task{{ID: string(make([]byte, 239))}})
	assert.NoError(t, err)
}

// TestPermanentErrors: the broker's refusals end Do and Run; a broken
// connection, which amqp091 reports as its own frame error, does not.
func TestPermanentErrors(t *testing.T) {
	eof := &amqp.Error{Code: amqp.FrameError, Reason: "EOF"}
	assert.False(t, permanent(fmt.Errorf("publishing: %w", eof)), "a dropped connection is retried")
	assert.False(t, permanent(&amqp.Error{Code: amqp.ConnectionForced, Server: true}), "closed by an operator")
	assert.False(t, permanent(amqp.ErrClosed))
	assert.True(t, permanent(&amqp.Error{Code: amqp.PreconditionFailed, Server: true}))
	assert.True(t, permanent(&amqp.Error{Code: amqp.AccessRefused, Server: true}))
	assert.True(t, permanent(fmt.Errorf("x: %w", ErrTooLarge)))
	assert.True(t, permanent(ErrClosed))
	assert.True(t, permanent(fmt.Errorf("dial: %w", amqp.ErrCredentials)))
}
