package p2p

import (
	"math/rand/v2"
	"net/netip"
	"slices"
)

// RobustnessPoint is the size of the largest connected component, as a
// fraction of all nodes, after a fraction Removed of the nodes is gone.
type RobustnessPoint struct {
	Removed  float64
	Random   float64 // nodes removed uniformly at random (failures)
	Targeted float64 // nodes removed highest degree first (an attack)
}

// Robustness repeats the experiment of Albert, Jeong and Barabási (2000) on
// the overlay: it removes nodes in two orders, at random and by decreasing
// degree, and after each of steps equal slices (up to half the nodes)
// measures the largest component that remains. In a power-law overlay the
// random curve stays high while the targeted one collapses.
func (o Overlay) Robustness(steps int, rnd *rand.Rand) []RobustnessPoint {
	n := len(o.Nodes)
	if n == 0 || steps < 1 {
		return nil
	}
	random := rnd.Perm(n)
	deg := o.Degrees()
	targeted := make([]int, n)
	for i := range targeted {
		targeted[i] = i
	}
	slices.SortStableFunc(targeted, func(a, b int) int { return deg[b] - deg[a] })
	out := make([]RobustnessPoint, 0, steps+1)
	for s := 0; s <= steps; s++ {
		k := s * (n / 2) / steps
		out = append(out, RobustnessPoint{
			Removed:  float64(k) / float64(n),
			Random:   float64(o.giantWithout(random[:k])) / float64(n),
			Targeted: float64(o.giantWithout(targeted[:k])) / float64(n),
		})
	}
	return out
}

// giantWithout returns the size of the largest component once the nodes at
// the given indexes are removed.
func (o Overlay) giantWithout(removed []int) int {
	gone := map[netip.AddrPort]bool{}
	for _, i := range removed {
		gone[o.Nodes[i]] = true
	}
	best := 0
	for _, n := range o.componentSizes(gone) {
		best = max(best, n)
	}
	return best
}
