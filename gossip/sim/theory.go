package sim

import (
	"math"

	"github.com/netlab-go/netlab/gossip"
)

// PushRounds is the expected number of rounds for push gossip with fanout f
// to reach all n nodes (Pittel 1987 for f=1; log n / log(1+f) + ln(n)/f in
// general): the informed set grows by a factor 1+f per round until it is a
// constant fraction, then the last uninformed nodes are hit at rate f per
// round, which takes ln(n)/f more rounds.
func PushRounds(n, f int) float64 {
	return math.Log(float64(n))/math.Log(1+float64(f)) + math.Log(float64(n))/float64(f)
}

// PushPullRounds is Karp et al.'s log_3 n + O(log log n) for push-pull with
// fanout 1; the O(log log n) term is taken as ln ln n.
func PushPullRounds(n int) float64 {
	return math.Log(float64(n))/math.Log(3) + math.Log(math.Log(float64(n)))
}

// MeanField returns the expected fraction of informed nodes after each round
// 0..rounds for a rumor that never stops, by the mean-field recurrence on
// the uninformed fraction s (starting from 1 - 1/n):
//
//	push:      s' = s · e^(-f(1-s))     (each informed node hits f random nodes)
//	pull:      s' = s · s^f             (an uninformed node asks f nodes, all uninformed)
//	push-pull: s' = s^(f+1) · e^(-f(1-s))
//
// Pull's squaring (f=1) is Demers' observation that anti-entropy by pull
// converges quadratically at the end.
func MeanField(mode gossip.Mode, n, f, rounds int) []float64 {
	s := 1 - 1/float64(n)
	ff := float64(f)
	out := []float64{1 - s}
	for range rounds {
		switch mode {
		case gossip.Push:
			s *= math.Exp(-ff * (1 - s))
		case gossip.Pull:
			s *= math.Pow(s, ff)
		case gossip.PushPull:
			s = math.Pow(s, ff+1) * math.Exp(-ff*(1-s))
		}
		out = append(out, 1-s)
	}
	return out
}
