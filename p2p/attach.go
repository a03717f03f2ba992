package p2p

import (
	"math"
	"math/rand/v2"
	"net/netip"
)

// Candidate is a peer a joining node may connect to, with what the node
// knows of its degree.
type Candidate struct {
	Addr   netip.AddrPort
	Degree int
}

// PreferentialPick chooses up to m distinct candidates at random, each with
// probability proportional to its degree plus one: preferential attachment.
// The plus one lets a newcomer of degree zero be chosen at all (the
// Barabási–Albert model gives every node its m initial links instead). The
// choice is without replacement: after each pick the chosen candidate's weight
// leaves the pool. It is a pure function of its arguments.
func PreferentialPick(rnd *rand.Rand, cands []Candidate, m int) []netip.AddrPort {
	pool := append([]Candidate(nil), cands...)
	var out []netip.AddrPort
	for len(out) < m && len(pool) > 0 {
		total := 0
		for _, c := range pool {
			total += max(c.Degree, 0) + 1
		}
		x := rnd.IntN(total)
		for i, c := range pool {
			x -= max(c.Degree, 0) + 1
			if x < 0 {
				out = append(out, c.Addr)
				pool = append(pool[:i], pool[i+1:]...)
				break
			}
		}
	}
	return out
}

// CourseCapacity is the course's rule for the most neighbours the peer with
// the given id accepts: 40·1.5^(−id/10), at least 1. Early peers (small ids)
// may become hubs; late ones stay small, which also bends the degree
// distribution toward a power law.
func CourseCapacity(id int) int {
	c := int(math.Floor(40 * math.Pow(1.5, -float64(id)/10)))
	return max(c, 1)
}

// Majority returns ⌊n/2⌋+1, the number of seeds a peer registers with when it
// knows n seeds.
func Majority(n int) int { return n/2 + 1 }
