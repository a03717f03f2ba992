// Package testenv decides what a test does when something it needs from
// outside Go is missing (a program such as tshark or chromium, a RabbitMQ
// broker, root, network namespaces).
//
// On a developer's machine such a test skips and says how to enable it. In
// CI, where .ci/run installs everything and sets NETLAB_REQUIRE_TOOLS=1, the
// same condition fails the test instead, so that a broken install or a bug
// that looks like a missing tool can never hide behind a skip.
package testenv

import (
	"os"
	"os/exec"
	"testing"
)

// RequireEnv is the environment variable that turns every "tool missing"
// skip into a failure.
const RequireEnv = "NETLAB_REQUIRE_TOOLS"

// Required reports whether missing tools fail tests rather than skip them.
func Required() bool { return os.Getenv(RequireEnv) == "1" }

// Missing skips t (or fails it, when [Required]) because what is missing;
// how says how to provide it.
func Missing(t testing.TB, what, how string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is missing and %s=1 requires it: %s", what, RequireEnv, how)
		return
	}
	t.Skipf("%s is missing; to run this test: %s", what, how)
}

// LookPath returns the path of program, or calls [Missing] with the hint how.
func LookPath(t testing.TB, program, how string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err != nil {
		Missing(t, program, how)
	}
	return p
}

// Root calls [Missing] unless the test runs as root.
func Root(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "root", "run the tests as root ("+why+")")
	}
}
