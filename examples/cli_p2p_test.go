package examples_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The p2p intervals for command-line runs: a few seconds in all.
var p2pFast = []string{"-liveness-interval", "150ms", "-gossip-interval", "50ms", "-refresh-interval", "400ms", "-gossip-count", "2"}

var _ = register(program{
	dir: "p2p",
	bad: []invocation{
		{args: nil, exit: 2, want: "missing subcommand"},
		{args: []string{"frob"}, exit: 2, want: `"frob"`},
		// seed
		{args: []string{"seed", "-addr", "127.0.0.1:70000"}, exit: 2, want: "-addr"},
		{args: []string{"seed", "-addr", "0.0.0.0:7000"}, exit: 2, want: "-addr"},
		{args: []string{"seed", "-max-conns", "0"}, exit: 2, want: "-max-conns"},
		{args: []string{"seed", "-probe-timeout", "-1s"}, exit: 2, want: "-probe-timeout"},
		{args: []string{"seed", "-log", "seed.png"}, exit: 2, want: "-log"},
		{args: []string{"seed", "-log", "/proc/no/such/dir/seed.txt"}, exit: 2, want: "-log"},
		{args: []string{"seed", "extra"}, exit: 2, want: `"extra"`},
		// peer
		{args: []string{"peer", "-config", "missing.txt"}, exit: 2, want: "-config"},
		{args: []string{"peer", "-config", "/proc/self/status"}, exit: 2, want: "-config"},
		{args: []string{"peer", "-liveness-failures", "0"}, exit: 2, want: "-liveness-failures"},
		{args: []string{"peer", "-fast", "0"}, exit: 2, want: "-fast"},
		{args: []string{"peer", "-gossip-interval", "0s"}, exit: 2, want: "-gossip-interval"},
		{args: []string{"peer", "-addr", "localhost:8001"}, exit: 2, want: "-addr"},
		// sim
		{args: []string{"sim", "-peers", "1"}, exit: 2, want: "-peers"},
		{args: []string{"sim", "-peers", "5", "-kill", "5"}, exit: 2, want: "-kill"},
		{args: []string{"sim", "-seeds", "0"}, exit: 2, want: "-seeds"},
		{args: []string{"sim", "-format", "jpg"}, exit: 2, want: "-format"},
		{args: []string{"sim", "-out", "/proc/self/netlab"}, exit: 2, want: "-out"},
		{args: []string{"sim", "-neighbours", "-3"}, exit: 2, want: "-neighbours"},
	},
	happy: [][]string{
		append([]string{"sim", "-seeds", "3", "-peers", "12", "-kill", "2", "-out", "pics"}, p2pFast...),
		append([]string{"sim", "-seeds", "1", "-peers", "6", "-kill", "1", "-format", "svg"}, p2pFast...),
		{"seed", "-addr", "127.0.0.1:0", "-duration", "300ms"},
	},
})

var seedListening = regexp.MustCompile(`seed listening on (127\.0\.0\.1:\d+)`)

// The documented happy path of a seed and two peers, as separate processes:
// the peers join, and SIGTERM and SIGINT each end a program with the same
// summary, exit status 0.
func TestP2PSeedAndPeersAsProcesses(t *testing.T) {
	dir := t.TempDir()
	seed := startProgram(t, dir, "p2p", "seed", "-addr", "127.0.0.1:0")
	addr := waitForLine(t, seed, seedListening)[1]
	if err := os.WriteFile(filepath.Join(dir, "seeds.txt"), []byte("# one seed\n"+addr+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var peers []*started
	for i := range 2 {
		p := startProgram(t, dir, "p2p", append([]string{"peer", "-config", "seeds.txt", "-id", fmt.Sprint(i),
			"-log", fmt.Sprintf("peer-%d.txt", i)}, p2pFast...)...)
		waitForLine(t, p, regexp.MustCompile(`registering with 1 of 1 seeds`))
		peers = append(peers, p)
	}
	// Both peers are registered once the seed lists two peers.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if n := peerListLen(t, addr); n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the seed never listed both peers")
		}
		time.Sleep(50 * time.Millisecond)
	}
	summary := regexp.MustCompile(`peer 127\.0\.0\.1:\d+ stopped after \S+: joined true, \d+ neighbours, \d+ gossip messages received`)
	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		if err := peers[i].cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		status, out, errOut := peers[i].wait(t, 30*time.Second)
		if status != 0 {
			t.Errorf("peer stopped by %v: exit status %d, stderr %q", sig, status, errOut)
		}
		if !summary.MatchString(out) {
			t.Errorf("peer stopped by %v: no summary in\n%s", sig, out)
		}
	}
	if err := seed.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	status, out, errOut := seed.wait(t, 30*time.Second)
	if status != 0 || !regexp.MustCompile(`seed 127\.0\.0\.1:\d+ stopped after \S+: \d+ peers registered`).MatchString(out) {
		t.Errorf("seed stopped by SIGTERM: exit %d, stdout\n%s\nstderr %s", status, out, errOut)
	}
	log, err := os.ReadFile(filepath.Join(dir, "peer-0.txt"))
	if err != nil || !strings.Contains(string(log), "peer list received") {
		t.Errorf("peer-0.txt lacks the course's log lines (%v):\n%s", err, log)
	}
}

// peerListLen asks a seed for its peer list, as nc would.
func peerListLen(t *testing.T, addr string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp4", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "get peer list\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	list := strings.TrimPrefix(strings.TrimSpace(line), "peer list:")
	if list == "" {
		return 0
	}
	return len(strings.Split(list, ":"))
}

// A runtime failure (the seed's port is taken) is one line and exit 1; a
// peer whose seeds never answer says that it never joined and exits 1.
func TestP2PRuntimeFailures(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	status, _, errOut := startProgram(t, dir, "p2p", "seed", "-addr", ln.Addr().String()).wait(t, 30*time.Second)
	if status != 1 || !strings.Contains(errOut, "p2p seed: ") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("seed on a taken port: exit %d, stderr %q; want 1 and one line", status, errOut)
	}

	// A seeds file naming a port where nothing listens.
	free, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gone := free.Addr().String()
	free.Close()
	if err := os.WriteFile(filepath.Join(dir, "seeds.txt"), []byte(gone+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	status, out, errOut := startProgram(t, dir, "p2p", append([]string{"peer", "-config", "seeds.txt", "-duration", "500ms"}, p2pFast...)...).wait(t, 30*time.Second)
	if status != 1 || !strings.Contains(errOut, "never joined") {
		t.Errorf("peer without seeds: exit %d, stderr %q; want 1 and 'never joined'", status, errOut)
	}
	if !strings.Contains(out, "joined false") {
		t.Errorf("peer without seeds: the summary does not say it never joined:\n%s", out)
	}
}

// SIGTERM and SIGINT stop a sim the same way: the summary of what was
// measured on stdout, one line saying it was interrupted, exit status 1.
func TestP2PSimInterruptedBySignal(t *testing.T) {
	testInterruptedBySignal(t, interruption{
		prog:    "p2p",
		args:    append([]string{"sim", "-peers", "400"}, p2pFast...),
		ready:   regexp.MustCompile(`seeds up`),
		summary: regexp.MustCompile(`summary: \d+ of 400 peers joined`),
		last:    "p2p sim: interrupted",
		noFile:  "p2p-degrees.png",
	})
}
