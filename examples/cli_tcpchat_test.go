package examples_test

import (
	"context"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/netlab-go/netlab/chat"
)

var _ = register(program{
	dir: "tcpchat",
	bad: []invocation{
		{args: []string{"server", "-announce", "0"}, exit: 2, want: "-announce"},
		{args: []string{"server", "-addr", "nohost"}, exit: 2, want: "-addr"},
		{args: []string{"server", "-max", "0"}, exit: 2, want: "-max"},
		{args: []string{"server", "-nick-timeout", "0s"}, exit: 2, want: "-nick-timeout"},
		{args: []string{"client", "-nick", "1bad"}, exit: 2, want: "-nick"},
		{args: []string{"client"}, exit: 2, want: "-nick"},
		{args: []string{"client", "-addr", "x", "-nick", "bob"}, exit: 2, want: "-addr"},
		{args: []string{"local", "-n", "1"}, exit: 2, want: "-n"},
		{args: []string{"local", "extra"}, exit: 2, want: `"extra"`},
		{args: []string{"frob"}, exit: 2, want: "frob"},
		{args: []string{}, exit: 2, want: "subcommand"},
	},
	happy: [][]string{{"local", "-n", "3"}},
})

// TestTCPChatServerSummaryOnSIGTERM runs the server on a free port, logs a
// client in, and stops the server with SIGTERM: it says goodbye to the
// client and prints its summary, as on Ctrl-C.
func TestTCPChatServerSummaryOnSIGTERM(t *testing.T) {
	server := startProgram(t, t.TempDir(), "tcpchat", "server", "-addr", "127.0.0.1:0")
	addr := waitForLine(t, server, regexp.MustCompile(`(?m)^chat server on (127\.0\.0\.1:\d+);`))[1]

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := chat.Dial(ctx, addr, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := server.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	status, out, errOut := server.wait(t, 30*time.Second)
	if status != 0 {
		t.Fatalf("server after SIGTERM: exit status %d, stderr %q", status, errOut)
	}
	if summary := regexp.MustCompile(`(?m)` + regexp.QuoteMeta("stopped: 1 connections, ") + `.*0 refused for too many from one address$`); !summary.MatchString(out) {
		t.Fatalf("no summary matching %q after SIGTERM:\n%s", summary, out)
	}
	for ev := range c.Events() {
		if ev.Kind == chat.EventNotice && ev.Text == "server shutting down" {
			return
		}
	}
	t.Error("the client was not told the server is shutting down")
}
