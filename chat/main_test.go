package chat

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	if os.Getenv(c10kHelperEnv) != "" { // the client process of BenchmarkTCPChatC10K
		os.Exit(c10kHelperMain())
	}
	goleak.VerifyTestMain(m)
}
