package amqpdemo

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRoutingMatchesRabbitMQ binds one queue per binding key of the tutorial
// table, publishes every routing key once, and checks that the broker
// delivered to each queue exactly the keys MatchTopic predicts.
func TestRoutingMatchesRabbitMQ(t *testing.T) {
	cfg := brokerConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	const marker = "zz-end-of-test"
	var bindings, routings []string
	seenB, seenR := map[string]bool{}, map[string]bool{}
	for _, c := range topicCases {
		if !seenB[c.binding] {
			seenB[c.binding] = true
			bindings = append(bindings, c.binding)
		}
		if !seenR[c.routing] {
			seenR[c.routing] = true
			routings = append(routings, c.routing)
		}
	}

	receivers := make([]*Receiver, len(bindings))
	for i, b := range bindings {
		r, err := NewReceiver(ctx, cfg, []string{b, marker}, nil)
		require.NoError(t, err, "binding %q", b)
		runReceiver(t, r)
		receivers[i] = r
	}
	s, err := NewSender(ctx, cfg)
	require.NoError(t, err)
	defer s.Close()
	for _, rk := range routings {
		if rk == "" {
			// Publish refuses the empty key; MatchTopic's rule for it is
			// covered by the unit tests.
			continue
		}
		// The broker returns a message that no binding matches (mandatory):
		// exactly when MatchTopic finds no binding for it.
		routed := false
		for _, b := range bindings {
			routed = routed || MatchTopic(b, rk)
		}
		err := s.Publish(ctx, rk, []byte(rk))
		if routed {
			require.NoError(t, err, "routing key %q", rk)
		} else {
			require.ErrorIs(t, err, ErrUnroutable, "routing key %q matches no binding", rk)
		}
	}
	// Each queue receives in publish order, so once the marker is there,
	// everything routed before it is too.
	require.NoError(t, s.Publish(ctx, marker, nil))

	for i, b := range bindings {
		r := receivers[i]
		require.Eventually(t, func() bool {
			for _, tc := range r.Topics() {
				if tc.RoutingKey == marker {
					return true
				}
			}
			return false
		}, 10*time.Second, 5*time.Millisecond, "binding %q: marker never arrived", b)

		var got, want []string
		for _, tc := range r.Topics() {
			if tc.RoutingKey != marker {
				got = append(got, tc.RoutingKey)
				assert.Equal(t, 1, tc.Count, "binding %q routing %q delivered once", b, tc.RoutingKey)
			}
		}
		for _, rk := range routings {
			if rk != "" && MatchTopic(b, rk) {
				want = append(want, rk)
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		assert.Equal(t, want, got, "binding %q: RabbitMQ and MatchTopic disagree", b)
	}
}

// TestConfirmsCountsAndChart publishes a known mix of keys, including a
// body that is not UTF-8, and checks the confirms, the receiver's exact
// counts, the kept bodies and the chart.
func TestConfirmsCountsAndChart(t *testing.T) {
	cfg := brokerConfig(t)
	cfg.MaxPerKey = 5
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var mu sync.Mutex
	var arrived int
	r, err := NewReceiver(ctx, cfg, []string{"weather.#", "stock.*.ibm"}, func(Message) {
		mu.Lock()
		arrived++
		mu.Unlock()
	})
	require.NoError(t, err)
	runReceiver(t, r)
	s, err := NewSender(ctx, cfg)
	require.NoError(t, err)
	defer s.Close()

	plan := map[string]int{"weather.uk.rain": 30, "weather": 7, "stock.nyse.ibm": 12, "stock.nyse.msft": 9, "sport": 4}
	unbound := map[string]bool{"stock.nyse.msft": true, "sport": true}
	for key, n := range plan {
		for i := range n {
			err := s.Publish(ctx, key, fmt.Appendf(nil, "%s #%d", key, i))
			if unbound[key] {
				require.ErrorIs(t, err, ErrUnroutable)
			} else {
				require.NoError(t, err)
			}
		}
	}
	binary := []byte{0xff, 0x00, 'h', 'i', 0xc3}
	require.NoError(t, s.Publish(ctx, "weather.bin", binary))
	assert.Equal(t, uint64(30+7+12+1), s.Stats().Confirmed, "routed and confirmed")
	assert.Equal(t, uint64(9+4), s.Stats().Unroutable, "confirmed but returned")
	assert.Equal(t, []TopicCount{{"stock.nyse.msft", 9}, {"sport", 4}}, s.UnroutableKeys())

	require.Eventually(t, func() bool { return r.Total() == 30+7+12+1 }, 10*time.Second, 5*time.Millisecond)
	assert.Equal(t, []TopicCount{{"weather.uk.rain", 30}, {"stock.nyse.ibm", 12}, {"weather", 7}, {"weather.bin", 1}}, r.Topics())
	mu.Lock()
	assert.Equal(t, 50, arrived, "onMessage saw every message once")
	mu.Unlock()

	kept := r.Messages("weather.uk.rain")
	require.Len(t, kept, 5, "only MaxPerKey messages are kept")
	assert.Equal(t, "weather.uk.rain #29", kept[4].Text())
	bin := r.Messages("weather.bin")
	require.Len(t, bin, 1)
	assert.Equal(t, binary, bin[0].Body, "bodies are stored byte for byte")
	assert.Equal(t, `"\xff\x00hi\xc3"`, bin[0].Text())

	assert.Equal(t, []TopicCount{{"weather.uk.rain", 30}, {"stock.nyse.ibm", 12}, {"weather", 7}, {"weather.bin", 1}}, r.Topics())
}

func TestBadCredentialsAreAClearError(t *testing.T) {
	cfg := brokerConfig(t)
	cfg.URL = withPassword(t, cfg.URL, "definitely-wrong")
	cfg.DialTimeout = 2 * time.Minute
	start := time.Now()
	_, err := NewSender(context.Background(), cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "refused the credentials")
	assert.NotContains(t, err.Error(), "definitely-wrong")
	// The event: the refusal ends the dial, long before its timeout. (A
	// generous bound; the figure itself is no test's business.)
	assert.Less(t, time.Since(start), time.Minute, "the refusal, not the dial timeout, ended the attempt")
}

func TestInvalidRoutingKeyIsRejectedBeforeSending(t *testing.T) {
	cfg := brokerConfig(t)
	s, err := NewSender(context.Background(), cfg)
	require.NoError(t, err)
	defer s.Close()
	err = s.Publish(context.Background(), strings.Repeat("k", 256), []byte("x"))
	require.ErrorIs(t, err, ErrInvalidRoutingKey)
	assert.Zero(t, s.Stats().Published, "nothing reached the broker")
}

// TestBrokerRestartLosesNothingConfirmed restarts RabbitMQ in the middle of
// a stream of durable messages and checks that every message the sender saw
// confirmed reaches the receiver, each counted once.
func TestBrokerRestartLosesNothingConfirmed(t *testing.T) {
	// Restarting the broker would break other packages' broker tests that
	// go test runs at the same time: hold it exclusively.
	testenv.AMQPExclusive(t)
	cfg := brokerConfig(t)
	if os.Getenv("NETLAB_AMQP_NO_RESTART") != "" {
		// An explicit opt-out, for a broker shared with other work.
		t.Skip("NETLAB_AMQP_NO_RESTART is set: not restarting the shared broker")
	}
	ctl := testenv.LookPath(t, "rabbitmqctl", "run the tests where RabbitMQ's rabbitmqctl is on PATH, to restart the broker")
	cfg.Durable = true
	cfg.Queue = "netlab-test-q-" + randomHex(t)
	t.Cleanup(func() { deleteTopology(t, cfg.URL, "", cfg.Queue) })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	cfg.MaxPerKey = 1 << 20 // keep every body, to check each one
	r, s := startPair(t, ctx, cfg, []string{"restart.#"}, nil)

	// The publisher keeps publishing, one confirmed message after another,
	// from before the broker stops until after it is back and at least
	// minTotal messages were confirmed.
	const minTotal = 300
	restarted := make(chan struct{})
	first100 := make(chan struct{})
	var confirmed []string
	pubErr := make(chan error, 1)
	go func() {
		defer close(pubErr)
		for i := 0; ; i++ {
			select {
			case <-restarted:
				if i >= minTotal {
					return
				}
			default:
			}
			body := fmt.Sprintf("m%05d", i)
			if err := s.Publish(ctx, "restart.test", []byte(body)); err != nil {
				pubErr <- err
				return
			}
			confirmed = append(confirmed, body)
			if i == 99 {
				close(first100)
			}
		}
	}()
	<-first100
	restart(t, ctl)
	close(restarted)
	require.NoError(t, <-pubErr, "publishing across the restart")
	total := len(confirmed)
	t.Logf("%d messages confirmed across the restart", total)

	require.Eventually(t, func() bool { return r.Total() >= total }, 60*time.Second, 20*time.Millisecond,
		"receiver has %d of %d confirmed messages", r.Total(), total)
	seen := map[string]bool{}
	for _, m := range r.Messages("restart.test") {
		seen[string(m.Body)] = true
	}
	for _, body := range confirmed {
		assert.True(t, seen[body], "confirmed message %s lost", body)
	}
	assert.Equal(t, total, r.Total(), "each message counted once (%d duplicates dropped)", r.Duplicates())
	assert.GreaterOrEqual(t, r.Reconnects(), uint64(1), "the receiver reconnected")
	assert.GreaterOrEqual(t, s.Stats().Reconnects, uint64(1), "the sender reconnected")
}

// restart stops and starts the RabbitMQ application (the Erlang node stays
// up, so this takes seconds), failing the test if it cannot.
func restart(t *testing.T, ctl string) {
	t.Helper()
	for _, verb := range []string{"stop_app", "start_app"} {
		out, err := exec.Command(ctl, verb).CombinedOutput()
		require.NoError(t, err, "rabbitmqctl %s: %s", verb, out)
	}
	out, err := exec.Command(ctl, "await_startup").CombinedOutput()
	require.NoError(t, err, "rabbitmqctl await_startup: %s", out)
}
