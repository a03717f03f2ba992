package amqpdemo

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/cli"
	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/netlab-go/netlab/internal/testutil"
	amqp "github.com/rabbitmq/amqp091-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The clients below are RabbitMQ tutorial 5 (Topics) as its Python version
// writes them (emit_log_topic.py, receive_logs_topic.py), translated call for
// call into plain amqp091 calls: the exchange is declared with pika's
// defaults, a topic exchange that is NOT durable; the receiver's queue is
// server-named and exclusive, consumed with auto-ack; the emitter publishes
// without confirms or mandatory. They share no code with this package.

// tutorialReceiver is receive_logs_topic.py: it declares the exchange, binds
// an exclusive queue with each key and returns the deliveries.
func tutorialReceiver(t *testing.T, url, exchange string, keys ...string) <-chan amqp.Delivery {
	t.Helper()
	conn, err := amqp.Dial(url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	ch, err := conn.Channel()
	require.NoError(t, err)
	require.NoError(t, ch.ExchangeDeclare(exchange, "topic", false, false, false, false, nil),
		"the tutorial's receiver declares the exchange non-durable")
	q, err := ch.QueueDeclare("", false, false, true, false, nil)
	require.NoError(t, err)
	for _, k := range keys {
		require.NoError(t, ch.QueueBind(q.Name, k, exchange, false, nil))
	}
	deliv, err := ch.Consume(q.Name, "", true, false, false, false, nil)
	require.NoError(t, err)
	return deliv
}

// tutorialEmit is emit_log_topic.py: declare, publish once, close.
func tutorialEmit(t *testing.T, url, exchange, key, body string) {
	t.Helper()
	conn, err := amqp.Dial(url)
	require.NoError(t, err)
	defer conn.Close()
	ch, err := conn.Channel()
	require.NoError(t, err)
	require.NoError(t, ch.ExchangeDeclare(exchange, "topic", false, false, false, false, nil),
		"the tutorial's emitter declares the exchange non-durable")
	require.NoError(t, ch.PublishWithContext(context.Background(), exchange, key, false, false,
		amqp.Publishing{ContentType: "text/plain", Body: []byte(body)}))
}

func nextDelivery(t *testing.T, deliv <-chan amqp.Delivery) amqp.Delivery {
	t.Helper()
	return testutil.Recv(t, deliv, 10*time.Second, "delivery to the tutorial receiver")
}

// receivedText waits until r holds a message with key and returns its text.
func receivedText(t *testing.T, r *Receiver, key string) string {
	t.Helper()
	require.Eventually(t, func() bool { return len(r.Messages(key)) > 0 }, 10*time.Second, 5*time.Millisecond,
		"netlab's receiver never got a message with key %q", key)
	return r.Messages(key)[0].Text()
}

// TestTutorialClientsFirstThenNetlab: the tutorial's receiver creates the
// exchange non-durable; netlab's receiver and sender then use it as it is
// (they used to die with 406 PRECONDITION_FAILED, inequivalent arg
// 'durable'), and messages flow both ways.
func TestTutorialClientsFirstThenNetlab(t *testing.T) {
	cfg := brokerConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	tut := tutorialReceiver(t, cfg.URL, cfg.Exchange, "kern.*")

	r, err := NewReceiver(ctx, cfg, []string{"kern.*", "*.critical"}, nil)
	require.NoError(t, err)
	runReceiver(t, r)
	want := ExchangeInfo{Name: cfg.Exchange, Existed: true, Known: true, Kind: "topic", Durable: false}
	assert.Equal(t, want, r.Exchange())
	assert.Equal(t, `exchange "`+cfg.Exchange+`" existed (topic, not durable): used as it is`, r.Exchange().String())

	s, err := NewSender(ctx, cfg)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, want, s.Exchange())

	require.NoError(t, s.Publish(ctx, "kern.critical", []byte("A critical kernel error")))
	d := nextDelivery(t, tut)
	assert.Equal(t, "kern.critical", d.RoutingKey)
	assert.Equal(t, "A critical kernel error", string(d.Body))
	assert.Equal(t, "A critical kernel error", receivedText(t, r, "kern.critical"))

	// The tutorial's emitter still declares and publishes: netlab changed
	// nothing about the exchange.
	tutorialEmit(t, cfg.URL, cfg.Exchange, "kern.info", "from the tutorial")
	assert.Equal(t, "from the tutorial", receivedText(t, r, "kern.info"))
	assert.Equal(t, "from the tutorial", string(nextDelivery(t, tut).Body))

	// Asking for restart survival on this exchange cannot be honoured, and
	// the sender says exactly that instead of failing.
	dcfg := cfg
	dcfg.Durable = true
	ds, err := NewSender(ctx, dcfg)
	require.NoError(t, err)
	defer ds.Close()
	require.Len(t, ds.Exchange().Warnings, 1)
	assert.Contains(t, ds.Exchange().Warnings[0], "is not durable: a broker restart deletes it")
	require.NoError(t, ds.Publish(ctx, "kern.critical", []byte("durable asked")))
}

