package kvstore

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/netlab-go/netlab/internal/defaults"
)

// Config configures a [Node]. Name is required; a zero value of any other
// field means its default, the value in [DefaultConfig] (or the one its
// documentation names).
type Config struct {
	// Name identifies the node; it is part of every version it writes and
	// must be unique in the cluster.
	Name string
	// Store keeps the entries; nil means a new [MemStore]. The Node owns it
	// and closes it in Close.
	Store Store
	// Limits bound keys, values and replication messages.
	Limits Limits
	// MaxClockOffset is how far ahead of local time a remote timestamp may
	// be; writes further ahead are rejected and counted.
	MaxClockOffset time.Duration
	// TombstoneGrace is how long a delete is remembered. A replica that is
	// cut off for longer may bring the deleted key back.
	TombstoneGrace time.Duration
	// AntiEntropyInterval is how often the node compares its keyspace with
	// a random peer's.
	AntiEntropyInterval time.Duration
	// Buckets is the number of digest buckets; all nodes must agree.
	Buckets int
	// FullStateExchange replaces digest anti-entropy with the course's
	// design, sending every entry to a random peer each interval. It exists
	// to measure what digests save.
	FullStateExchange bool
	// AckTimeout bounds how long PutAcked and DeleteAcked wait for
	// acknowledgements; zero means 5 s.
	AckTimeout time.Duration
	// WatchBuffer is each watcher's channel capacity; a watcher that falls
	// further behind is cut off (its channel closed).
	WatchBuffer int
	// Now is the physical clock; nil means time.Now.
	Now func() time.Time
	// Rand picks anti-entropy peers; nil means a randomly seeded source.
	Rand *rand.Rand
	// Logger receives replication events; nil means silent.
	Logger *slog.Logger
}

// DefaultConfig returns settings for a node called name: 1 KiB keys, 64 KiB
// values, anti-entropy every second, a day of tombstone grace.
func DefaultConfig(name string) Config {
	return Config{
		Name: name,
		Limits: Limits{
			MaxKey:     1024,
			MaxValue:   64 << 10,
			MaxMessage: 1 << 20,
			MaxBuckets: 1 << 16,
		},
		MaxClockOffset:      2 * time.Second,
		TombstoneGrace:      24 * time.Hour,
		AntiEntropyInterval: time.Second,
		Buckets:             1024,
		WatchBuffer:         256,
	}
}

// withDefaults fills the fields whose zero value means their default, as in
// net/http, from DefaultConfig. Name is required; FullStateExchange, Now,
// Rand, Store and Logger have defaults of their own (documented on each).
func (c Config) withDefaults() Config {
	d := DefaultConfig(c.Name)
	c.Limits = defaults.Fill(c.Limits, d.Limits)
	return defaults.Fill(c, d)
}

func (c Config) validate() error {
	l := c.Limits
	switch {
	case c.Name == "" || len(c.Name) > maxNodeName:
		return fmt.Errorf("kvstore: Config.Name must be 1 to %d bytes, got %d", maxNodeName, len(c.Name))
	case l.MaxKey < 1:
		return fmt.Errorf("kvstore: Config.Limits.MaxKey %d must be at least 1", l.MaxKey)
	case l.MaxValue < 0:
		return fmt.Errorf("kvstore: Config.Limits.MaxValue %d is negative", l.MaxValue)
	case l.MaxMessage < l.MaxKey+l.MaxValue+maxNodeName+64:
		return fmt.Errorf("kvstore: Config.Limits.MaxMessage %d cannot hold one entry of MaxKey+MaxValue", l.MaxMessage)
	case c.Buckets < 1 || c.Buckets > l.MaxBuckets || c.Buckets*8+16 > l.MaxMessage:
		return fmt.Errorf("kvstore: Config.Buckets %d outside [1, Limits.MaxBuckets] or too many for one message", c.Buckets)
	case c.MaxClockOffset <= 0:
		return fmt.Errorf("kvstore: Config.MaxClockOffset %v must be positive", c.MaxClockOffset)
	case c.TombstoneGrace <= 0:
		return fmt.Errorf("kvstore: Config.TombstoneGrace %v must be positive", c.TombstoneGrace)
	case c.AntiEntropyInterval <= 0:
		return fmt.Errorf("kvstore: Config.AntiEntropyInterval %v must be positive", c.AntiEntropyInterval)
	case c.AckTimeout < 0:
		return fmt.Errorf("kvstore: Config.AckTimeout %v is negative", c.AckTimeout)
	case c.WatchBuffer < 1:
		return fmt.Errorf("kvstore: Config.WatchBuffer %d must be at least 1", c.WatchBuffer)
	}
	return nil
}
