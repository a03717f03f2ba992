// Command amqp is the course's RabbitMQ topic demo: a sender that asks for a
// message and a routing key, and a receiver that binds with topic patterns,
// prints what arrives, and on Ctrl-C (or SIGTERM, or after -for) prints
// everything grouped by topic and writes a chart of topic frequencies.
//
//	go run ./examples/amqp receive 'weather.#' 'stock.*.ibm'   # terminal 1
//	go run ./examples/amqp send                                # terminal 2, interactive
//	go run ./examples/amqp send -key weather.uk -msg rain      # one message, no prompts
//
// The broker is AMQP_URL, or amqp://guest:guest@localhost:5672/.
//
// It interoperates with RabbitMQ's tutorial 5 clients (emit_log_topic.py and
// receive_logs_topic.py with -exchange topic_logs): whichever side starts
// first declares the exchange, and the other uses it as it is. The tutorial
// declares it non-durable, and so does this program unless -durable-exchange
// or -durable is given; a pika client that starts after a durable
// declaration fails with 406 PRECONDITION_FAILED, on its side.
//
// A message that no queue's binding matches is returned by the broker: the
// sender says so, names the routing key, and exits 1, because nobody
// received it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/netlab-go/netlab/amqpdemo"
	"github.com/netlab-go/netlab/amqpdemo/chart"
	"github.com/netlab-go/netlab/internal/cli"
	amqp "github.com/rabbitmq/amqp091-go"
)

func main() {
	cli.Dispatch("amqp", `usage: amqp send    [-key KEY -msg TEXT] [flags]   publish (interactive without -msg)
       amqp receive [flags] [binding keys...]      consume; default binding "#"`,
		os.Args[1:], map[string]func([]string){"send": send, "receive": receive}, nil)
}

// common holds the flags both subcommands take.
type common struct {
	cfg amqpdemo.Config
}

func commonFlags(cmd *cli.Command) *common {
	c := &common{cfg: amqpdemo.DefaultConfig()}
	fs := cmd.Flags
	fs.StringVar(&c.cfg.URL, "url", c.cfg.URL, "broker URL (default from AMQP_URL)")
	fs.StringVar(&c.cfg.Exchange, "exchange", c.cfg.Exchange, "topic exchange name (an existing one is used as it is)")
	fs.BoolVar(&c.cfg.Durable, "durable", false, "restart survival: persistent messages, a durable exchange if absent, with -queue a durable queue")
	fs.BoolVar(&c.cfg.ExchangeDurable, "durable-exchange", false, "declare the exchange durable when it does not exist yet")
	fs.StringVar(&c.cfg.Queue, "queue", "", "receiver: named queue (default: server-named, exclusive)")
	fs.DurationVar(&c.cfg.DialTimeout, "timeout", c.cfg.DialTimeout, "give up connecting after this long")
	return c
}

// check validates the common flags before anything connects.
func (c *common) check(cmd *cli.Command) {
	var urlErr error
	if _, err := amqp.ParseURI(c.cfg.URL); err != nil {
		urlErr = fmt.Errorf("flag -url: value %q: want amqp://USER:PASSWORD@HOST:PORT/VHOST (%v)", cli.RedactURL(c.cfg.URL), err)
	}
	cmd.Check(
		urlErr,
		cli.NonEmpty("exchange", c.cfg.Exchange),
		maxLen("exchange", c.cfg.Exchange),
		maxLen("queue", c.cfg.Queue),
		cli.DurationRange("timeout", c.cfg.DialTimeout, time.Millisecond, 10*time.Minute),
	)
}

func maxLen(flag, v string) error {
	if len(v) > amqpdemo.MaxRoutingKeyLen {
		return fmt.Errorf("flag -%s: value of %d bytes: want at most %d bytes", flag, len(v), amqpdemo.MaxRoutingKeyLen)
	}
	return nil
}

