package p2p

import (
	"errors"

	"github.com/netlab-go/netlab/internal/calls"
	"github.com/netlab-go/netlab/internal/defaults"
)

// ErrClosed is matched (errors.Is) by what [Seed.Run] and [Peer.Run]
// return when called after [Seed.Close] or [Peer.Close].
var ErrClosed = errors.New("p2p: closed")

// begin marks the server as running, or says why it cannot run: it is
// closed (an error matching [ErrClosed] and net.ErrClosed), or ran
// already. A Run whose begin succeeded must call s.conns.End when it returns.
func (s *server) begin(who string) error {
	return s.conns.Begin(calls.ClosedError(ErrClosed, "p2p: "+who+" is closed"), "p2p: "+who+".Run")
}

// The zero value of an optional field of a config means its default, as in
// net/http; withDefaults fills those in from DefaultConfig or
// DefaultSeedConfig (internal/defaults), and validate refuses what remains invalid with an error
// naming the field.

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	d.GossipCount = 0 // 0 publishes nothing of its own
	return defaults.Fill(c, d)
}

func (c SeedConfig) withDefaults() SeedConfig {
	d := DefaultSeedConfig()
	d.CheckSource = false // false is a choice, not "unset"
	return defaults.Fill(c, d)
}
