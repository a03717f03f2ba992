package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunTourReportsEachStep(t *testing.T) {
	saved := steps
	t.Cleanup(func() { steps = saved })
	steps = []step{
		{name: "first", title: "works", run: func(ctx context.Context, e *env) error {
			e.Printf("working")
			e.Report("42 things")
			_ = e.Path("pic.png")
			return nil
		}},
		{name: "second", title: "fails", run: func(ctx context.Context, e *env) error {
			return errors.New("boom")
		}},
		{name: "third", title: "cannot run here", run: func(ctx context.Context, e *env) error {
			return fmt.Errorf("%w: no broker", errSkipped)
		}},
	}

	var out bytes.Buffer
	code := runTour(context.Background(), &out, "outdir", "")
	text := out.String()
	assert.Equal(t, 1, code, "one failed step makes the tour fail")
	require.Contains(t, text, "[1/3] first: works")
	assert.Less(t, bytes.Index(out.Bytes(), []byte("first")), bytes.Index(out.Bytes(), []byte("second")))
	assert.Contains(t, text, "42 things")
	assert.Contains(t, text, "wrote outdir/pic.png")
	assert.Contains(t, text, "FAILED: boom")
	assert.Contains(t, text, "skipped: no broker")

	out.Reset()
	assert.Equal(t, 0, runTour(context.Background(), &out, "outdir", "first,third"))
	assert.NotContains(t, out.String(), "second")

	out.Reset()
	assert.Equal(t, 2, runTour(context.Background(), &out, "outdir", "nope"))
	assert.Contains(t, out.String(), "known steps: first, second, third")
}