// checkKey refuses an empty or over-long routing key.
func checkKey(flag, key string) error {
	if key == "" {
		return fmt.Errorf("flag -%s: value '': want a routing key such as weather.uk (an empty key reaches only '#' bindings)", flag)
	}
	return maxLen(flag, key)
}

func printExchange(info amqpdemo.ExchangeInfo) {
	fmt.Printf(" [*] %s\n", info)
	for _, w := range info.Warnings {
		fmt.Printf(" [!] %s\n", w)
	}
}

// sendStats is what a send session did, for its summary.
type sendStats struct {
	sent, delivered int
	unroutable      map[string]int
}

func send(args []string) {
	cmd := cli.New("amqp send", `usage: amqp send [-key KEY -msg TEXT] [flags]

Publishes to the topic exchange, each message confirmed by the broker and
published mandatory: a message that no queue's binding matches is reported,
not counted as sent. Without -msg it asks for messages (and keys, unless
-key is given) until an empty message, end of input, Ctrl-C or SIGTERM.`)
	c := commonFlags(cmd)
	key := cmd.Flags.String("key", "", "routing key, e.g. weather.uk (required with -msg)")
	msg := cmd.Flags.String("msg", "", "message to send; without it, ask interactively")
	cmd.Parse(args)
	cmd.NoArgs()
	c.check(cmd)
	keySet := false
	cmd.Flags.Visit(func(f *flag.Flag) { keySet = keySet || f.Name == "key" })
	if keySet || *msg != "" {
		cmd.Check(checkKey("key", *key))
	}

	ctx, stop := cmd.Context()
	defer stop()
	s, err := amqpdemo.NewSender(ctx, c.cfg)
	cmd.Fail(err)
	defer s.Close()
	printExchange(s.Exchange())
	st := sendStats{unroutable: map[string]int{}}
	if *msg != "" {
		err = publish(ctx, s, &st, *key, *msg)
	} else {
		err = interactive(ctx, s, &st, c.cfg, *key)
	}
	summarizeSend(os.Stdout, st)
	switch {
	case err != nil && ctx.Err() == nil && !errors.Is(err, amqpdemo.ErrUnroutable):
		cmd.Fail(err)
	case st.sent > st.delivered:
		_ = s.Close()
		cmd.Failf("%d of %d messages reached no queue", st.sent-st.delivered, st.sent)
	}
}

func interactive(ctx context.Context, s *amqpdemo.Sender, st *sendStats, cfg amqpdemo.Config, fixedKey string) error {
	fmt.Printf("Connected to %s, exchange %q. Empty message, Ctrl-D or Ctrl-C quits.\n", cli.RedactURL(cfg.URL), cfg.Exchange)
	lines := cli.Lines(os.Stdin)
	for {
		text, ok := prompt(ctx, lines, "Enter the message: ")
		if !ok || text == "" {
			return nil
		}
		k := fixedKey
		for k == "" {
			if k, ok = prompt(ctx, lines, "Enter the routing key: "); !ok {
				return nil
			}
			if k = strings.TrimSpace(k); k == "" {
				fmt.Println(" [!] the routing key is empty: type one such as weather.uk")
			} else if err := maxLen("key", k); err != nil {
				fmt.Println(" [!]", err)
				k = ""
			}
		}
		if err := publish(ctx, s, st, k, text); err != nil && !errors.Is(err, amqpdemo.ErrUnroutable) {
			return err
		}
	}
}

// prompt asks a question and waits for a line, end of input or ctx.
func prompt(ctx context.Context, lines <-chan string, question string) (string, bool) {
	fmt.Print(question)
	select {
	case l, ok := <-lines:
		if !ok {
			fmt.Println()
		}
		return strings.TrimRight(l, "\r"), ok
	case <-ctx.Done():
		fmt.Println()
		return "", false
	}
}

