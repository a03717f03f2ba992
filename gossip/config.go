package gossip

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/netlab-go/netlab/internal/defaults"
)

// Config configures a rumor [Node] (and the [Engine] at its core). A zero
// field means its default, the value in [DefaultConfig], except
// AntiEntropy (zero turns it off) and Seed (zero is a seed like any other):
// Config{AntiEntropy: 5 * time.Second, Seed: 1} is DefaultConfig().
type Config struct {
	// Mode is push, pull or push-pull.
	Mode Mode
	// Fanout is how many random peers a node contacts each round.
	Fanout int
	// Interval is the length of a round.
	Interval time.Duration
	// Stop says when a node stops spreading a rumor.
	Stop StopRule
	// AntiEntropy is the period of the full-state exchange with one random
	// peer that repairs whatever rumor mongering missed; 0 turns it off.
	AntiEntropy time.Duration
	// Expiry is how long a rumor is remembered (for duplicate detection and
	// anti-entropy) after it was published. After that it is forgotten.
	Expiry time.Duration
	// MaxRumors bounds memory: beyond it the oldest rumor is forgotten early.
	MaxRumors int
	// MaxMessage is the largest datagram the node sends, in bytes. Rumors
	// and digests that do not fit wait for the next round.
	MaxMessage int
	// Peers are the addresses the node gossips with (see also SetPeers).
	Peers []string
	// Seed seeds the node's random choices (peers, coins, rumor IDs).
	Seed uint64
	// Clock tells the time; nil means time.Now. Tests inject a fake clock.
	Clock func() time.Time
	// OnRumor is called once per rumor, on the node's Run goroutine, when the
	// node first learns it (not for rumors it publishes itself). It must not
	// block for long.
	OnRumor func(Rumor)
	// Logger receives debug messages; nil is silent.
	Logger *slog.Logger
}

// DefaultConfig returns the settings netlab recommends: push with fanout 3,
// keeping a rumor hot with probability 0.8 after each round (so about 15
// pushes per node, residue about e^-15), 100 ms rounds, anti-entropy every
// 5 s. The package documentation compares it with [CoursePreset] using
// simulator numbers.
func DefaultConfig() Config {
	return Config{
		Mode:        Push,
		Fanout:      3,
		Interval:    100 * time.Millisecond,
		Stop:        Coin(0.8),
		AntiEntropy: 5 * time.Second,
		Expiry:      5 * time.Minute,
		MaxRumors:   10000,
		MaxMessage:  1400,
		Seed:        1,
	}
}

// CoursePreset reproduces the course's gossip: each update is pushed by UDP
// to 2 random peers, a node re-gossips with probability 0.5 after each
// round, and a full-state anti-entropy runs every 10 s. Rounds last 1 s.
func CoursePreset() Config {
	c := DefaultConfig()
	c.Mode = Push
	c.Fanout = 2
	c.Interval = time.Second
	c.Stop = Coin(0.5)
	c.AntiEntropy = 10 * time.Second
	return c
}

// withDefaults fills the fields whose zero value means their default, as in
// net/http, from [DefaultConfig]. AntiEntropy (0 turns it off), Seed (0 is
// a seed like any other), Peers, Clock, OnRumor and Logger keep their zero.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	d.AntiEntropy, d.Seed = 0, 0
	return defaults.Fill(c, d)
}

func (c Config) validate() error {
	switch {
	case c.Mode < Push || c.Mode > PushPull:
		return fmt.Errorf("gossip: Config.Mode %d unknown", c.Mode)
	case c.Fanout < 1:
		return fmt.Errorf("gossip: Config.Fanout %d must be at least 1", c.Fanout)
	case c.Interval <= 0:
		return fmt.Errorf("gossip: Config.Interval %v must be positive", c.Interval)
	case c.AntiEntropy < 0:
		return fmt.Errorf("gossip: Config.AntiEntropy %v is negative", c.AntiEntropy)
	case c.Expiry <= 0:
		return fmt.Errorf("gossip: Config.Expiry %v must be positive", c.Expiry)
	case c.MaxRumors < 1:
		return fmt.Errorf("gossip: Config.MaxRumors %d must be at least 1", c.MaxRumors)
	case c.MaxMessage < headerSize+idsHeader+rumorHeader+idSize:
		return fmt.Errorf("gossip: Config.MaxMessage %d below the %d-byte minimum", c.MaxMessage, headerSize+idsHeader+rumorHeader+idSize)
	}
	return c.Stop.validate("Config.Stop")
}
