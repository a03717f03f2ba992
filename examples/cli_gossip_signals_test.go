package examples_test

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var kvHTTP = regexp.MustCompile(`HTTP API on (http://127\.0\.0\.1:\d+)`)

// freeAddr returns a loopback address whose TCP and UDP ports were free a
// moment ago: the address a node will have, for a node started before it.
func freeAddr(t *testing.T) string {
	t.Helper()
	for range 20 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		pc, err := net.ListenPacket("udp", addr)
		ln.Close()
		if err == nil {
			pc.Close()
			return addr
		}
	}
	t.Fatal("no free TCP and UDP port pair on loopback")
	return ""
}

// Issue 15 with real processes: B is started joining A's address before A
// exists; A starts; a write to A acknowledged by one replica (w=1) is read
// on B, with no restart. SIGTERM and SIGINT each end a node with its
// summary and exit status 0 (stopping is a node's normal end).
func TestGossipKVNodeJoinsASeedThatStartsLater(t *testing.T) {
	dir := t.TempDir()
	build(t)
	start := time.Now()
	addrA := freeAddr(t)
	b := startProgram(t, dir, "gossip-kv", "-name", "B", "-bind", "127.0.0.1:0", "-http", "127.0.0.1:0", "-join", addrA)
	urlB := waitForLine(t, b, kvHTTP)[1]
	waitForLine(t, b, regexp.MustCompile(`joining `+regexp.QuoteMeta(addrA)))

	dirA := filepath.Join(dir, "a")
	if err := os.Mkdir(dirA, 0o755); err != nil {
		t.Fatal(err)
	}
	a := startProgram(t, dirA, "gossip-kv", "-name", "A", "-bind", addrA, "-http", "127.0.0.1:0")
	urlA := waitForLine(t, a, kvHTTP)[1]

	// Until B has joined, w=1 cannot be met (503); then it is.
	require.Eventually(t, func() bool {
		req, _ := http.NewRequest("PUT", urlA+"/kv/temperature?w=1", strings.NewReader("25.5"))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	}, 30*time.Second, 50*time.Millisecond, "A never had B acknowledge a write")
	t.Logf("B joined A and acknowledged a write %v after B started", time.Since(start).Round(time.Millisecond))
	resp, err := http.Get(urlB + "/kv/temperature")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"value": "25.5"`) {
		t.Fatalf("B answered %d %s", resp.StatusCode, body)
	}

	for _, c := range []struct {
		p   *started
		sig syscall.Signal
	}{{b, syscall.SIGTERM}, {a, syscall.SIGINT}} {
		if err := c.p.cmd.Process.Signal(c.sig); err != nil {
			t.Fatal(err)
		}
		status, out, errOut := c.p.wait(t, 30*time.Second)
		if status != 0 {
			t.Errorf("%v: exit status %d, want 0; stderr %q", c.sig, status, errOut)
		}
		if !regexp.MustCompile(`node [AB] stopped: \d+ puts`).MatchString(out) {
			t.Errorf("%v: no summary on stdout:\n%s", c.sig, out)
		}
	}
}

// An interrupted gossip-sim keeps the rows it measured, says it was
// interrupted, exits 1 and draws nothing.
func TestGossipSimInterruptedBySignal(t *testing.T) {
	testInterruptedBySignal(t, interruption{
		prog:    "gossip-sim",
		args:    []string{"-n", "200000", "-seeds", "1000", "-out", "."},
		ready:   regexp.MustCompile(`experiment\s+theory`),
		summary: regexp.MustCompile(`summary: \d of 6 experiments done`),
		last:    "gossip-sim: interrupted",
		noFile:  "gossip-theory.png",
	})
}
