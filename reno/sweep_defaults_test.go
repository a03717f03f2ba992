package reno

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// TestDefaultSweepConfigAsDocumented: one Reno flow, 100 Mb/s, a
// 10000-packet buffer, 200 simulated seconds a point after 20 s of
// warm-up, p from 0.0005 to 0.1 under random loss, with the round model.
func TestDefaultSweepConfigAsDocumented(t *testing.T) {
	c := DefaultSweepConfig()
	assert.Equal(t, 100e6, c.Base.Link.Bandwidth)
	assert.Equal(t, 10000, c.Base.Link.Buffer)
	assert.Equal(t, 200*time.Second, c.Base.Duration)
	assert.Equal(t, 20*time.Second, c.Base.Warmup)
	assert.Equal(t, []FlowConfig{DefaultFlow(VariantReno)}, c.Base.Flows)
	assert.Equal(t, []float64{0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1}, c.Losses)
	assert.Equal(t, LossBernoulli, c.Pattern)
	assert.True(t, c.Rounds)
	assert.NoError(t, c.Base.Validate())
}
