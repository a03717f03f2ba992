// Package renoflag holds the flags that the reno examples (reno,
// reno-sweep and reno-linux) share, so that each is spelled, checked and
// explained the same way in all three: the loss pattern, a list of
// congestion-control variants, and a warm-up shorter than the run.
package renoflag

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/netlab-go/netlab/internal/cli"
	"github.com/netlab-go/netlab/reno"
)

// PatternVar defines -pattern, how loss is applied: "random" (Bernoulli,
// the default) or "periodic" (one in 1/p). Check it with [CheckPattern].
func PatternVar(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "pattern", "random", "how loss is applied: random (Bernoulli) or periodic (one in 1/p)")
}

// CheckPattern accepts the values of -pattern.
func CheckPattern(pattern string) error { return cli.OneOf("pattern", pattern, "random", "periodic") }

// LossPattern is the [reno.LossPattern] a checked -pattern names.
func LossPattern(pattern string) reno.LossPattern {
	if pattern == "periodic" {
		return reno.LossPeriodic
	}
	return reno.LossBernoulli
}

// VariantNames lists every variant, for help texts: "tahoe, reno, ...".
func VariantNames() string {
	names := make([]string, len(reno.Variants))
	for i, v := range reno.Variants {
		names[i] = string(v)
	}
	return strings.Join(names, ", ")
}

// Variants parses the comma-separated list of variants given to the flag
// named name; the error names the flag and the first unknown value.
func Variants(name, list string) ([]reno.Variant, error) {
	return cli.List(name, list, "a comma-separated list of "+VariantNames(), func(f string) (reno.Variant, bool) {
		v, err := reno.ParseVariant(f)
		return v, err == nil
	})
}

// Warmup accepts a -warmup of at least 0 and shorter than -duration.
func Warmup(warmup, duration time.Duration) error {
	if warmup < 0 || warmup >= duration {
		return fmt.Errorf("flag -warmup: value %v: want at least 0 and less than -duration (%v)", warmup, duration)
	}
	return nil
}
