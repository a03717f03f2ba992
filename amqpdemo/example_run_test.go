package amqpdemo_test

import (
	"io"
	"os"
	"testing"

	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestExample runs Example against the broker in AMQP_URL and checks the
// output its documentation shows (an Example function's Output line would
// fail on a machine without RabbitMQ).
func TestExample(t *testing.T) {
	assert.Equal(t, `exchange "amq.topic" existed (topic, durable): used as it is
weather.uk: 2
weather.fr: 1
total 3, latest weather.uk: rain
unroutable: true
[{nobody.listens.here 1}]
`, runExampleWithBroker(t, Example))
}

// runExampleWithBroker runs an Example that needs the broker in AMQP_URL
// and returns what it printed.
func runExampleWithBroker(t *testing.T, example func()) string {
	t.Helper()
	testenv.AMQPURL(t)
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stdout := os.Stdout
	os.Stdout = w
	out := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		out <- string(b)
	}()
	func() {
		defer func() { os.Stdout = stdout; w.Close() }()
		example()
	}()
	return <-out
}
