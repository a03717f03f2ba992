package examples_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// interruption is a long run that SIGTERM and SIGINT must stop the same
// way: the summary of what was measured on stdout, one last stderr line
// saying it was interrupted, exit status 1, and no picture of a run that
// did not finish.
type interruption struct {
	prog    string         // directory under examples
	args    []string       // the long run
	ready   *regexp.Regexp // a line on stdout once the work is under way
	summary *regexp.Regexp // the summary it must print on stdout
	last    string         // prefix of stderr's last line
	noFile  string         // a file in the run's directory that must not exist
}

// testInterruptedBySignal runs c once per signal, each in its own temp dir.
func testInterruptedBySignal(t *testing.T, c interruption) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			s := startProgram(t, dir, c.prog, c.args...)
			waitForLine(t, s, c.ready)
			if err := s.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			status, out, errOut := s.wait(t, time.Minute)
			if status != 1 {
				t.Errorf("exit status %d, want 1; stderr %q", status, errOut)
			}
			if !c.summary.MatchString(out) {
				t.Errorf("no summary matching %q on stdout:\n%s", c.summary, out)
			}
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, c.last) {
				t.Errorf("stderr's last line %q does not start with %q", last, c.last)
			}
			if _, err := os.Stat(filepath.Join(dir, c.noFile)); err == nil {
				t.Errorf("an interrupted run wrote %s", c.noFile)
			}
		})
	}
}
