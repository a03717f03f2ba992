package testenv

import (
	"testing"
)

type recorder struct {
	testing.TB
	skipped, failed bool
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = true
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = true
}

func TestMissingSkipsOrFails(t *testing.T) {
	t.Setenv(RequireEnv, "")
	r := &recorder{TB: t}
	Missing(r, "tshark", "apt-get install tshark")
	if !r.skipped || r.failed {
		t.Fatalf("without %s a missing tool must skip: %+v", RequireEnv, r)
	}
	t.Setenv(RequireEnv, "1")
	r = &recorder{TB: t}
	Missing(r, "tshark", "apt-get install tshark")
	if !r.failed || r.skipped {
		t.Fatalf("with %s=1 a missing tool must fail: %+v", RequireEnv, r)
	}
}

func TestLookPathFindsAProgramEveryMachineHas(t *testing.T) {
	t.Setenv(RequireEnv, "1")
	r := &recorder{TB: t}
	if p := LookPath(r, "sh", "it is part of every system"); p == "" || r.failed || r.skipped {
		t.Fatalf("sh not found: %q %+v", p, r)
	}
	r = &recorder{TB: t}
	LookPath(r, "no-such-program-netlab", "nothing")
	if !r.failed {
		t.Fatal("a missing program with the switch set must fail")
	}
}
