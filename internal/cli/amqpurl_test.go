package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAMQPURL(t *testing.T) {
	assert.NoError(t, AMQPURL("amqp-url", "amqp://guest:guest@127.0.0.1:5672/"))
	assert.NoError(t, AMQPURL("amqp-url", "amqps://u:p@broker.example:5671/vh"))
	err := AMQPURL("amqp-url", "http://user:secret@host/")
	assert.ErrorContains(t, err, "flag -amqp-url")
	assert.ErrorContains(t, err, "amqp://USER:PASSWORD@HOST:PORT/VHOST")
	assert.NotContains(t, err.Error(), "secret", "the password is hidden")
	assert.Error(t, AMQPURL("amqp-url", ""))
	assert.Equal(t, "(unparsable URL)", RedactURL("amqp://%zz"))
}
