package cli

import (
	"flag"
	"fmt"

	"github.com/netlab-go/netlab/internal/amqpconn"
	"github.com/netlab-go/netlab/internal/amqpseam"
)

// DefaultAMQPURL is the broker of -amqp-url when AMQP_URL is not set: a
// RabbitMQ on this machine with its out-of-the-box guest account.
const DefaultAMQPURL = "amqp://guest:guest@127.0.0.1:5672/"

// Transport is the pair of flags of a program whose work runs either on
// the course's TCP grid or on RabbitMQ work queues: -transport tcp|amqp and
// -amqp-url (default $AMQP_URL, else [DefaultAMQPURL]).
type Transport struct {
	Name    string // "tcp" or "amqp"
	AMQPURL string
	Job     string // -job, when [Transport.AddJob] defined it; "" = none
	fs      *flag.FlagSet
}

// AddTransport defines -transport and -amqp-url on fs.
func AddTransport(fs *flag.FlagSet) *Transport {
	t := &Transport{fs: fs}
	u := amqpconn.URL("", DefaultAMQPURL)
	fs.StringVar(&t.Name, "transport", "tcp", "where the work runs: tcp (the course's grid) or amqp (RabbitMQ work queues)")
	fs.StringVar(&t.AMQPURL, "amqp-url", u, "with -transport amqp: the broker (default $AMQP_URL, else "+DefaultAMQPURL+")")
	return t
}

// AddJob defines -job: the name of the program's work on RabbitMQ, under
// which a restarted program resumes it (AMQPConfig.Job in matrix and
// mlcluster). [Transport.Check] refuses it on tcp.
func (t *Transport) AddJob() {
	t.fs.StringVar(&t.Job, "job", "", "amqp: name the job so that a rerun with the same name and inputs "+
		"resumes it from the broker (its queued tasks and computed results); default: a random name, no resume")
}

// AMQP reports whether the work runs on RabbitMQ (nil: on the TCP grid).
func (t *Transport) AMQP() bool { return t != nil && t.Name == "amqp" }

// Check validates the two flags, and refuses the flags named in tcpOnly
// when they were given with -transport amqp, where they mean nothing.
func (t *Transport) Check(tcpOnly ...string) error {
	if err := OneOf("transport", t.Name, "tcp", "amqp"); err != nil {
		return err
	}
	if !t.AMQP() {
		if t.Job != "" {
			return fmt.Errorf("flag -job: only with -transport amqp (the TCP grid keeps no queue to resume)")
		}
		return nil
	}
	if t.Job != "" {
		if err := amqpseam.CheckJob("flag -job", t.Job); err != nil {
			return err
		}
	}
	var err error
	t.fs.Visit(func(f *flag.Flag) {
		for _, name := range tcpOnly {
			if f.Name == name && err == nil {
				err = fmt.Errorf("flag -%s: only with -transport tcp (on amqp the broker is the coordinator)", name)
			}
		}
	})
	if err != nil {
		return err
	}
	return AMQPURL("amqp-url", t.AMQPURL)
}
