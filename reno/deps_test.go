package reno

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestNoPlottingStack keeps the simulator light: reno imports only the
// standard library; the charts live in reno/chart (issue 25).
func TestNoPlottingStack(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "github.com/netlab-go/netlab/reno" {
			continue
		}
		first := strings.SplitN(pkg, "/", 2)[0]
		require.NotContains(t, first, ".", "reno imports %s: only the standard library is allowed", pkg)
	}
}