// TestNetlabFirstThenTutorialClients is the reverse order: netlab declares
// the exchange (non-durable by default, as the tutorial does), and the
// tutorial's clients, starting second, can still declare it.
func TestNetlabFirstThenTutorialClients(t *testing.T) {
	cfg := brokerConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	r, err := NewReceiver(ctx, cfg, []string{"#"}, nil)
	require.NoError(t, err)
	runReceiver(t, r)
	assert.Equal(t, ExchangeInfo{Name: cfg.Exchange, Known: true, Kind: "topic"}, r.Exchange(), "declared by netlab")
	s, err := NewSender(ctx, cfg)
	require.NoError(t, err)
	defer s.Close()
	assert.True(t, s.Exchange().Existed, "the sender found the receiver's exchange")

	tut := tutorialReceiver(t, cfg.URL, cfg.Exchange, "*.orange.*")
	tutorialEmit(t, cfg.URL, cfg.Exchange, "quick.orange.rabbit", "from the tutorial")
	assert.Equal(t, "from the tutorial", receivedText(t, r, "quick.orange.rabbit"))
	assert.Equal(t, "from the tutorial", string(nextDelivery(t, tut).Body))

	require.NoError(t, s.Publish(ctx, "lazy.orange.elephant", []byte("from netlab")))
	d := nextDelivery(t, tut)
	assert.Equal(t, "lazy.orange.elephant", d.RoutingKey)
	assert.Equal(t, "from netlab", string(d.Body))
}

// TestExistingExchangeIsUsedAsItIs creates the exchange first with each
// combination of properties another client might use and checks that netlab
// uses it, reports its properties, and warns exactly when it matters.
func TestExistingExchangeIsUsedAsItIs(t *testing.T) {
	cfg := brokerConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cases := []struct {
		kind              string
		durable, autoDel  bool
		askDurable        bool
		warnings          []string // substrings, one per warning
		routesLikeATopic  bool
		publishKey, bound string
	}{
		{kind: "topic", durable: true, routesLikeATopic: true},
		{kind: "topic", durable: false, askDurable: true, warnings: []string{"not durable: a broker restart"}, routesLikeATopic: true},
		{kind: "topic", durable: true, askDurable: true, routesLikeATopic: true},
		{kind: "topic", autoDel: true, warnings: []string{"auto-delete"}, routesLikeATopic: true},
		{kind: "direct", durable: true, warnings: []string{"a direct exchange, not topic"}},
		{kind: "fanout", warnings: []string{"a fanout exchange, not topic"}},
	}
	for _, c := range cases {
		name := c.kind
		if c.durable {
			name += "-durable"
		}
		if c.autoDel {
			name += "-autodelete"
		}
		if c.askDurable {
			name += "-asked-durable"
		}
		t.Run(name, func(t *testing.T) {
			cfg := cfg
			cfg.Exchange += "-" + name
			cfg.Durable = c.askDurable
			t.Cleanup(func() { deleteTopology(t, cfg.URL, cfg.Exchange, "") })
			conn, err := amqp.Dial(cfg.URL)
			require.NoError(t, err)
			defer conn.Close()
			ch, err := conn.Channel()
			require.NoError(t, err)
			require.NoError(t, ch.ExchangeDeclare(cfg.Exchange, c.kind, c.durable, c.autoDel, false, false, nil))

			r, s := startPair(t, ctx, cfg, []string{"a.*"}, nil)
			info := s.Exchange()
			assert.True(t, info.Existed)
			assert.True(t, info.Known)
			assert.Equal(t, c.kind, info.Kind)
			assert.Equal(t, c.durable, info.Durable)
			assert.Equal(t, c.autoDel, info.AutoDelete)
			require.Len(t, info.Warnings, len(c.warnings), "%q", info.Warnings)
			for i, w := range c.warnings {
				assert.Contains(t, info.Warnings[i], w)
			}
			// The properties are unchanged: the creator can still declare
			// the exchange as it did.
			require.NoError(t, ch.ExchangeDeclare(cfg.Exchange, c.kind, c.durable, c.autoDel, false, false, nil))

			err = s.Publish(ctx, "a.b", []byte("x"))
			if c.kind == "direct" {
				// "a.*" is a literal key on a direct exchange: nothing matches.
				require.ErrorIs(t, err, ErrUnroutable)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "x", receivedText(t, r, "a.b"))
		})
	}
}

