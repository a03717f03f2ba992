package p2p

import (
	"cmp"
	"errors"
	"net"
)

// ErrClosed is matched (errors.Is) by what [Seed.Run] and [Peer.Run]
// return when called after [Seed.Close] or [Peer.Close].
var ErrClosed = errors.New("p2p: closed")

// closedError is what Run returns once its node is closed: it matches both
// [ErrClosed] and net.ErrClosed.
type closedError struct{ who string }

func (e closedError) Error() string { return "p2p: " + e.who + " is closed" }

func (e closedError) Is(target error) bool { return target == ErrClosed || target == net.ErrClosed }

// begin marks the server as running, or says why it cannot run: it is
// closed (ErrClosed), or ran already. A Run whose begin succeeded must
// call end when it returns.
func (s *server) begin(who string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return closedError{who}
	case s.ran:
		return errors.New("p2p: " + who + ".Run called twice")
	}
	s.ran = true
	s.runDone = make(chan struct{})
	return nil
}

// end marks that Run has returned.
func (s *server) end() { close(s.runDone) }

// waitRun waits for a Run that began to return.
func (s *server) waitRun() {
	s.mu.Lock()
	done := s.runDone
	s.mu.Unlock()
	if done != nil {
		<-done
	}
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
