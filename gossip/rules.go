package gossip

import (
	"fmt"
	"math/rand/v2"
)

// Mode says which way rumors travel when two nodes talk.
type Mode uint8

// The three modes of Demers et al.: the caller pushes its hot rumors to the
// peer, pulls the peer's hot rumors, or both in one exchange.
const (
	Push Mode = iota + 1
	Pull
	PushPull
)

// String names the mode.
func (m Mode) String() string { return enumName(modeNames[:], uint8(m), "mode") }

var modeNames = [...]string{Push: "push", Pull: "pull", PushPull: "push-pull"}

// enumName is names[v], or kind(v) for a value without a name: the String
// method of each of the package's enumerations.
func enumName(names []string, v uint8, kind string) string {
	if int(v) < len(names) && names[v] != "" {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", kind, v)
}

// StopKind selects when a node loses interest in a rumor ("the rumor goes
// cold" and is no longer spread, though it is still remembered).
type StopKind uint8

// The stopping rules.
const (
	// StopCoin: after each round in which it spread the rumor, the node keeps
	// it hot with probability P (the course's "re-gossip with probability 0.5";
	// Demers' blind coin with k = 1/(1-P)).
	StopCoin StopKind = iota + 1
	// StopFeedback: the node loses interest after K contacts that already
	// knew the rumor (Demers' feedback counter).
	StopFeedback
	// StopRounds: the node spreads the rumor for exactly Rounds rounds.
	StopRounds
)

// StopRule is a stopping rule with its parameter.
type StopRule struct {
	Kind   StopKind
	P      float64 // StopCoin: probability of staying hot after a round
	K      int     // StopFeedback: unnecessary contacts tolerated
	Rounds int     // StopRounds: rounds a rumor stays hot
}

// Coin returns the rule "stay hot with probability p after each round".
func Coin(p float64) StopRule { return StopRule{Kind: StopCoin, P: p} }

// Feedback returns the rule "go cold after k contacts that already knew".
func Feedback(k int) StopRule { return StopRule{Kind: StopFeedback, K: k} }

// AfterRounds returns the rule "spread for exactly r rounds".
func AfterRounds(r int) StopRule { return StopRule{Kind: StopRounds, Rounds: r} }

// String shows the rule and its parameter, e.g. "coin(p=0.5)".
func (s StopRule) String() string {
	switch s.Kind {
	case StopCoin:
		return fmt.Sprintf("coin(p=%g)", s.P)
	case StopFeedback:
		return fmt.Sprintf("feedback(k=%d)", s.K)
	case StopRounds:
		return fmt.Sprintf("rounds(%d)", s.Rounds)
	}
	return fmt.Sprintf("stop(%d)", uint8(s.Kind))
}

func (s StopRule) validate(field string) error {
	switch s.Kind {
	case StopCoin:
		if s.P < 0 || s.P >= 1 {
			return fmt.Errorf("gossip: %s: coin probability %v not in [0,1)", field, s.P)
		}
	case StopFeedback:
		if s.K < 1 {
			return fmt.Errorf("gossip: %s: feedback K %d must be at least 1", field, s.K)
		}
	case StopRounds:
		if s.Rounds < 1 {
			return fmt.Errorf("gossip: %s: Rounds %d must be at least 1", field, s.Rounds)
		}
	default:
		return fmt.Errorf("gossip: %s: unknown stop rule kind %d", field, s.Kind)
	}
	return nil
}

// RumorState is one node's state for one rumor as the stopping rules see
// it. The [Engine] keeps one per rumor; the simulator (gossip/sim) keeps one
// per node and applies the very same rules, so both spread alike.
type RumorState struct {
	Hot  bool   // still being spread
	Age  uint16 // rounds spent hot
	Hits uint16 // contacts that already knew it (feedback)
}

// AfterRound applies the rule at the end of a round in which st was hot and
// spread: it ages the rumor and may cool it.
func (s StopRule) AfterRound(st *RumorState, rng *rand.Rand) {
	if !st.Hot {
		return
	}
	if st.Age < 0xffff {
		st.Age++
	}
	switch s.Kind {
	case StopCoin:
		if rng.Float64() >= s.P {
			st.Hot = false
		}
	case StopRounds:
		if int(st.Age) >= s.Rounds {
			st.Hot = false
		}
	}
}

// OnFeedback applies the rule when a contact turned out to know the rumor
// already. Only [StopFeedback] reacts.
func (s StopRule) OnFeedback(st *RumorState) {
	if s.Kind != StopFeedback || !st.Hot {
		return
	}
	if st.Hits < 0xffff {
		st.Hits++
	}
	if int(st.Hits) >= s.K {
		st.Hot = false
	}
}
