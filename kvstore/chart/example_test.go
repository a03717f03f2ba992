package chart_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/netlab-go/netlab/kvstore/chart"
)

// Divergent keys sampled through a partition and its repair, drawn with
// the events marked.
func ExampleWriteConvergence() {
	dir, _ := os.MkdirTemp("", "kvchart")
	defer os.RemoveAll(dir)
	samples := []chart.Sample{
		{At: 0, Divergent: 0},
		{At: 200 * time.Millisecond, Divergent: 60},
		{At: 400 * time.Millisecond, Divergent: 97},
		{At: 900 * time.Millisecond, Divergent: 97},
		{At: 1100 * time.Millisecond, Divergent: 30},
		{At: 1200 * time.Millisecond, Divergent: 0},
	}
	marks := []chart.Mark{{At: 0, Label: "partition"}, {At: 900 * time.Millisecond, Label: "heal"}}
	err := chart.WriteConvergence(filepath.Join(dir, "convergence.svg"), "A partition and its repair", samples, marks)
	fmt.Println(err)
	// Output: <nil>
}
