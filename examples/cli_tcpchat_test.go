package examples_test

import (
	"context"
	"os/exec"
	"path/filepath"
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
	bin := filepath.Join(build(t), "tcpchat")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	server := exec.CommandContext(ctx, bin, "server", "-addr", "127.0.0.1:0")
	server.Dir = t.TempDir()
	lines := startLines(t, server)
	addr := waitLine(t, ctx, lines, `^chat server on (127\.0\.0\.1:\d+);`)[1]

	c, err := chat.Dial(ctx, addr, "alice")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := server.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitLine(t, ctx, lines, regexp.QuoteMeta("stopped: 1 connections, ")+`.*0 refused for too many from one address$`)
	if err := server.Wait(); err != nil {
		t.Fatalf("server after SIGTERM: %v", err)
	}
	for ev := range c.Events() {
		if ev.Kind == chat.EventNotice && ev.Text == "server shutting down" {
			return
		}
	}
	t.Error("the client was not told the server is shutting down")
}
