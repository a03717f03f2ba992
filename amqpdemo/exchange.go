package amqpdemo

import (
	"errors"
	"fmt"
	"strings"

	amqp "github.com/rabbitmq/amqp091-go"
)

// ExchangeInfo describes the exchange a [Sender] or [Receiver] uses, as it found
// it on the broker. Other clients (RabbitMQ's Python tutorial among them)
// declare the same exchange with other properties; AMQP refuses a second
// declaration whose properties differ (406 PRECONDITION_FAILED), so this
// package declares the exchange only when it is absent and otherwise uses it
// as it is.
type ExchangeInfo struct {
	// Name is the exchange's name ([Config.Exchange]).
	Name string
	// Existed says the exchange was already on the broker; false means this
	// client declared it with the properties of its [Config].
	Existed bool
	// Known says Kind, Durable and AutoDelete were determined. An existing
	// exchange with arguments (an alternate exchange, say) or the internal
	// flag cannot be probed, nor can one that this user may not configure,
	// and Known is false.
	Known bool
	// Kind is the exchange type: "topic", "direct", "fanout" or "headers".
	Kind string
	// Durable says the exchange survives a broker restart.
	Durable bool
	// AutoDelete says the broker deletes the exchange when its last binding
	// goes.
	AutoDelete bool
	// Warnings say, one sentence each, where the exchange does not give what
	// the [Config] asked for (a durable [Config] on an exchange that is not
	// durable, a type other than topic). Empty when nothing is amiss.
	Warnings []string
}

// String describes the exchange in one line, for example
//
//	exchange "topic_logs" existed (topic, not durable): used as it is
func (e ExchangeInfo) String() string {
	var props string
	if e.Known {
		d := "durable"
		if !e.Durable {
			d = "not durable"
		}
		props = e.Kind + ", " + d
		if e.AutoDelete {
			props += ", auto-delete"
		}
	} else {
		props = "properties unknown"
	}
	if e.Existed {
		return fmt.Sprintf("exchange %q existed (%s): used as it is", e.Name, props)
	}
	return fmt.Sprintf("exchange %q declared (%s)", e.Name, props)
}

// exchangeDurable is the durability this client declares an absent exchange
// with: durable when the Config asks for it, or for restart survival.
func (c Config) exchangeDurable() bool { return c.ExchangeDurable || c.Durable }

// exchangeKinds are the types tried, in order, when probing an existing
// exchange's properties.
var exchangeKinds = []string{amqp.ExchangeTopic, amqp.ExchangeDirect, amqp.ExchangeFanout, amqp.ExchangeHeaders}

// ensureExchange makes sure the exchange exists and finds out its
// properties. It declares passively first: an existing exchange is used as
// it is, whatever its properties; only an absent one is declared, as a topic
// exchange with Config's durability. Every declaration that the broker may
// refuse happens on a channel of its own, because a refusal closes the
// channel.
func (c Config) ensureExchange(conn *amqp.Connection) (ExchangeInfo, error) {
	info := ExchangeInfo{Name: c.Exchange}
	for attempt := 0; attempt < 3; attempt++ {
		exists, err := c.exchangeExists(conn)
		if err != nil {
			return info, err
		}
		if exists {
			info.Existed = true
			if err := c.probeExchange(conn, &info); err != nil {
				return info, err
			}
			info.Warnings = c.exchangeWarnings(info)
			return info, nil
		}
		err = onChannel(conn, func(ch *amqp.Channel) error {
			return ch.ExchangeDeclare(c.Exchange, amqp.ExchangeTopic, c.exchangeDurable(), false, false, false, nil)
		})
		if err == nil {
			info.Known, info.Kind, info.Durable = true, amqp.ExchangeTopic, c.exchangeDurable()
			return info, nil
		}
		if !isAMQPCode(err, amqp.PreconditionFailed) {
			return info, fmt.Errorf("amqpdemo: declaring topic exchange %q: %w", c.Exchange, err)
		}
		// Another client declared it, with other properties, between our
		// passive check and our declaration: look again.
	}
	return info, fmt.Errorf("amqpdemo: exchange %q keeps appearing and disappearing; giving up", c.Exchange)
}

