// The command-line contract of every program under examples/, tested from
// outside: each program is built once, then run with bad invocations (exit
// status 2 or 1, one line naming the problem, never a Go panic) and with its
// documented happy path (exit 0, output free of carriage returns when it
// goes to a file). Each program registers its cases in cli_<dir>_test.go.
package examples_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testenv"
)

// invocation is one bad use of a program and what it must get.
type invocation struct {
	args  []string
	stdin string
	exit  int    // 2 for misuse, 1 for a failure at run time
	want  string // a substring of stderr's first line, such as the flag's name
}

// program is one example and its cases.
type program struct {
	dir   string // examples/<dir>
	bad   []invocation
	happy [][]string // documented invocations that must succeed
	// timeout bounds each happy run (default 2 minutes).
	timeout time.Duration
	// happyNeeds names an environment variable the happy paths need, such
	// as AMQP_URL for a broker; without it they skip (fail in CI, see
	// internal/testenv). When needy is set, happyNeeds applies to needy
	// alone and happy runs without it.
	happyNeeds, happyHow string
	needy                [][]string
}

var (
	programs  = map[string]program{}
	buildOnce sync.Once
	binDir    string
	buildErr  error
	buildOut  []byte
)

// register adds p to the table; each cli_<dir>_test.go calls it once.
func register(p program) bool {
	if _, dup := programs[p.dir]; dup {
		panic("examples: program registered twice: " + p.dir)
	}
	programs[p.dir] = p
	return true
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// build compiles every registered program in one go build.
func build(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "netlab-examples-")
		if buildErr != nil {
			return
		}
		args := []string{"build", "-o", binDir + string(os.PathSeparator)}
		for _, dir := range sortedDirs() {
			args = append(args, "./"+dir)
		}
		buildOut, buildErr = exec.Command("go", args...).CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("building the examples: %v\n%s", buildErr, buildOut)
	}
	return binDir
}

func sortedDirs() []string {
	dirs := make([]string, 0, len(programs))
	for d := range programs {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	return dirs
}

// TestEveryExampleIsRegistered keeps the table complete: a new example
// cannot skip the contract.
func TestEveryExampleIsRegistered(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "testdata" {
			continue
		}
		if _, err := os.Stat(filepath.Join(e.Name(), "main.go")); err != nil {
			continue
		}
		p, ok := programs[e.Name()]
		if !ok {
			t.Errorf("examples/%s has no cli_%s_test.go registering its cases", e.Name(), e.Name())
			continue
		}
		if len(p.bad) < 3 {
			t.Errorf("examples/%s: %d bad invocations, want at least 3", e.Name(), len(p.bad))
		}
		if len(p.happy) == 0 {
			t.Errorf("examples/%s: no happy path", e.Name())
		}
	}
}

type result struct {
	stdout, stderr string
	status         int
}

func runProgram(t *testing.T, bin string, args []string, stdin string, timeout time.Duration) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	dir := t.TempDir()
	// Output goes to files, as when a user redirects it, so that a program
	// that draws progress for a terminal is caught writing \r into a file.
	outF, err := os.Create(filepath.Join(dir, ".stdout"))
	if err != nil {
		t.Fatal(err)
	}
	errF, err := os.Create(filepath.Join(dir, ".stderr"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = outF, errF
	cmd.Stdin = strings.NewReader(stdin)
	cmd.WaitDelay = 5 * time.Second
	runErr := cmd.Run()
	outF.Close()
	errF.Close()
	if ctx.Err() != nil {
		t.Fatalf("%s %q did not finish within %v", filepath.Base(bin), args, timeout)
	}
	r := result{status: cmd.ProcessState.ExitCode()}
	if runErr != nil && r.status < 0 {
		t.Fatalf("%s %q: %v", filepath.Base(bin), args, runErr)
	}
	stdout, _ := os.ReadFile(outF.Name())
	stderr, _ := os.ReadFile(errF.Name())
	r.stdout, r.stderr = string(stdout), string(stderr)
	for _, s := range []string{r.stdout, r.stderr} {
		for _, bad := range []string{"panic:", "goroutine ", "runtime error", "fatal error:"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s %q printed %q:\n%s", filepath.Base(bin), args, bad, s)
			}
		}
		if strings.ContainsAny(s, "\r\x1b") {
			t.Errorf("%s %q wrote a control character (\\r or ESC) into a file", filepath.Base(bin), args)
		}
	}
	return r
}

func TestBadInvocations(t *testing.T) {
	bins := build(t)
	for _, dir := range sortedDirs() {
		p := programs[dir]
		t.Run(dir, func(t *testing.T) {
			for _, inv := range p.bad {
				r := runProgram(t, filepath.Join(bins, dir), inv.args, inv.stdin, time.Minute)
				name := dir + " " + strings.Join(quoteAll(inv.args), " ")
				if r.status != inv.exit {
					t.Errorf("%s: exit status %d, want %d\nstderr: %s", name, r.status, inv.exit, r.stderr)
				}
				lines := nonEmptyLines(r.stderr)
				if len(lines) == 0 {
					t.Errorf("%s: nothing on stderr", name)
					continue
				}
				if inv.exit == 2 && len(lines) > 2 {
					t.Errorf("%s: misuse printed %d lines on stderr, want the message and the -h hint:\n%s", name, len(lines), r.stderr)
				}
				first := lines[0]
				if inv.exit == 1 {
					first = lines[len(lines)-1] // a failure may follow the program's progress lines
				}
				if !strings.Contains(first, inv.want) {
					t.Errorf("%s: stderr line %q does not name %q", name, first, inv.want)
				}
			}
		})
	}
}

func TestHappyPaths(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the happy paths run every example end to end")
	}
	bins := build(t)
	for _, dir := range sortedDirs() {
		p := programs[dir]
		timeout := p.timeout
		if timeout == 0 {
			timeout = 2 * time.Minute
		}
		t.Run(dir, func(t *testing.T) {
			needy := p.needy
			if len(needy) == 0 {
				needy = p.happy // every happy run needs happyNeeds
			} else {
				runHappy(t, filepath.Join(bins, dir), p.happy, timeout)
			}
			switch {
			case p.happyNeeds == "AMQP_URL":
				testenv.AMQPURL(t) // skips like Missing, and shares the broker (see there)
			case p.happyNeeds != "" && os.Getenv(p.happyNeeds) == "":
				testenv.Missing(t, p.happyNeeds, p.happyHow)
			}
			runHappy(t, filepath.Join(bins, dir), needy, timeout)
		})
	}
}

// runHappy runs the program bin with each of runs and expects success.
func runHappy(t *testing.T, bin string, runs [][]string, timeout time.Duration) {
	t.Helper()
	for _, args := range runs {
		r := runProgram(t, bin, args, "", timeout)
		if r.status != 0 {
			t.Errorf("%s %q: exit status %d\nstdout: %s\nstderr: %s",
				filepath.Base(bin), args, r.status, tail(r.stdout), tail(r.stderr))
		}
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

func quoteAll(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		if a == "" || strings.ContainsAny(a, " \t") {
			a = "'" + a + "'"
		}
		out[i] = a
	}
	return out
}

func tail(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return strings.Join(lines, "\n")
}
