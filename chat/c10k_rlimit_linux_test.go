//go:build linux

package chat

import (
	"fmt"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// raiseNoFile raises this process's RLIMIT_NOFILE soft limit to at least
// need, or says what is needed when the hard limit is lower and cannot be
// raised (that takes CAP_SYS_RESOURCE).
func raiseNoFile(need uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return fmt.Errorf("getrlimit: %w", err)
	}
	if lim.Cur >= need {
		return nil
	}
	want := lim
	want.Cur = need
	if want.Max < need {
		want.Max = need
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err == nil {
		return nil
	}
	return fmt.Errorf("%d open files needed per process, RLIMIT_NOFILE is %d (hard limit %d) and cannot be raised: "+
		"run as root with CAP_SYS_RESOURCE, or raise the hard limit (`ulimit -Hn %d` in a root shell, "+
		"nofile in /etc/security/limits.conf, LimitNOFILE= for systemd)", need, lim.Cur, lim.Max, need)
}

// TestRaiseNoFile checks that a need within the soft limit is met and that
// a need above the hard limit is either met (with CAP_SYS_RESOURCE) or
// refused with an error that names how many files are needed.
func TestRaiseNoFile(t *testing.T) {
	var lim syscall.Rlimit
	require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim))
	require.NoError(t, raiseNoFile(lim.Cur))
	if lim.Max == ^uint64(0) || lim.Max >= 1<<30 {
		return // no hard limit to exceed
	}
	need := lim.Max + 1
	if err := raiseNoFile(need); err != nil {
		assert.ErrorContains(t, err, fmt.Sprintf("%d open files needed", need))
	} else {
		var now syscall.Rlimit
		require.NoError(t, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &now))
		assert.GreaterOrEqual(t, now.Cur, need)
		now.Cur = lim.Cur // leave the soft limit as it was
		require.NoError(t, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &now))
	}
}
