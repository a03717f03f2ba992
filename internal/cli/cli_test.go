package cli

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/internal/fakeclock"
)

type exited int

// run calls f with a command whose exit stops f, and returns what it printed
// and the status it exited with (-1 when it did not exit).
func run(t *testing.T, f func(c *Command)) (stdout, stderr string, status int) {
	t.Helper()
	var out, errb bytes.Buffer
	c := New("matrix worker", "usage: matrix worker [flags]")
	c.stdout, c.stderr = &out, &errb
	c.exit = func(code int) { panic(exited(code)) }
	status = -1
	func() {
		defer func() {
			if r := recover(); r != nil {
				code, ok := r.(exited)
				require.True(t, ok, "panic %v", r)
				status = int(code)
			}
		}()
		f(c)
	}()
	return out.String(), errb.String(), status
}

func TestParseBadFlagExits2WithOneLineAndHint(t *testing.T) {
	_, stderr, status := run(t, func(c *Command) {
		c.Flags.Int("n", 1, "size")
		c.Parse([]string{"-n", "x"})
	})
	assert.Equal(t, ExitUsage, status)
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	require.Len(t, lines, 2)
	assert.Contains(t, lines[0], "matrix worker: ")
	assert.Contains(t, lines[0], "-n")
	assert.Equal(t, "Run 'matrix worker -h' for usage.", lines[1])
}

func TestParseHelpPrintsUsageAndExits0(t *testing.T) {
	stdout, stderr, status := run(t, func(c *Command) {
		c.Flags.Int("n", 7, "matrix size")
		c.Parse([]string{"-h"})
	})
	assert.Equal(t, ExitOK, status)
	assert.Empty(t, stderr)
	assert.Contains(t, stdout, "usage: matrix worker")
	assert.Contains(t, stdout, "matrix size (default 7)")
}

func TestNoArgsRejectsPositional(t *testing.T) {
	_, stderr, status := run(t, func(c *Command) {
		c.Parse([]string{"frob"})
		c.NoArgs()
	})
	assert.Equal(t, ExitUsage, status)
	assert.Contains(t, stderr, `"frob"`)
}

func TestCheckExitsWithFirstError(t *testing.T) {
	_, stderr, status := run(t, func(c *Command) {
		c.Check(nil, Port("port", 70000), Prob("loss", 2))
	})
	assert.Equal(t, ExitUsage, status)
	first := strings.SplitN(stderr, "\n", 2)[0]
	assert.Equal(t, "matrix worker: flag -port: value 70000: want a port from 1 to 65535", first)
	_, _, status = run(t, func(c *Command) { c.Check(nil, nil) })
	assert.Equal(t, -1, status, "no error: no exit")
}

func TestFailDoesNotDoublePrefix(t *testing.T) {
	for _, msg := range []string{"matrix: no workers", "matrix worker: no workers", "no workers"} {
		_, stderr, status := run(t, func(c *Command) { c.Fail(errors.New(msg)) })
		assert.Equal(t, ExitFailure, status)
		assert.Equal(t, "matrix worker: no workers\n", stderr, msg)
	}
	_, stderr, status := run(t, func(c *Command) { c.Fail(errors.New("index: timeout\nsecond line")) })
	assert.Equal(t, ExitFailure, status)
	assert.Equal(t, "matrix worker: index: timeout; second line\n", stderr)
	_, _, status = run(t, func(c *Command) { c.Fail(nil) })
	assert.Equal(t, -1, status)
}

