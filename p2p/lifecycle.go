package p2p

import (
	"errors"
	"net"
	"time"
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
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setDur := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&c.Neighbours, d.Neighbours)
	setInt(&c.Sample, d.Sample)
	setInt(&c.LivenessFailures, d.LivenessFailures)
	setInt(&c.MessageListMax, d.MessageListMax)
	setInt(&c.MaxConns, d.MaxConns)
	setInt(&c.MaxErrors, d.MaxErrors)
	setDur(&c.GossipInterval, d.GossipInterval)
	setDur(&c.LivenessInterval, d.LivenessInterval)
	setDur(&c.RefreshInterval, d.RefreshInterval)
	setDur(&c.ReconnectTimeout, d.ReconnectTimeout)
	setDur(&c.MessageTTL, d.MessageTTL)
	setDur(&c.DialTimeout, d.DialTimeout)
	setDur(&c.ReadTimeout, d.ReadTimeout)
	return c
}

func (c SeedConfig) withDefaults() SeedConfig {
	d := DefaultSeedConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.MaxConns == 0 {
		c.MaxConns = d.MaxConns
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = d.ReadTimeout
	}
	if c.MaxLineLength == 0 {
		c.MaxLineLength = d.MaxLineLength
	}
	if c.MaxErrors == 0 {
		c.MaxErrors = d.MaxErrors
	}
	return c
}
