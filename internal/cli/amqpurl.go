package cli

import (
	"strconv"

	"github.com/netlab-go/netlab/internal/amqpconn"
	amqp "github.com/rabbitmq/amqp091-go"
)

// AMQPURL accepts a broker URL that amqp091-go can dial:
// amqp://USER:PASSWORD@HOST:PORT/VHOST (or amqps://). The error shows the
// URL with its password hidden.
func AMQPURL(flag, u string) error {
	if _, err := amqp.ParseURI(u); err != nil {
		return bad(flag, strconv.Quote(RedactURL(u)), "amqp://USER:PASSWORD@HOST:PORT/VHOST ("+err.Error()+")")
	}
	return nil
}

// RedactURL returns u with its password, if any, replaced by "xxxxx", for
// messages that a person reads.
func RedactURL(u string) string { return amqpconn.RedactURL(u) }
