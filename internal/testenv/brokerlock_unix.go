//go:build unix

package testenv

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// lockBroker takes a shared or exclusive flock on a file that every test
// process on this machine agrees on, and releases it when the test ends.
func lockBroker(t testing.TB, exclusive bool) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(os.TempDir(), "netlab-rabbitmq-tests.lock"), os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		t.Fatalf("testenv: broker lock: %v", err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	for {
		err = syscall.Flock(int(f.Fd()), how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		t.Fatalf("testenv: broker lock: %v", err)
	}
	t.Cleanup(func() { f.Close() }) // closing the descriptor releases the lock
}