func publish(ctx context.Context, s *amqpdemo.Sender, st *sendStats, key, text string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := s.Publish(ctx, key, []byte(text))
	switch {
	case err == nil:
		st.sent++
		st.delivered++
		fmt.Printf(" [x] Sent %q with key %q: routed to a queue and confirmed by the broker\n", text, key)
	case errors.Is(err, amqpdemo.ErrUnroutable):
		st.sent++
		st.unroutable[key]++
		fmt.Printf(" [!] %q with key %q reached no queue: no binding matches it, so the broker returned it\n", text, key)
	}
	return err
}

func summarizeSend(w io.Writer, st sendStats) {
	fmt.Fprintf(w, "%d sent: %d delivered to a queue, %d unroutable\n", st.sent, st.delivered, st.sent-st.delivered)
	keys := make([]string, 0, len(st.unroutable))
	for k := range st.unroutable {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  unroutable key %q: %d\n", k, st.unroutable[k])
	}
}

func receive(args []string) {
	cmd := cli.New("amqp receive", `usage: amqp receive [flags] [binding keys...]

Binds a queue to the topic exchange with the binding keys (default "#":
everything), prints each message as it arrives, and when stopped (Ctrl-C,
SIGTERM, or -for) prints the messages grouped by routing key and writes a
chart of topic frequencies.`)
	c := commonFlags(cmd)
	chartPath := cmd.Flags.String("chart", "topics.png", "write the topic-frequency chart here on exit (.png or .svg)")
	dur := cmd.Flags.Duration("for", 0, "stop after this long (0: until Ctrl-C or SIGTERM)")
	cmd.Parse(args)
	c.check(cmd)
	keys := cmd.Flags.Args()
	if len(keys) == 0 {
		keys = []string{"#"}
	}
	for _, k := range keys {
		if len(k) > amqpdemo.MaxRoutingKeyLen {
			cmd.Check(fmt.Errorf("binding key argument of %d bytes: want at most %d", len(k), amqpdemo.MaxRoutingKeyLen))
		}
	}
	cmd.Check(
		cli.OutFile("chart", *chartPath, ".png", ".svg"),
		cli.DurationRange("for", *dur, 0, 365*24*time.Hour),
	)

	ctx, stop := cmd.Context()
	defer stop()
	r, err := amqpdemo.NewReceiver(ctx, c.cfg, keys, func(m amqpdemo.Message) {
		fmt.Printf(" [x] %s: %s\n", m.RoutingKey, m.Text())
	})
	cmd.Fail(err)
	printExchange(r.Exchange())
	how := "Ctrl-C to finish"
	if *dur > 0 {
		how = fmt.Sprintf("stopping after %v", *dur)
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	fmt.Printf(" [*] Queue %s bound to %q with %s. Waiting for messages; %s.\n",
		r.Queue(), c.cfg.Exchange, strings.Join(keys, ", "), how)
	cmd.Fail(r.Run(ctx))
	summarize(os.Stdout, r)
	if r.Total() == 0 {
		fmt.Println("No messages, so no chart.")
		return
	}
	cmd.Fail(chart.WriteTopics(*chartPath, "Messages per routing key", r.Topics()))
	fmt.Printf("Topic frequencies written to %s\n", *chartPath)
}

func summarize(w io.Writer, r *amqpdemo.Receiver) {
	fmt.Fprintf(w, "\n%d messages on %d topics", r.Total(), len(r.Topics()))
	if d := r.Duplicates(); d > 0 {
		fmt.Fprintf(w, " (%d redelivered duplicates dropped)", d)
	}
	fmt.Fprintln(w, ":")
	for _, t := range r.Topics() {
		kept := r.Messages(t.RoutingKey)
		fmt.Fprintf(w, "\n%s (%d)\n", t.RoutingKey, t.Count)
		if len(kept) < t.Count {
			fmt.Fprintf(w, "  (the last %d of them)\n", len(kept))
		}
		for _, m := range kept {
			fmt.Fprintf(w, "  %s\n", m.Text())
		}
	}
}