// exchangeExists declares the exchange passively: 404 means absent.
func (c Config) exchangeExists(conn *amqp.Connection) (bool, error) {
	err := onChannel(conn, func(ch *amqp.Channel) error {
		return ch.ExchangeDeclarePassive(c.Exchange, amqp.ExchangeTopic, false, false, false, false, nil)
	})
	switch {
	case err == nil:
		return true, nil
	case isAMQPCode(err, amqp.NotFound):
		return false, nil
	}
	return false, fmt.Errorf("amqpdemo: checking exchange %q: %w", c.Exchange, err)
}

// probeExchange finds an existing exchange's type and flags. AMQP has no
// "describe" method, but a declaration with exactly the existing properties
// is a no-op, and any other is refused with 406 on its own channel; so the
// candidates are tried one by one, the likeliest first. (Should the
// exchange vanish meanwhile, the first candidate, a topic exchange with
// Config's durability, creates what this client would have declared.)
func (c Config) probeExchange(conn *amqp.Connection, info *ExchangeInfo) error {
	want := c.exchangeDurable()
	for _, kind := range exchangeKinds {
		for _, durable := range []bool{want, !want} {
			for _, autoDelete := range []bool{false, true} {
				err := onChannel(conn, func(ch *amqp.Channel) error {
					return ch.ExchangeDeclare(c.Exchange, kind, durable, autoDelete, false, false, nil)
				})
				if err == nil {
					info.Known, info.Kind, info.Durable, info.AutoDelete = true, kind, durable, autoDelete
					return nil
				}
				if isAMQPCode(err, amqp.AccessRefused) {
					return nil // no configure permission (or a reserved name): used as it is, unknown
				}
				if !isAMQPCode(err, amqp.PreconditionFailed) {
					return fmt.Errorf("amqpdemo: examining exchange %q: %w", c.Exchange, err)
				}
			}
		}
	}
	return nil // arguments or the internal flag: used as it is, unknown
}

// exchangeWarnings says where an existing exchange does not give what the
// Config asks for.
func (c Config) exchangeWarnings(info ExchangeInfo) []string {
	if !info.Known {
		return []string{fmt.Sprintf("exchange %q has properties this client cannot determine "+
			"(arguments, the internal flag, or no permission to configure it); routing and durability are whatever they are", c.Exchange)}
	}
	var w []string
	if info.Kind != amqp.ExchangeTopic {
		w = append(w, fmt.Sprintf("exchange %q is a %s exchange, not topic: binding keys are not matched as "+
			"topic patterns (\"*\" and \"#\" are not wildcards there)", c.Exchange, info.Kind))
	}
	if c.Durable && !info.Durable {
		w = append(w, fmt.Sprintf("exchange %q is not durable: a broker restart deletes it and its bindings, "+
			"so persistent messages will not survive a restart as Durable asks", c.Exchange))
	} else if c.ExchangeDurable && !info.Durable {
		w = append(w, fmt.Sprintf("exchange %q is not durable, although ExchangeDurable asks for a durable one: "+
			"it will not survive a broker restart", c.Exchange))
	}
	if info.AutoDelete {
		w = append(w, fmt.Sprintf("exchange %q is auto-delete: the broker deletes it when its last queue unbinds", c.Exchange))
	}
	return w
}

// onChannel runs f on a fresh channel and closes it; a broker refusal
// closes only that channel.
func onChannel(conn *amqp.Connection, f func(*amqp.Channel) error) error {
	ch, err := conn.Channel()
	if err != nil {
		return err
	}
	err = f(ch)
	if cerr := ch.Close(); err == nil && cerr != nil && !errors.Is(cerr, amqp.ErrClosed) {
		err = cerr
	}
	return err
}

func isAMQPCode(err error, code int) bool {
	var ae *amqp.Error
	return errors.As(err, &ae) && ae.Code == code
}

// describeWarnings joins warnings for a log record.
func describeWarnings(w []string) string { return strings.Join(w, "; ") }
