package renoflag

import (
	"flag"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/reno"
)

func TestVariantsParsesAListAndNamesTheFlag(t *testing.T) {
	vs, err := Variants("variants", "Reno, cubic")
	require.NoError(t, err)
	assert.Equal(t, []reno.Variant{reno.VariantReno, reno.VariantCubic}, vs)
	_, err = Variants("variants", "reno,bbr")
	assert.EqualError(t, err, `flag -variants: value "bbr": want a comma-separated list of `+VariantNames())
}

func TestPattern(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	var p string
	PatternVar(fs, &p)
	require.NoError(t, fs.Parse([]string{"-pattern", "periodic"}))
	assert.NoError(t, CheckPattern(p))
	assert.Equal(t, reno.LossPeriodic, LossPattern(p))
	assert.Equal(t, reno.LossBernoulli, LossPattern("random"))
	assert.ErrorContains(t, CheckPattern("bursty"), "-pattern")
}

func TestWarmup(t *testing.T) {
	assert.NoError(t, Warmup(0, time.Second))
	assert.ErrorContains(t, Warmup(time.Second, time.Second), "-warmup")
	assert.ErrorContains(t, Warmup(-1, time.Second), "-warmup")
}
