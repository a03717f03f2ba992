package defaults

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

type inner struct{ A, B int }

type config struct {
	Name     string
	N        int
	Timeout  time.Duration
	On       bool
	Limits   inner
	OnEvent  func()
	internal int
}

func TestFill(t *testing.T) {
	d := config{Name: "d", N: 3, Timeout: time.Second, On: true, Limits: inner{1, 2}, internal: 9}
	got := Fill(config{}, d)
	got.OnEvent = nil
	assert.Equal(t, config{Name: "d", N: 3, Timeout: time.Second, On: true, Limits: inner{1, 2}}, got,
		"every exported zero field takes the default; an unexported one keeps its own")

	called := false
	set := config{Name: "mine", N: -1, Limits: inner{A: 5}, OnEvent: func() { called = true }, internal: 4}
	got = Fill(set, d)
	got.OnEvent()
	assert.True(t, called, "a set func is kept")
	got.OnEvent = nil
	assert.Equal(t, config{Name: "mine", N: -1, Timeout: time.Second, On: true, Limits: inner{A: 5}, internal: 4}, got,
		"set fields are kept, a partly set struct field whole")
}

func TestFillNegativeZero(t *testing.T) {
	type spread struct{ Spread float64 }
	got := Fill(spread{Spread: math.Copysign(0, -1)}, spread{Spread: 1})
	assert.Equal(t, 1.0, got.Spread, "negative zero is zero, as with cmp.Or")
	got = Fill(spread{Spread: -0.5}, spread{Spread: 1})
	assert.Equal(t, -0.5, got.Spread, "a set negative value is kept")
}