func TestUnroutableMessagesAreReportedPerKey(t *testing.T) {
	cfg := brokerConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, s := startPair(t, ctx, cfg, []string{"weather.#"}, nil)

	require.NoError(t, s.Publish(ctx, "weather.uk", []byte("rain")))
	for _, k := range []string{"sport.x", "stock.y", "sport.x"} {
		err := s.Publish(ctx, k, []byte("lost"))
		require.ErrorIs(t, err, ErrUnroutable, k)
		assert.Contains(t, err.Error(), `key "`+k+`"`)
		assert.Contains(t, err.Error(), "NO_ROUTE")
	}
	require.NoError(t, s.Publish(ctx, "weather.fr", []byte("sun")))
	st := s.Stats()
	assert.Equal(t, uint64(2), st.Confirmed, "only routed messages count as delivered")
	assert.Equal(t, uint64(3), st.Unroutable)
	assert.Equal(t, []TopicCount{{"sport.x", 2}, {"stock.y", 1}}, s.UnroutableKeys())
	require.Eventually(t, func() bool { return r.Total() == 2 }, 10*time.Second, 5*time.Millisecond)
}

// TestUnroutableUnderConcurrentPublishes checks that returns are matched to
// the right Publish when many are in flight on one channel.
func TestUnroutableUnderConcurrentPublishes(t *testing.T) {
	cfg := brokerConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, s := startPair(t, ctx, cfg, []string{"ok.*"}, nil)
	const n = 200
	errs := make(chan error, n)
	for i := range n {
		key := "ok.k"
		if i%3 == 0 {
			key = "nobody.k"
		}
		go func() {
			err := s.Publish(ctx, key, []byte(key))
			if key == "nobody.k" && !assert.ErrorIs(t, err, ErrUnroutable) {
				errs <- err
				return
			}
			if key == "ok.k" && !assert.NoError(t, err) {
				errs <- err
				return
			}
			errs <- nil
		}()
	}
	for range n {
		<-errs
	}
	unroutable := (n + 2) / 3
	assert.Equal(t, uint64(unroutable), s.Stats().Unroutable)
	assert.Equal(t, uint64(n-unroutable), s.Stats().Confirmed)
	require.Eventually(t, func() bool { return r.Total() == n-unroutable }, 10*time.Second, 5*time.Millisecond)
}

func TestEmptyRoutingKeyIsRefused(t *testing.T) {
	cfg := brokerConfig(t)
	s, err := NewSender(context.Background(), cfg)
	require.NoError(t, err)
	defer s.Close()
	err = s.Publish(context.Background(), "", []byte("x"))
	require.ErrorIs(t, err, ErrInvalidRoutingKey)
	assert.Contains(t, err.Error(), "empty")
	assert.Zero(t, s.Stats().Published, "nothing reached the broker")
}

// pythonWithPika returns a python3 that can import pika, or skips (fails
// when NETLAB_REQUIRE_TOOLS=1).
func pythonWithPika(t *testing.T) string {
	t.Helper()
	var tried []string
	for _, cand := range []string{"python3", "/usr/bin/python3"} {
		path, err := exec.LookPath(cand)
		if err != nil {
			continue
		}
		tried = append(tried, path)
		if exec.Command(path, "-c", "import pika").Run() == nil {
			return path
		}
	}
	testenv.Missing(t, "python3 with pika (tried "+strings.Join(tried, ", ")+")",
		"apt-get install python3-pika, to run RabbitMQ's own tutorial client")
	return ""
}

