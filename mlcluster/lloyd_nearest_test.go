package mlcluster

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestNearestExactDistances: nearest (the k-means|| refinement's
// assignment) gives the exact squared distance and the index of the closest
// centroid for odd and even widths: every column counts, the last centroid
// is a candidate, a tie goes to the lower index, and values left over past
// the last whole centroid are no centroid.
func TestNearestExactDistances(t *testing.T) {
	for d := 1; d <= 5; d++ {
		t.Run(fmt.Sprint(d), func(t *testing.T) {
			row := make([]float64, d)
			for j := range row {
				row[j] = float64(j + 1)
			}
			far := make([]float64, d) // 10 off in every column
			for j := range far {
				far[j] = row[j] - 10
			}
			farDist := 100 * float64(d)
			shifted := func(j int, by float64) []float64 {
				c := append([]float64(nil), row...)
				c[j] += by
				return c
			}
			cat := func(cs ...[]float64) []float64 {
				var out []float64
				for _, c := range cs {
					out = append(out, c...)
				}
				return out
			}
			dist, i := nearest(row, far)
			assert.Equal(t, farDist, dist)
			assert.Equal(t, 0, i)
			// The last column off by 2 (distance 4), the first by 3 (9).
			dist, i = nearest(row, cat(far, shifted(0, 3), shifted(d-1, -2)))
			assert.Equal(t, 4.0, dist, "the last centroid, its last column")
			assert.Equal(t, 2, i)
			dist, i = nearest(row, cat(far, shifted(d-1, 2), shifted(0, -3), shifted(d-1, -2)))
			assert.Equal(t, 4.0, dist)
			assert.Equal(t, 1, i, "a tie goes to the lower index")
			if d > 1 {
				dist, i = nearest(row, cat(shifted(d-1, 3), shifted(d-2, -1)))
				assert.Equal(t, 1.0, dist, "the column before the last")
				assert.Equal(t, 1, i)
			}
			dist, i = nearest(row, append(cat(far, shifted(0, 3)), row[:d-1]...))
			assert.Equal(t, 9.0, dist, "a partial centroid at the end is ignored")
			assert.Equal(t, 1, i)
		})
	}
}
