package examples_test

import (
	"net"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

var _ = register(program{
	dir: "udpchat",
	bad: []invocation{
		{args: []string{"-port", "70000"}, exit: 2, want: "-port"},
		{args: []string{"-range", "5-1"}, exit: 2, want: "-range"},
		{args: []string{"-range", "1-65535"}, exit: 2, want: "-range"},
		{args: []string{"-name", "not a name!"}, exit: 2, want: "-name"},
		{args: []string{"-wait", "0s"}, exit: 2, want: "-wait"},
		{args: []string{"-send", "hi", "-to", "x:y:z"}, exit: 2, want: "-to"},
		{args: []string{"-listen", "-send", "hi"}, exit: 2, want: "-listen"},
		{args: []string{"extra"}, exit: 2, want: `"extra"`},
		// Nobody listens on loopback without a scan: the send reached nobody.
		{args: []string{"-loopback", "-scan=false", "-send", "hi"}, exit: 1, want: "sent to nobody"},
	},
	happy: [][]string{{"-loopback", "-scan=false", "-listen", "-for", "500ms"}},
})

// TestUDPChatListenSendAndSIGTERM: a listener on a free port; udpchat
// sends to it by address and by a scan of a range that covers its port; a
// bad datagram is shown with a note naming its sender; another listener
// announces itself to it; SIGTERM prints the summary.
func TestUDPChatListenSendAndSIGTERM(t *testing.T) {
	bin := filepath.Join(build(t), "udpchat")
	listener := startProgram(t, t.TempDir(), "udpchat", "-loopback", "-scan=false", "-listen", "-name", "bob")
	line := func(re string) []string { t.Helper(); return waitForLine(t, listener, regexp.MustCompile(`(?m)`+re)) }
	port := line(`listening on 127\.0\.0\.1:(\d+) as "bob"`)[1]

	run := func(args ...string) result { return runProgram(t, bin, args, "", time.Minute) }
	if r := run("-loopback", "-scan=false", "-send", "hi by address", "-to", "127.0.0.1:"+port); r.status != 0 {
		t.Fatalf("send by address: exit %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	line(`\] hi by address$`)
	r := run("-loopback", "-range", port+"-"+port, "-name", "alice", "-send", "hi by scan")
	if r.status != 0 || !strings.Contains(r.stdout, "found bob") || !strings.Contains(r.stdout, "sent to 1 peers") {
		t.Fatalf("send by scan: exit %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	line(`\] hi by scan$`)

	raw, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	to, _ := net.ResolveUDPAddr("udp4", "127.0.0.1:"+port)
	if _, err := raw.WriteToUDP([]byte("bad\xff\xfe"), to); err != nil {
		t.Fatal(err)
	}
	line(`\] bad\x{FFFD}\x{FFFD}$`)
	line(regexp.QuoteMeta("(note: " + raw.LocalAddr().String() + " sent a bad datagram of 5 bytes: not text: 2 bytes of invalid UTF-8 shown as U+FFFD)"))

	// A peer that listens on a port bob never probes announces itself to
	// bob's port, and bob learns where it is.
	r = run("-loopback", "-scan=false", "-name", "carol", "-listen", "-for", "100ms", "-range", port+"-"+port)
	if r.status != 0 || !strings.Contains(r.stdout, "announced \"carol\"") {
		t.Fatalf("announcing listener: exit %d\n%s%s", r.status, r.stdout, r.stderr)
	}
	line(`\(carol announced itself at 127\.0\.0\.1:\d+\)`)

	if err := listener.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	status, out, errOut := listener.wait(t, 30*time.Second)
	if want := "received 3 messages (shown with notes: 1 not text); answered 1 discovery probes"; status != 0 || !strings.Contains(out, want) {
		t.Fatalf("listener after SIGTERM: exit status %d, want 0 and %q on stdout:\n%s\nstderr %q", status, want, out, errOut)
	}
}
