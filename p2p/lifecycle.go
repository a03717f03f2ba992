package p2p

import (
	"cmp"
	"errors"

	"github.com/netlab-go/netlab/internal/calls"
)

// ErrClosed is matched (errors.Is) by what [Seed.Run] and [Peer.Run]
// return when called after [Seed.Close] or [Peer.Close].
var ErrClosed = errors.New("p2p: closed")

// begin marks the server as running, or says why it cannot run: it is
// closed (an error matching [ErrClosed] and net.ErrClosed), or ran
// already. A Run whose begin succeeded must call s.life.End when it returns.
func (s *server) begin(who string) error {
	return s.life.Begin(calls.ClosedError(ErrClosed, "p2p: "+who+" is closed"), "p2p: "+who+".Run")
}

// The zero value of an optional field of a config means its default, as in
// net/http; withDefaults fills those in from DefaultConfig or
// DefaultSeedConfig, and validate refuses what remains invalid with an error
// naming the field.

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	c.Addr = cmp.Or(c.Addr, d.Addr)
	c.Neighbours = cmp.Or(c.Neighbours, d.Neighbours)
	c.Sample = cmp.Or(c.Sample, d.Sample)
	c.LivenessFailures = cmp.Or(c.LivenessFailures, d.LivenessFailures)
	c.MessageListMax = cmp.Or(c.MessageListMax, d.MessageListMax)
	c.MaxConns = cmp.Or(c.MaxConns, d.MaxConns)
	c.MaxErrors = cmp.Or(c.MaxErrors, d.MaxErrors)
	c.GossipInterval = cmp.Or(c.GossipInterval, d.GossipInterval)
	c.LivenessInterval = cmp.Or(c.LivenessInterval, d.LivenessInterval)
	c.RefreshInterval = cmp.Or(c.RefreshInterval, d.RefreshInterval)
	c.ReconnectTimeout = cmp.Or(c.ReconnectTimeout, d.ReconnectTimeout)
	c.MessageTTL = cmp.Or(c.MessageTTL, d.MessageTTL)
	c.DialTimeout = cmp.Or(c.DialTimeout, d.DialTimeout)
	c.ReadTimeout = cmp.Or(c.ReadTimeout, d.ReadTimeout)
	return c
}

func (c SeedConfig) withDefaults() SeedConfig {
	d := DefaultSeedConfig()
	c.Addr = cmp.Or(c.Addr, d.Addr)
	c.MaxConns = cmp.Or(c.MaxConns, d.MaxConns)
	c.ReadTimeout = cmp.Or(c.ReadTimeout, d.ReadTimeout)
	c.MaxLineLength = cmp.Or(c.MaxLineLength, d.MaxLineLength)
	c.MaxErrors = cmp.Or(c.MaxErrors, d.MaxErrors)
	return c
}
