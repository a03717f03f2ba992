package chart_test

import (
	"fmt"

	"github.com/netlab-go/netlab/p2p/chart"
)

// The degree figure is a model that can be checked before it is saved:
// two log-log panels, the series drawn in each, and the legend beneath.
func ExampleDegrees() {
	degrees := []int{2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 5, 6, 8, 11, 15, 24}
	f, err := chart.Degrees(degrees, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Title)
	for i, p := range f.Panels {
		fmt.Printf("panel %d: %q, x %q, y %q, %d series\n", i+1, p.Title.Text, p.X.Label.Text, p.Y.Label.Text, f.Series[i])
	}
	for _, e := range f.Legend {
		fmt.Println("legend:", e)
	}
	// f.Save("degrees.png") writes it; .svg works too. (α and D agree with
	// a hand computation: α = 1 + 20 / Σ ln(k/1.5) = 2.089, D = 0.0298.)

	// Output:
	// Degree distribution of 20 peers
	// panel 1: "P(k): share of peers with degree k", x "degree k (neighbours)", y "P(k), fraction of peers", 3 series
	// panel 2: "P(K ≥ k): share with degree k or more", x "degree k (neighbours)", y "P(K ≥ k), fraction of peers", 2 series
	// legend: measured, one point per degree (left P(k), right P(K ≥ k))
	// legend: measured P(k) in logarithmic bins [1,2), [2,4), [4,8), ... (average per degree, at the bin's mean degree)
	// legend: power law P(k) ~ k^(-α), α = 2.09: discrete maximum likelihood over k ≥ 2 (20 of 20 peers); goodness of fit: Kolmogorov-Smirnov distance D = 0.030
}