func TestDispatch(t *testing.T) {
	var got []string
	subs := map[string]func([]string){
		"worker": func(a []string) { got = append([]string{"worker"}, a...) },
		"run":    func(a []string) { got = append([]string{"run"}, a...) },
	}
	call := func(args []string, fallback func([]string)) (string, string, int) {
		var out, errb bytes.Buffer
		status := -1
		dispatch("matrix", "usage: matrix SUBCOMMAND", args, subs, fallback, &out, &errb, func(c int) { status = c })
		return out.String(), errb.String(), status
	}
	_, _, status := call([]string{"worker", "-addr", "x"}, nil)
	assert.Equal(t, -1, status)
	assert.Equal(t, []string{"worker", "-addr", "x"}, got)

	_, stderr, status := call([]string{"frob"}, nil)
	assert.Equal(t, ExitUsage, status)
	assert.Contains(t, stderr, `unknown subcommand "frob": want one of run, worker`)

	_, stderr, status = call(nil, nil)
	assert.Equal(t, ExitUsage, status)
	assert.Contains(t, stderr, "missing subcommand")

	stdout, _, status := call([]string{"-h"}, nil)
	assert.Equal(t, ExitOK, status)
	assert.Contains(t, stdout, "Subcommands: run, worker")

	var fell []string
	_, _, status = call([]string{"-local"}, func(a []string) { fell = a })
	assert.Equal(t, -1, status)
	assert.Equal(t, []string{"-local"}, fell)
}

// atoi is a parse for List.
func atoi(s string) (int, bool) { n, err := strconv.Atoi(s); return n, err == nil }

// listErr keeps List's error, checking its values when there is none.
func listErr(v []int, err error) error {
	if err == nil && !slices.Equal(v, []int{1, 2, 3}) {
		return fmt.Errorf("parsed %v", v)
	}
	return err
}

func TestValidators(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "in.csv")
	require.NoError(t, os.WriteFile(file, []byte("1,2\n"), 0o644))
	cases := []struct {
		err  error
		want string // "" means valid
	}{
		{Port("port", 1), ""},
		{Port("port", 65535), ""},
		{Port("port", 0), "flag -port: value 0: want a port from 1 to 65535"},
		{Port("port", 70000), "flag -port: value 70000"},
		{PortOrZero("port", 0), ""},
		{PortOrZero("port", -1), "from 0 (any free port)"},
		{Addr("addr", "127.0.0.1:9000"), ""},
		{Addr("addr", ":0"), ""},
		{Addr("addr", "[::1]:80"), ""},
		{Addr("addr", "127.0.0.1"), "HOST:PORT"},
		{Addr("addr", "127.0.0.1:99999"), "port from 0 to 65535"},
		{Prob("loss", 0), ""},
		{Prob("loss", 1), ""},
		{Prob("loss", 2), "flag -loss: value 2: want a probability from 0 to 1"},
		{Prob("loss", -0.1), "probability"},
		{IntRange("n", 5, 1, 10), ""},
		{IntRange("n", 0, 1, 10), "flag -n: value 0: want an integer from 1 to 10"},
		{FloatRange("bw", 0.5, 0.001, 1e5), ""},
		{FloatRange("bw", 0, 0.001, 1e5), "flag -bw"},
		{DurationRange("d", time.Second, time.Millisecond, time.Hour), ""},
		{DurationRange("d", 10000*time.Hour, time.Millisecond, time.Hour), "want a duration from 1ms to 1h0m0s"},
		{OneOf("codec", "framed", "classic", "framed"), ""},
		{OneOf("codec", "x", "classic", "framed"), `flag -codec: value "x": want one of classic, framed`},
		{listErr(List("n", "1, 2,3", "integers", atoi)), ""},
		{listErr(List("n", "1,x", "integers", atoi)), `flag -n: value "x": want integers`},
		{NonEmpty("key", ""), "flag -key: must not be empty"},
		{NonEmpty("key", "a"), ""},
		{OutFile("chart", filepath.Join(dir, "a.PNG"), ".png", ".svg"), ""},
		{OutFile("chart", filepath.Join(dir, "a.jpg"), ".png", ".svg"), "ending in .png or .svg"},
		{OutFile("chart", dir, ".png"), "ending in .png"},
		{OutFile("out", dir), "not a directory"},
		{OutFile("out", filepath.Join(dir, "no", "such", "x.png")), "does not exist"},
		{OutDir("out", filepath.Join(dir, "new", "sub")), ""},
		{OutDir("out", file), "a directory that can be created"},
		{InFile("data", file), ""},
		{InFile("data", filepath.Join(dir, "missing")), "an existing file"},
		{InFile("data", dir), "not a directory"},
	}
	for i, c := range cases {
		if c.want == "" {
			assert.NoError(t, c.err, "case %d", i)
		} else if assert.Error(t, c.err, "case %d", i) {
			assert.Contains(t, c.err.Error(), c.want, "case %d", i)
		}
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.HasPrefix(e.Name(), ".netlab-write-check"), "write probe left behind")
	}
}

func TestOutFileUnwritableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		// root writes anywhere; a read-only file system still refuses.
		if _, err := os.Stat("/proc/self"); err != nil {
			t.Skip("no /proc to stand in for a read-only directory")
		}
		err := OutFile("out", "/proc/self/x.png", ".png")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "writable directory")
		return
	}
	dir := t.TempDir()
	require.NoError(t, os.Chmod(dir, 0o500))
	err := OutFile("out", filepath.Join(dir, "x.png"), ".png")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "writable directory")
}

func TestMemory(t *testing.T) {
	avail, ok := availableMemory()
	if !ok {
		t.Skip("no /proc/meminfo on this system")
	}
	assert.NoError(t, Memory("n", 1<<20, "a small matrix"))
	err := Memory("n", avail*4, "three matrices")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "flag -n: three matrices need "+Bytes(avail*4))
}

func TestBytes(t *testing.T) {
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB",
		3 << 30: "3.0 GiB", 1 << 62: "4.0 EiB"} {
		assert.Equal(t, want, Bytes(n), fmt.Sprint(n))
	}
}

// clockedProgress is a Progress writing to a buffer on a fake clock.
func clockedProgress(tty bool, label string, total int64, unit string) (*Progress, *bytes.Buffer, *fakeclock.Clock) {
	var buf bytes.Buffer
	clk := fakeclock.New(time.Unix(0, 0))
	p := newProgress(&buf, tty, label, total, unit)
	p.now = clk.Now
	return p, &buf, clk
}

func TestProgressInAPipeWritesPlainOccasionalLines(t *testing.T) {
	p, buf, clk := clockedProgress(false, "multiply", 10, "tasks")
	p.Set(1)
	clk.Advance(time.Second)
	p.Set(2)
	assert.Empty(t, buf.String(), "short work writes nothing until an interval has passed")
	clk.Advance(5 * time.Second)
	p.Set(4)
	clk.Advance(time.Second)
	p.Set(5)
	p.Done()
	p.Done()
	assert.Equal(t, "multiply:  40% (4/10 tasks)\nmultiply:  50% (5/10 tasks)\n", buf.String())
	assert.NotContains(t, buf.String(), "\r")
	assert.NotContains(t, buf.String(), "\x1b")
}

func TestProgressOnATerminalRedrawsInPlace(t *testing.T) {
	p, buf, clk := clockedProgress(true, "rounds", 4, "rounds")
	p.Set(2)
	clk.Advance(10 * time.Millisecond)
	p.Add(1) // too soon to redraw
	p.Done()
	out := buf.String()
	assert.Equal(t, 2, strings.Count(out, "\r"))
	assert.Contains(t, out, "rounds [==============>               ]  50% 2/4 rounds")
	assert.True(t, strings.HasSuffix(out, " 75% 3/4 rounds\x1b[K\n"), "Done draws where the work stopped: %q", out)
}

func TestProgressUnknownTotal(t *testing.T) {
	var buf bytes.Buffer
	p := newProgress(&buf, false, "captured", 0, "frames")
	p.Set(17)
	p.Done()
	assert.Equal(t, "captured: 17 frames\n", buf.String())
}

func TestLinesDeliversEveryLineThenCloses(t *testing.T) {
	var got []string
	for l := range Lines(strings.NewReader("one\ntwo\r\nthree")) {
		got = append(got, l)
	}
	assert.Equal(t, []string{"one", "two", "three"}, got)
}
