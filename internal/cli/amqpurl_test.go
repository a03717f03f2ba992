package cli

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

func TestTransportFlags(t *testing.T) {
	t.Setenv("AMQP_URL", "")
	c := New("x", "usage")
	tr := AddTransport(c.Flags)
	c.Flags.String("coordinator", "", "")
	require.NoError(t, c.Flags.Parse([]string{"-transport", "amqp", "-coordinator", "a:1"}))
	assert.Equal(t, DefaultAMQPURL, tr.AMQPURL)
	assert.True(t, tr.AMQP())
	assert.ErrorContains(t, tr.Check("coordinator"), "flag -coordinator: only with -transport tcp")
	assert.NoError(t, tr.Check("addr"))

	t.Setenv("AMQP_URL", "amqp://u:p@h:1/")
	c = New("x", "usage")
	tr = AddTransport(c.Flags)
	require.NoError(t, c.Flags.Parse([]string{"-transport", "udp"}))
	assert.Equal(t, "amqp://u:p@h:1/", tr.AMQPURL, "the default comes from AMQP_URL")
	assert.ErrorContains(t, tr.Check(), "flag -transport")
	tr.Name, tr.AMQPURL = "amqp", "nope://"
	assert.ErrorContains(t, tr.Check(), "flag -amqp-url")
	tr.Name = "tcp"
	assert.NoError(t, tr.Check(), "the URL is not used on tcp")
}

func TestTransportJob(t *testing.T) {
	parse := func(args ...string) *Transport {
		c := New("x", "usage")
		tr := AddTransport(c.Flags)
		tr.AddJob()
		require.NoError(t, c.Flags.Parse(args))
		return tr
	}
	assert.NoError(t, parse("-transport", "amqp", "-job", "nightly-1").Check())
	assert.Equal(t, "nightly-1", parse("-transport", "amqp", "-job", "nightly-1").Job)
	assert.NoError(t, parse("-transport", "amqp").Check(), "no -job: a random name")
	assert.ErrorContains(t, parse("-job", "nightly-1").Check(), "flag -job: only with -transport amqp")
	assert.ErrorContains(t, parse("-transport", "amqp", "-job", "a b").Check(), "flag -job")
}
