package examples_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testenv"
	amqp "github.com/rabbitmq/amqp091-go"
)

// The happy path receives from amq.topic, the exchange every RabbitMQ has,
// so that it leaves nothing behind on the broker (its queue is exclusive).
var _ = register(program{
	dir: "amqp",
	bad: []invocation{
		{args: []string{"send", "-key", "", "-msg", "hi"}, exit: 2, want: "-key"},
		{args: []string{"send", "-msg", "hi"}, exit: 2, want: "-key"},
		{args: []string{"send", "-key", strings.Repeat("k", 256), "-msg", "hi"}, exit: 2, want: "-key"},
		{args: []string{"send", "-url", "http://localhost/", "-key", "a.b", "-msg", "hi"}, exit: 2, want: "-url"},
		{args: []string{"send", "-exchange", "", "-key", "a.b", "-msg", "hi"}, exit: 2, want: "-exchange"},
		{args: []string{"receive", "-chart", "topics.gif"}, exit: 2, want: "-chart"},
		{args: []string{"receive", "-timeout", "0s"}, exit: 2, want: "-timeout"},
		{args: []string{"receive", "-for", "-1s"}, exit: 2, want: "-for"},
		{args: []string{"frob"}, exit: 2, want: "frob"},
		{args: []string{}, exit: 2, want: "subcommand"},
		// A broker that is not there: a run-time failure, one line.
		{args: []string{"send", "-url", "amqp://guest:guest@127.0.0.1:1/", "-timeout", "2s", "-key", "a.b", "-msg", "hi"}, exit: 1, want: "cannot connect to broker"},
	},
	happy:      [][]string{{"receive", "-exchange", "amq.topic", "-for", "1s", "-timeout", "5s", "netlab.cli.happy"}},
	happyNeeds: "AMQP_URL",
	happyHow:   "start RabbitMQ and set AMQP_URL=amqp://guest:guest@127.0.0.1:5672/",
})

// TestAMQPSendReceiveAndSignals runs the documented pair: a receiver, a
// sender whose message is routed, one whose message is not (exit 1, said
// so), then SIGTERM to the receiver, which prints its summary and chart as
// on Ctrl-C.
func TestAMQPSendReceiveAndSignals(t *testing.T) {
	url := testenv.AMQPURL(t)
	bin := filepath.Join(build(t), "amqp")
	var b [6]byte
	_, _ = rand.Read(b[:])
	exchange := "netlab-cli-test-" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		conn, err := amqp.Dial(url)
		if err != nil {
			t.Logf("cleanup: %v", err)
			return
		}
		defer conn.Close()
		if ch, err := conn.Channel(); err == nil {
			_ = ch.ExchangeDelete(exchange, false, false)
		}
	})
	dir := t.TempDir()
	recv := startProgram(t, dir, "amqp", "receive", "-url", url, "-exchange", exchange, "-chart", "topics.svg", "weather.#")
	waitFor := func(s string) { t.Helper(); waitForLine(t, recv, regexp.MustCompile(regexp.QuoteMeta(s))) }
	waitFor("Waiting for messages")

	send := func(key, msg string) result {
		return runProgram(t, bin, []string{"send", "-url", url, "-exchange", exchange, "-key", key, "-msg", msg}, "", time.Minute)
	}
	r := send("weather.uk", "rain")
	if r.status != 0 || !strings.Contains(r.stdout, "routed to a queue") {
		t.Fatalf("routed send: exit %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
	waitFor("weather.uk: rain")
	r = send("sport.football", "goal")
	if r.status != 1 || !strings.Contains(r.stderr, "1 of 1 messages reached no queue") || !strings.Contains(r.stdout, `unroutable key "sport.football": 1`) {
		t.Fatalf("unroutable send: exit %d, stdout %q, stderr %q; want exit 1 saying it reached no queue", r.status, r.stdout, r.stderr)
	}

	if err := recv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	status, out, errOut := recv.wait(t, 30*time.Second)
	for _, want := range []string{"1 messages on 1 topics", "Topic frequencies written to topics.svg"} {
		if status != 0 || !strings.Contains(out, want) {
			t.Fatalf("receiver after SIGTERM: exit status %d, want 0 and %q on stdout:\n%s\nstderr %q", status, want, out, errOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "topics.svg")); err != nil {
		t.Fatalf("no chart after SIGTERM: %v", err)
	}
}
