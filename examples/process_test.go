package examples_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The tests beyond the table (cli_test.go) run a program in the
// background with [startProgram], wait for what it prints with
// [waitForLine], signal it, and check its summary and exit status with
// [started.wait].

// started is an example program running in the background, its stdout and
// stderr going to files; done is closed when it has exited.
type started struct {
	cmd                    *exec.Cmd
	done                   chan struct{}
	stdoutF, stderrF       *os.File
	stdoutPath, stderrPath string
	status                 int
}

// startProgram starts one of the built examples in dir.
func startProgram(t *testing.T, dir, prog string, args ...string) *started {
	t.Helper()
	bin := filepath.Join(build(t), prog)
	s := &started{done: make(chan struct{}), stdoutPath: filepath.Join(dir, prog+".stdout"), stderrPath: filepath.Join(dir, prog+".stderr")}
	var err error
	if s.stdoutF, err = os.Create(s.stdoutPath); err != nil {
		t.Fatal(err)
	}
	if s.stderrF, err = os.Create(s.stderrPath); err != nil {
		t.Fatal(err)
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Dir = dir
	s.cmd.Stdout, s.cmd.Stderr = s.stdoutF, s.stderrF
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = s.cmd.Wait() // the exit status is what the tests check
		s.status = s.cmd.ProcessState.ExitCode()
		s.stdoutF.Close()
		s.stderrF.Close()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = s.cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// wait waits at most limit for the program to exit and returns its exit
// status and output, failing the test if the output holds a control
// character or a panic.
func (s *started) wait(t *testing.T, limit time.Duration) (status int, stdout, stderr string) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(limit):
		t.Fatalf("%s did not exit within %v", s.cmd.Path, limit)
	}
	out, _ := os.ReadFile(s.stdoutPath)
	errOut, _ := os.ReadFile(s.stderrPath)
	for _, b := range [][]byte{out, errOut} {
		if strings.ContainsAny(string(b), "\r\x1b") || strings.Contains(string(b), "panic:") {
			t.Errorf("%s wrote a control character or a panic:\n%s", s.cmd.Path, b)
		}
	}
	return s.status, string(out), string(errOut)
}

// waitForLine polls a program's stdout until re matches, and returns the
// submatches.
func waitForLine(t *testing.T, s *started, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(s.stdoutPath)
		if m := re.FindStringSubmatch(string(b)); m != nil {
			return m
		}
		select {
		case <-s.done:
			// It may have printed the line just before it exited.
			if b, _ := os.ReadFile(s.stdoutPath); re.Match(b) {
				continue
			}
			b, _ := os.ReadFile(s.stderrPath)
			t.Fatalf("%s exited before printing %v: %s", s.cmd.Path, re, b)
		case <-time.After(20 * time.Millisecond):
		}
	}
	b, _ := os.ReadFile(s.stdoutPath)
	t.Fatalf("%s never printed %v; stdout:\n%s", s.cmd.Path, re, b)
	return nil
}
