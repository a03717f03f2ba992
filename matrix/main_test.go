package matrix

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(amqpWorkerEnv) != "" {
		os.Exit(amqpWorkerProcess())
	}
	goleak.VerifyTestMain(m)
}
