// Command amqp is the course's RabbitMQ topic demo: a sender that asks for a
// message and a routing key, and a receiver that binds with topic patterns,
// prints what arrives, and on Ctrl-C prints everything grouped by topic and
// writes a chart of topic frequencies.
//
//	go run ./examples/amqp receive 'weather.#' 'stock.*.ibm'   # terminal 1
//	go run ./examples/amqp send                                # terminal 2, interactive
//	go run ./examples/amqp send -key weather.uk -msg rain      # one message, no prompts
//
// The broker is AMQP_URL, or amqp://guest:guest@localhost:5672/.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/netlab-go/netlab/amqpdemo"
)

func usage() {
	fmt.Fprintf(os.Stderr, `usage:
  amqp send    [-key KEY -msg TEXT] [flags]   publish (interactive without -msg)
  amqp receive [flags] [binding keys...]      consume; default binding "#"

flags (both):
`)
	fs := flag.NewFlagSet("", flag.ContinueOnError)
	commonFlags(fs)
	fs.PrintDefaults()
}

type common struct {
	cfg amqpdemo.Config
}

func commonFlags(fs *flag.FlagSet) *common {
	c := &common{cfg: amqpdemo.DefaultConfig()}
	fs.StringVar(&c.cfg.URL, "url", c.cfg.URL, "broker URL (default from AMQP_URL)")
	fs.StringVar(&c.cfg.Exchange, "exchange", c.cfg.Exchange, "topic exchange name")
	fs.BoolVar(&c.cfg.Durable, "durable", false, "persistent messages; with -queue, a durable named queue")
	fs.StringVar(&c.cfg.Queue, "queue", "", "receiver: named queue (default: server-named, exclusive)")
	fs.DurationVar(&c.cfg.DialTimeout, "timeout", c.cfg.DialTimeout, "give up connecting after this long")
	return c
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch os.Args[1] {
	case "send":
		err = send(ctx, os.Args[2:])
	case "receive":
		err = receive(ctx, os.Args[2:])
	case "-h", "-help", "--help", "help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "amqp: unknown subcommand %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "amqp:", err)
		os.Exit(1)
	}
}

func send(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("send", flag.ContinueOnError)
	c := commonFlags(fs)
	key := fs.String("key", "", "routing key (shorter than 3 characters becomes \"default\")")
	msg := fs.String("msg", "", "message to send; without it, ask interactively")
	if err := fs.Parse(args); err != nil {
		return err
	}
	s, err := amqpdemo.NewSender(ctx, c.cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	if *msg != "" {
		return publish(ctx, s, *key, *msg)
	}
	fmt.Printf("Connected to %s, exchange %q. Empty message or Ctrl-D quits.\n", redact(c.cfg.URL), c.cfg.Exchange)
	in := bufio.NewScanner(os.Stdin)
	for {
		text, ok := prompt(in, "Enter the message: ")
		if !ok || text == "" {
			return nil
		}
		k, ok := prompt(in, "Enter the routing key: ")
		if !ok {
			return nil
		}
		if err := publish(ctx, s, k, text); err != nil {
			return err
		}
	}
}

func prompt(in *bufio.Scanner, question string) (string, bool) {
	fmt.Print(question)
	if !in.Scan() {
		fmt.Println()
		return "", false
	}
	return strings.TrimRight(in.Text(), "\r"), true
}

func publish(ctx context.Context, s *amqpdemo.Sender, typed, text string) error {
	key := amqpdemo.CourseKey(typed)
	if key != strings.TrimSpace(typed) {
		fmt.Printf(" [!] routing key %q is shorter than 3 characters: using %q\n", typed, key)
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.Publish(ctx, key, []byte(text)); err != nil {
		return err
	}
	fmt.Printf(" [x] Sent %q with key %q (confirmed by the broker)\n", text, key)
	return nil
}

func receive(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("receive", flag.ContinueOnError)
	c := commonFlags(fs)
	chart := fs.String("chart", "topics.png", "write the topic-frequency chart here on exit (.png or .svg)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	keys := fs.Args()
	if len(keys) == 0 {
		keys = []string{"#"}
	}
	r, err := amqpdemo.NewReceiver(ctx, c.cfg, keys, func(m amqpdemo.Message) {
		fmt.Printf(" [x] %s: %s\n", m.RoutingKey, m.Text())
	})
	if err != nil {
		return err
	}
	fmt.Printf(" [*] Queue %s bound to %q with %s. Waiting for messages; Ctrl-C to finish.\n",
		r.Queue(), c.cfg.Exchange, strings.Join(keys, ", "))
	if err := r.Run(ctx); err != nil {
		return err
	}
	summarize(os.Stdout, r)
	if r.Total() == 0 {
		fmt.Println("No messages, so no chart.")
		return nil
	}
	if err := r.WriteChart(*chart); err != nil {
		return err
	}
	fmt.Printf("Topic frequencies written to %s\n", *chart)
	return nil
}

func summarize(w io.Writer, r *amqpdemo.Receiver) {
	fmt.Fprintf(w, "\n%d messages on %d topics:\n", r.Total(), len(r.Topics()))
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

// redact hides the password in a broker URL, as the package's errors do.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}
