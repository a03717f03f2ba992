package p2p

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"time"
)

// Config configures a [Peer]. Start from [DefaultConfig]; the defaults are the
// course's (gossip every 5 s, 10 messages, liveness every 13 s, dead after 3
// failures).
type Config struct {
	// Addr is the listen address, a specific IPv4 address; port 0 picks a free
	// port. It is the address the peer registers and advertises.
	Addr string
	// Seeds are the seed nodes (see [ReadSeeds] for the file format). The peer
	// registers with Majority(len(Seeds)) of them, chosen at random.
	Seeds []netip.AddrPort
	// ID numbers the peer for the capacity rule (see [CourseCapacity]).
	ID int
	// Neighbours is how many neighbours a peer wants: it picks this many on
	// joining and tops up to it when it falls below.
	Neighbours int
	// Capacity is the most neighbours the peer accepts, 0 meaning no limit.
	// Set it to CourseCapacity(ID) for the course's rule.
	Capacity int
	// Sample is how many candidates a joining peer asks for their neighbour
	// lists to estimate degrees for preferential attachment.
	Sample int
	// GossipInterval and GossipCount: the peer generates one gossip message
	// every GossipInterval, GossipCount in all (0 generates none: unlike
	// the other counts, zero is a meaningful count here, not "unset").
	GossipInterval time.Duration
	GossipCount    int
	// LivenessInterval is how often each neighbour is checked; after
	// LivenessFailures checks in a row fail it is reported dead and replaced.
	LivenessInterval time.Duration
	LivenessFailures int
	// RefreshInterval is how often the peer registers again with the seeds
	// (so a peer reported dead by mistake comes back), dials the lost
	// neighbours the seeds list again (see ReconnectTimeout) and tops up its
	// neighbours; it also paces join retries.
	RefreshInterval time.Duration
	// ReconnectTimeout is how long the peer keeps trying to reconnect to a
	// neighbour it declared dead, whenever the seeds list that neighbour
	// again (so it is alive, and only the path between them failed: a
	// partition). It bounds how long a partition may last and still heal.
	ReconnectTimeout time.Duration
	// MessageTTL and MessageListMax bound the [Message] List.
	MessageTTL     time.Duration
	MessageListMax int
	// DialTimeout bounds dials and request-reply exchanges.
	DialTimeout time.Duration
	// ReadTimeout is the read deadline for the first line of an accepted
	// connection.
	ReadTimeout time.Duration
	// MaxConns bounds the connections the peer accepts at once (links
	// included).
	MaxConns int
	// MaxErrors is how many bad lines a connection may send before it is
	// closed.
	MaxErrors int
	// Logger receives the course's log lines (peer lists received, first-time
	// gossip with local time and sender, dead-node reports) and rejected
	// input; nil means silent. See [NewLogger] for console plus file.
	Logger *slog.Logger
	// Now is the clock for timestamps and the [Message] List; nil means
	// time.Now.
	Now func() time.Time
	// Rand drives every random choice; nil means a randomly seeded source.
	// It is used under the peer's lock.
	Rand *rand.Rand
	// Dial opens connections; nil means a plain TCP dialer.
	Dial DialFunc
	// OnGossip, if set, is called once for every gossip message the peer
	// receives for the first time, with the neighbour it came from. It must
	// not block.
	OnGossip func(m Message, from netip.AddrPort)
}

// DefaultConfig returns the course's settings for a peer on 127.0.0.1 with an
// OS-chosen port. Seeds must still be set.
func DefaultConfig() Config {
	return Config{
		Addr:             "127.0.0.1:0",
		Neighbours:       2,
		Sample:           16,
		GossipInterval:   5 * time.Second,
		GossipCount:      10,
		LivenessInterval: 13 * time.Second,
		LivenessFailures: 3,
		RefreshInterval:  30 * time.Second,
		ReconnectTimeout: 24 * time.Hour,
		MessageTTL:       10 * time.Minute,
		MessageListMax:   10000,
		DialTimeout:      2 * time.Second,
		ReadTimeout:      10 * time.Second,
		MaxConns:         256,
		MaxErrors:        3,
	}
}

// Fast shortens every interval of c by the factor k (k=0.01 turns 13 s into
// 130 ms), for simulations and tests.
func (c Config) Fast(k float64) Config {
	scale := func(d time.Duration) time.Duration { return max(time.Duration(float64(d)*k), time.Millisecond) }
	c.GossipInterval = scale(c.GossipInterval)
	c.LivenessInterval = scale(c.LivenessInterval)
	c.RefreshInterval = scale(c.RefreshInterval)
	return c
}

func (c Config) validate() error {
	pos := func(name string, d time.Duration) error {
		if d <= 0 {
			return fmt.Errorf("p2p: Config.%s %v: want a positive duration", name, d)
		}
		return nil
	}
	switch {
	case c.GossipCount < 0:
		return fmt.Errorf("p2p: Config.GossipCount %d: want 0 or more", c.GossipCount)
	case len(c.Seeds) == 0:
		return fmt.Errorf("p2p: Config.Seeds is empty: a peer needs at least one seed")
	case c.Neighbours < 1:
		return fmt.Errorf("p2p: Config.Neighbours %d: want at least 1", c.Neighbours)
	case c.Capacity < 0:
		return fmt.Errorf("p2p: Config.Capacity %d: want 0 (no limit) or more", c.Capacity)
	case c.Sample < 1:
		return fmt.Errorf("p2p: Config.Sample %d: want at least 1", c.Sample)
	case c.LivenessFailures < 1:
		return fmt.Errorf("p2p: Config.LivenessFailures %d: want at least 1", c.LivenessFailures)
	case c.MessageListMax < 1:
		return fmt.Errorf("p2p: Config.MessageListMax %d: want at least 1", c.MessageListMax)
	case c.MaxConns < 1:
		return fmt.Errorf("p2p: Config.MaxConns %d: want at least 1", c.MaxConns)
	case c.MaxErrors < 1:
		return fmt.Errorf("p2p: Config.MaxErrors %d: want at least 1", c.MaxErrors)
	}
	for i, s := range c.Seeds {
		if !s.Addr().Is4() || s.Port() == 0 {
			return fmt.Errorf("p2p: Config.Seeds[%d] %v: want an IPv4 address and a port", i, s)
		}
	}
	for _, d := range []struct {
		name string
		d    time.Duration
	}{{"GossipInterval", c.GossipInterval}, {"LivenessInterval", c.LivenessInterval},
		{"RefreshInterval", c.RefreshInterval}, {"ReconnectTimeout", c.ReconnectTimeout}, {"MessageTTL", c.MessageTTL},
		{"DialTimeout", c.DialTimeout}, {"ReadTimeout", c.ReadTimeout}} {
		if err := pos(d.name, d.d); err != nil {
			return err
		}
	}
	return nil
}
