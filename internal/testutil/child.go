package testutil

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// Child is the test binary run again as a helper process, for a test that
// needs a real process it can kill -9 (a worker dying mid-task). The
// test's TestMain recognises the environment variable and runs the
// helper's code instead of the tests.
type Child struct {
	cmd *exec.Cmd
	out *bufio.Reader
}

// StartSelf runs the test binary with env (NAME=value) added and no test
// selected. The test's cleanup kills it if it still runs.
func StartSelf(t testing.TB, env ...string) *Child {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &Child{cmd: cmd, out: bufio.NewReader(out)}
	t.Cleanup(func() { _ = c.Kill() })
	return c
}

// Line returns the next line the child prints, without its newline, or ""
// once its output has ended.
func (c *Child) Line() string {
	line, err := c.out.ReadString('\n')
	if err != nil && err != io.EOF {
		return ""
	}
	return strings.TrimSuffix(line, "\n")
}

// Kill sends SIGKILL, which the child cannot catch, and waits for it to
// be gone. Killing a child that has exited is not an error.
func (c *Child) Kill() error {
	if c.cmd.ProcessState != nil {
		return nil
	}
	if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	_ = c.cmd.Wait()
	return nil
}
