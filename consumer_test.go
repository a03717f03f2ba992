package netlab_test

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestConsumerModule builds and runs testdata/consumer, a separate Go module
// that uses every netlab package only through its public API (a gossip
// cluster, kvstore replicas, reno with a controller written outside the
// package, both PDU codecs, an index server and peers, a seed and peers, a
// distributed multiply, k-means on a cluster, a chat server, a capture), under
// the race detector, and checks with goleak that nothing is left running.
func TestConsumerModule(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the consumer module builds and runs every package")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "run", "-race", ".")
	cmd.Dir = "testdata/consumer"
	out, err := cmd.CombinedOutput()
	t.Logf("consumer module:\n%s", out)
	if err != nil {
		t.Fatalf("the consumer module failed: %v", err)
	}
	if !strings.Contains(string(out), "all parts ok") {
		t.Fatal("the consumer module did not report that every part ran")
	}
}