// pikaReceiver starts testdata/tutorial5.py receive and waits until its
// queue is bound; lines carries what it prints afterwards.
func pikaReceiver(t *testing.T, ctx context.Context, python, url, exchange string, count int, keys ...string) (lines <-chan string, wait func() error) {
	t.Helper()
	args := append([]string{filepath.Join("testdata", "tutorial5.py"), "receive", url, exchange, strconv.Itoa(count)}, keys...)
	ctx, cancel := context.WithCancel(ctx)
	cmd := exec.CommandContext(ctx, python, args...)
	stderr := &testutil.SyncBuffer{}
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	var once sync.Once
	var waitErr error
	wait = func() error {
		once.Do(func() {
			waitErr = cmd.Wait()
			if waitErr != nil {
				waitErr = fmt.Errorf("%w: %s", waitErr, stderr.String())
			}
		})
		return waitErr
	}
	ch := cli.Lines(out)
	t.Cleanup(func() {
		cancel()
		_ = wait()
		for range ch { // what the test did not read; the reader ends with the output
		}
	})
	select {
	case l := <-ch:
		require.Equal(t, " [*] Waiting for logs", l)
	case <-time.After(20 * time.Second):
		t.Fatalf("the pika receiver did not bind its queue within 20s: %s", stderr.String())
	}
	return ch, wait
}

func pikaEmit(t *testing.T, ctx context.Context, python, url, exchange, key, msg string) {
	t.Helper()
	out, err := exec.CommandContext(ctx, python, filepath.Join("testdata", "tutorial5.py"), "emit", url, exchange, key, msg).CombinedOutput()
	require.NoError(t, err, "pika emit: %s", out)
	assert.Equal(t, " [x] Sent "+key+":"+msg+"\n", string(out))
}

func nextLine(t *testing.T, lines <-chan string) string {
	t.Helper()
	return testutil.Recv(t, lines, 15*time.Second, "line from the pika receiver")
}

// TestPikaTutorial5Interop runs RabbitMQ's Python tutorial 5 clients (pika)
// against netlab's receiver and sender, in both orders.
func TestPikaTutorial5Interop(t *testing.T) {
	base := brokerConfig(t)
	python := pythonWithPika(t)
	for _, pikaFirst := range []bool{true, false} {
		name := "netlab-first"
		if pikaFirst {
			name = "pika-first"
		}
		t.Run(name, func(t *testing.T) {
			cfg := base
			cfg.Exchange += "-" + name
			t.Cleanup(func() { deleteTopology(t, cfg.URL, cfg.Exchange, "") })
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()

			var lines <-chan string
			var wait func() error
			if pikaFirst {
				lines, wait = pikaReceiver(t, ctx, python, cfg.URL, cfg.Exchange, 2, "kern.*")
			}
			r, err := NewReceiver(ctx, cfg, []string{"kern.*"}, nil)
			require.NoError(t, err)
			runReceiver(t, r)
			assert.Equal(t, pikaFirst, r.Exchange().Existed)
			assert.False(t, r.Exchange().Durable)
			s, err := NewSender(ctx, cfg)
			require.NoError(t, err)
			defer s.Close()
			if !pikaFirst {
				lines, wait = pikaReceiver(t, ctx, python, cfg.URL, cfg.Exchange, 2, "kern.*")
			}

			require.NoError(t, s.Publish(ctx, "kern.critical", []byte("from netlab")))
			assert.Equal(t, " [x] kern.critical:from netlab", nextLine(t, lines))
			pikaEmit(t, ctx, python, cfg.URL, cfg.Exchange, "kern.info", "from pika")
			assert.Equal(t, " [x] kern.info:from pika", nextLine(t, lines))
			assert.Equal(t, "from pika", receivedText(t, r, "kern.info"))
			require.NoError(t, wait(), "the pika receiver exits after its 2 messages")
		})
	}
}

// TestExchangeWithArgumentsIsUsedUnknown: an exchange declared with
// arguments (here an alternate exchange) matches none of the probes; it is
// used as it is, with its properties reported unknown, never an error.
func TestExchangeWithArgumentsIsUsedUnknown(t *testing.T) {
	cfg := brokerConfig(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := amqp.Dial(cfg.URL)
	require.NoError(t, err)
	defer conn.Close()
	ch, err := conn.Channel()
	require.NoError(t, err)
	require.NoError(t, ch.ExchangeDeclare(cfg.Exchange, "topic", false, false, false, false,
		amqp.Table{"alternate-exchange": "amq.fanout"}))

	r, s := startPair(t, ctx, cfg, []string{"a.*"}, nil)
	info := s.Exchange()
	assert.True(t, info.Existed)
	assert.False(t, info.Known)
	require.Len(t, info.Warnings, 1)
	assert.Contains(t, info.Warnings[0], "cannot determine")
	assert.Contains(t, info.String(), "properties unknown")
	require.NoError(t, s.Publish(ctx, "a.b", []byte("x")))
	assert.Equal(t, "x", receivedText(t, r, "a.b"))
}
