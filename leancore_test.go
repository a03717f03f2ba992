package netlab_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestConceptPackagesDoNotImportThePlottingStack keeps the core lean: a
// program that imports a concept (the index rules, the Reno state machine)
// must not carry a chart renderer. Pictures live in the chart packages
// beside each concept (reno/chart, p2p/chart, ...), which the examples and
// the tour import.
func TestConceptPackagesDoNotImportThePlottingStack(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps=false", "-f", `{{.ImportPath}}|{{.Name}}|{{join .Deps " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			continue
		}
		path, name, deps := parts[0], parts[1], strings.Fields(parts[2])
		if name == "main" || strings.HasSuffix(path, "/chart") || strings.Contains(path, "/internal/plotkit") || strings.Contains(path, "/examples/") {
			continue
		}
		checked++
		nonStd := 0
		for _, d := range deps {
			if strings.HasPrefix(d, "gonum.org/v1/plot") {
				t.Errorf("%s imports %s (through its dependencies): move its pictures to a chart package", path, d)
				break
			}
			if strings.Contains(strings.SplitN(d, "/", 2)[0], ".") {
				nonStd++
			}
		}
		t.Logf("%-45s %3d non-standard packages", path, nonStd)
	}
	if checked < 12 {
		t.Fatalf("checked only %d packages: the listing is broken", checked)
	}
}
