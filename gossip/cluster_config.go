package gossip

import (
	"cmp"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math"
	"net"
	"reflect"
	"strconv"
	"time"

	"github.com/hashicorp/memberlist"

	"github.com/netlab-go/netlab/internal/defaults"
)

// DropPolicy says which broadcast a full queue gives up.
type DropPolicy uint8

// Drop policies for [ClusterConfig.QueueDrop].
const (
	// DropOldest discards the most-retransmitted (oldest) queued broadcast to
	// make room: new news beats old news.
	DropOldest DropPolicy = iota + 1
	// DropNewest refuses the broadcast that does not fit.
	DropNewest
)

// StateDelegate lets the layer above exchange its full state during
// memberlist's periodic push-pull sync and on join (memberlist's
// LocalState/MergeRemoteState). Both run on memberlist goroutines and must
// be quick and safe for concurrent use.
type StateDelegate interface {
	// LocalState returns this member's state to send; join is true during a
	// Join.
	LocalState(join bool) []byte
	// MergeRemoteState merges the state another member sent.
	MergeRemoteState(buf []byte, join bool)
}

// ClusterConfig configures a [Cluster]. Start from [DefaultLANConfig] or
// [DefaultLocalConfig] and change what you need. A zero field means its
// default, the value in [DefaultLocalConfig] (so ClusterConfig{} is a member
// on a free loopback port), except where zero is meaningful: Name (the
// address), BindPort (a free port), IndirectChecks (none), Relay (off) and
// the callbacks.
type ClusterConfig struct {
	// Name identifies the member; it must be unique in the cluster. Empty
	// means the member's address.
	Name string
	// BindAddr and BindPort are where the UDP and TCP sockets listen
	// (port 0 picks a free one). Ignored when [Network] is set.
	BindAddr string
	BindPort int
	// Network, when set, runs the member on that network instead of real
	// sockets; [github.com/netlab-go/netlab/gossip/gossiptest.MemNetwork] is
	// one, in memory, with loss and partitions, on which nothing ever
	// blocks. The endpoint is BindAddr:BindPort when BindPort is not zero, so
	// that a test can name an address before anyone listens there; otherwise
	// the network picks a fresh one. A nil [Network], or one holding a nil
	// pointer (a *MemNetwork variable left unset), means sockets.
	Network Network

	// SWIM failure detection (see the package documentation).
	ProbeInterval           time.Duration // one probe per member per interval
	ProbeTimeout            time.Duration // wait for a direct ack this long
	IndirectChecks          int           // members asked to probe indirectly
	SuspicionMult           int           // suspicion lasts SuspicionMult·log10(N)·ProbeInterval ...
	SuspicionMaxTimeoutMult int           // ... up to this multiple when nobody confirms
	DeadNodeReclaimTime     time.Duration // after this, a dead member's name may rejoin from a new address

	// Dissemination (memberlist's piggy-backed gossip and push-pull sync).
	GossipInterval      time.Duration // how often queued broadcasts are gossiped
	GossipNodes         int           // to how many random members each time
	RetransmitMult      int           // each member sends a broadcast RetransmitMult·⌈log10(N+1)⌉ times
	GossipToTheDeadTime time.Duration // keep gossiping to members dead this recently
	PushPullInterval    time.Duration // full-state sync with one random member
	TCPTimeout          time.Duration // stream dial and push-pull timeout
	UDPBufferSize       int           // largest packet memberlist builds

	// Relay re-broadcasts every broadcast a member receives for the first
	// time (epidemic relay) and offers held broadcasts for repair at
	// push-pull. Without it a broadcast behaves as in plain memberlist: only
	// the sender's retransmissions carry it.
	Relay bool
	// MaxQueue caps the broadcast queue; QueueDrop says what goes when full.
	MaxQueue  int
	QueueDrop DropPolicy
	// LargeMessage is the size above which a broadcast is not piggy-backed
	// on UDP gossip but announced, and fetched over a TCP stream.
	LargeMessage int
	// DedupExpiry is how long broadcast IDs (and bodies of large broadcasts)
	// are remembered; DedupMax caps how many.
	DedupExpiry time.Duration
	DedupMax    int
	// InboxSize caps received messages waiting for OnMessage; EventBuffer
	// caps events waiting on Events(). Beyond either, drops are counted.
	InboxSize   int
	EventBuffer int
	// RequestWorkers is how many OnRequest calls may run at once.
	RequestWorkers int

	// ReconnectInterval is how often members that failed are retried (a
	// Join to a few of them), so that the halves of a healed partition
	// merge again. ReconnectTimeout is when a failed member is given up.
	ReconnectInterval time.Duration
	ReconnectTimeout  time.Duration

	// Seeds are members' addresses (host:port) to join. When set, the
	// member joins them by itself, as Serf's and Consul's retry-join do: it
	// retries until one answers, and again whenever it finds itself alone
	// (its seed restarted, or it was cut off long enough for everyone to be
	// declared dead). After a failed attempt it waits a random time between
	// d/2 and d (jitter, so that members started together do not retry in
	// step), d doubling from JoinRetryMin up to JoinRetryMax. Its own
	// address is skipped. Each attempt is logged at debug level, the first
	// success at info level. Empty: the member joins only when Join is
	// called.
	Seeds []string
	// JoinRetryMin and JoinRetryMax bound the wait between join attempts
	// to Seeds; zero means 100 ms and 30 s.
	JoinRetryMin time.Duration
	JoinRetryMax time.Duration

	// LeaveTimeout bounds how long Run waits, on each of Leave's two
	// messages, for the news of a graceful leave to go out. Zero means
	// three times what gossip needs to send a broadcast as often as
	// memberlist does (a few GossipIntervals), so that a whole cluster
	// stopping at once is quick.
	LeaveTimeout time.Duration

	// Keys, when not empty, turns on encryption (AES-GCM via memberlist's
	// keyring). Keys[0] is the primary key used to encrypt; every key is
	// tried to decrypt. Keys are 16, 24 or 32 bytes.
	Keys [][]byte

	// Meta is published with this member (at most 511 bytes).
	Meta []byte
	// OnMessage receives broadcasts and direct messages from other members,
	// one at a time, on a goroutine of Run. It must not block for long.
	OnMessage func(ClusterMessage)
	// OnRequest answers Request calls from other members; nil answers every
	// request with an error. Up to RequestWorkers calls run concurrently.
	OnRequest func(from string, request []byte) ([]byte, error)
	// State, when set, takes part in memberlist's full-state push-pull.
	State StateDelegate
	// Logger receives memberlist's and the cluster's logs; nil is silent.
	Logger *slog.Logger
}

// DefaultLANConfig returns memberlist's LAN timings (1 s probes, 30 s
// push-pull) with netlab's additions: epidemic relay, bounded queues,
// large-message streaming and reconnection to failed members every 30 s.
// It binds all interfaces on port 7946.
func DefaultLANConfig() ClusterConfig {
	return ClusterConfig{
		BindAddr:                "0.0.0.0",
		BindPort:                7946,
		ProbeInterval:           time.Second,
		ProbeTimeout:            500 * time.Millisecond,
		IndirectChecks:          3,
		SuspicionMult:           4,
		SuspicionMaxTimeoutMult: 6,
		DeadNodeReclaimTime:     time.Minute,
		GossipInterval:          200 * time.Millisecond,
		GossipNodes:             3,
		RetransmitMult:          4,
		GossipToTheDeadTime:     30 * time.Second,
		PushPullInterval:        30 * time.Second,
		TCPTimeout:              10 * time.Second,
		UDPBufferSize:           1400,
		Relay:                   true,
		MaxQueue:                4096,
		QueueDrop:               DropOldest,
		LargeMessage:            1000,
		DedupExpiry:             2 * time.Minute,
		DedupMax:                100000,
		InboxSize:               4096,
		EventBuffer:             1024,
		RequestWorkers:          4,
		ReconnectInterval:       30 * time.Second,
		ReconnectTimeout:        24 * time.Hour,
	}
}

// DefaultLocalConfig is tuned for members on one machine (loopback or a
// [Network] such as
// [github.com/netlab-go/netlab/gossip/gossiptest.MemNetwork]): 500 ms
// probes, 50 ms gossip to 3 members, 1 s push-pull, reconnection every
// second, seeds retried at most every 2 s and a 3 s stream timeout
// (generous, for busy machines), so that small clusters converge, detect
// failures and heal partitions in seconds rather than minutes. (Probing
// faster, 200 ms with a 100 ms timeout, made 200 members on two busy cores
// suspect each other falsely and never settle.) It binds
// 127.0.0.1 on a free port.
func DefaultLocalConfig() ClusterConfig {
	c := DefaultLANConfig()
	c.BindAddr = "127.0.0.1"
	c.BindPort = 0
	c.ProbeInterval = 500 * time.Millisecond
	c.ProbeTimeout = 250 * time.Millisecond
	c.IndirectChecks = 2
	c.SuspicionMult = 3
	c.SuspicionMaxTimeoutMult = 2
	c.DeadNodeReclaimTime = time.Second
	c.GossipInterval = 50 * time.Millisecond
	c.GossipNodes = 3
	c.RetransmitMult = 4
	c.GossipToTheDeadTime = 5 * time.Second
	c.PushPullInterval = time.Second
	c.TCPTimeout = 3 * time.Second
	c.DedupExpiry = 30 * time.Second
	c.ReconnectInterval = time.Second
	c.ReconnectTimeout = 5 * time.Minute
	c.JoinRetryMin, c.JoinRetryMax = 50*time.Millisecond, 2*time.Second
	return c
}

// SuspicionTimeout returns how long a suspected member of a cluster of n
// has to refute before it is declared dead, at most (when no other member
// confirms the suspicion): SuspicionMaxTimeoutMult · SuspicionMult ·
// max(1, log10 n) · ProbeInterval.
func (c ClusterConfig) SuspicionTimeout(n int) time.Duration {
	scale := math.Max(1, math.Log10(math.Max(1, float64(n))))
	base := time.Duration(float64(c.SuspicionMult) * scale * float64(c.ProbeInterval))
	return time.Duration(c.SuspicionMaxTimeoutMult) * base
}

// DetectionTime bounds how long after a crash the other members of a
// cluster of n declare it failed: it must first be probed (about one
// ProbeInterval, since every member probes one member per interval), the
// direct and indirect probes must time out (one ProbeInterval), the
// suspicion must expire (SuspicionTimeout), and the verdict must be
// gossiped (a few GossipIntervals).
func (c ClusterConfig) DetectionTime(n int) time.Duration {
	return 2*c.ProbeInterval + c.SuspicionTimeout(n) + 10*c.GossipInterval
}

// withDefaults fills the fields whose zero value means their default, as in
// net/http, from [DefaultLocalConfig]. Name, BindPort (0 picks a free
// port), IndirectChecks (0 probes directly only), Relay (false is plain
// memberlist), the join and leave timings (already "zero means default")
// and the callbacks keep their zero; so does BindAddr on a Network (which
// names the member itself). ProbeTimeout's default is at most
// ProbeInterval, LargeMessage's fits in UDPBufferSize.
func (c ClusterConfig) withDefaults() ClusterConfig {
	d := DefaultLocalConfig()
	d.IndirectChecks, d.Relay, d.JoinRetryMin, d.JoinRetryMax = 0, false, 0, 0
	if c.onNetwork() {
		d.BindAddr = ""
	}
	out := defaults.Fill(c, d)
	if c.ProbeTimeout == 0 {
		out.ProbeTimeout = min(d.ProbeTimeout, out.ProbeInterval)
	}
	if c.LargeMessage == 0 {
		out.LargeMessage = min(d.LargeMessage, out.UDPBufferSize-256)
	}
	return out
}

func (c ClusterConfig) validate() error {
	pos := func(name string, d time.Duration) error {
		if d <= 0 {
			return fmt.Errorf("gossip: ClusterConfig.%s %v must be positive", name, d)
		}
		return nil
	}
	atLeast := func(name string, v, lo int) error {
		if v < lo {
			return fmt.Errorf("gossip: ClusterConfig.%s %d must be at least %d", name, v, lo)
		}
		return nil
	}
	for _, err := range []error{
		pos("ProbeInterval", c.ProbeInterval), pos("ProbeTimeout", c.ProbeTimeout),
		pos("GossipInterval", c.GossipInterval), pos("PushPullInterval", c.PushPullInterval),
		pos("TCPTimeout", c.TCPTimeout), pos("DedupExpiry", c.DedupExpiry),
		pos("ReconnectInterval", c.ReconnectInterval), pos("ReconnectTimeout", c.ReconnectTimeout),
		atLeast("IndirectChecks", c.IndirectChecks, 0), atLeast("SuspicionMult", c.SuspicionMult, 1),
		atLeast("SuspicionMaxTimeoutMult", c.SuspicionMaxTimeoutMult, 1),
		atLeast("GossipNodes", c.GossipNodes, 1), atLeast("RetransmitMult", c.RetransmitMult, 1),
		atLeast("UDPBufferSize", c.UDPBufferSize, 512), atLeast("MaxQueue", c.MaxQueue, 1),
		atLeast("LargeMessage", c.LargeMessage, 64), atLeast("DedupMax", c.DedupMax, 1),
		atLeast("InboxSize", c.InboxSize, 1), atLeast("EventBuffer", c.EventBuffer, 1),
		atLeast("RequestWorkers", c.RequestWorkers, 1),
	} {
		if err != nil {
			return err
		}
	}
	switch {
	case !c.onNetwork() && c.BindAddr == "":
		return fmt.Errorf("gossip: ClusterConfig.BindAddr is empty")
	case c.BindPort < 0 || c.BindPort > 65535:
		return fmt.Errorf("gossip: ClusterConfig.BindPort %d not in [0,65535]", c.BindPort)
	case c.ProbeTimeout > c.ProbeInterval:
		return fmt.Errorf("gossip: ClusterConfig.ProbeTimeout %v longer than ProbeInterval %v", c.ProbeTimeout, c.ProbeInterval)
	case c.QueueDrop != DropOldest && c.QueueDrop != DropNewest:
		return fmt.Errorf("gossip: ClusterConfig.QueueDrop %d unknown", c.QueueDrop)
	case c.LargeMessage > c.UDPBufferSize-256:
		return fmt.Errorf("gossip: ClusterConfig.LargeMessage %d must leave 256 bytes of UDPBufferSize %d for headers", c.LargeMessage, c.UDPBufferSize)
	case len(c.Meta) > memberlist.MetaMaxSize-1:
		return fmt.Errorf("gossip: ClusterConfig.Meta is %d bytes, at most %d", len(c.Meta), memberlist.MetaMaxSize-1)
	}
	if c.JoinRetryMin < 0 || c.JoinRetryMax < 0 || (c.JoinRetryMax > 0 && c.JoinRetryMin > c.JoinRetryMax) {
		return fmt.Errorf("gossip: ClusterConfig.JoinRetryMin %v and JoinRetryMax %v must be positive (or zero for the defaults), the minimum not above the maximum", c.JoinRetryMin, c.JoinRetryMax)
	}
	if c.LeaveTimeout < 0 {
		return fmt.Errorf("gossip: ClusterConfig.LeaveTimeout %v is negative", c.LeaveTimeout)
	}
	for i, s := range c.Seeds {
		if _, _, err := net.SplitHostPort(s); err != nil {
			return fmt.Errorf("gossip: ClusterConfig.Seeds[%d] %q is not host:port: %w", i, s, err)
		}
	}
	for i, k := range c.Keys {
		if err := memberlist.ValidateKey(k); err != nil {
			return fmt.Errorf("gossip: ClusterConfig.Keys[%d]: %w", i, err)
		}
	}
	return nil
}

// memberlistConfig translates the config and creates the transport.
func (c *Cluster) memberlistConfig() (*memberlist.Config, error) {
	cfg := c.cfg
	mlc := memberlist.DefaultLANConfig()
	if cfg.Logger != nil {
		mlc.Logger = slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelDebug)
	} else {
		mlc.Logger = log.New(io.Discard, "", 0)
	}
	if cfg.onNetwork() {
		addr := ""
		if cfg.BindPort != 0 {
			addr = net.JoinHostPort(cfg.BindAddr, strconv.Itoa(cfg.BindPort))
		}
		mt, err := cfg.Network.NewTransport(addr)
		if err != nil {
			return nil, err
		}
		ip, port, err := mt.FinalAdvertiseAddr("", 0)
		if err != nil {
			mt.Shutdown()
			return nil, fmt.Errorf("gossip: advertise address: %w", err)
		}
		c.addr = net.JoinHostPort(ip.String(), strconv.Itoa(port))
		if d, ok := mt.(dropCounter); ok {
			c.drops = d
		}
		mlc.Transport = mt
	} else {
		var nt *memberlist.NetTransport
		var err error
		for range 10 { // port 0: TCP picks a port, UDP may find it taken
			nt, err = memberlist.NewNetTransport(&memberlist.NetTransportConfig{
				BindAddrs: []string{cfg.BindAddr}, BindPort: cfg.BindPort, Logger: mlc.Logger,
			})
			if err == nil || cfg.BindPort != 0 {
				break
			}
		}
		if err != nil {
			return nil, fmt.Errorf("gossip: ClusterConfig.BindAddr %s port %d: %w", cfg.BindAddr, cfg.BindPort, err)
		}
		ip, port, err := nt.FinalAdvertiseAddr("", 0)
		if err != nil {
			nt.Shutdown()
			return nil, fmt.Errorf("gossip: advertise address: %w", err)
		}
		c.addr = net.JoinHostPort(ip.String(), fmt.Sprint(port))
		mlc.Transport = nt
	}
	c.name = cfg.Name
	c.name = cmp.Or(c.name, c.addr)
	if len(c.name) > maxNameBytes {
		mlc.Transport.Shutdown()
		return nil, fmt.Errorf("gossip: ClusterConfig.Name is %d bytes, at most %d", len(c.name), maxNameBytes)
	}
	mlc.Name = c.name
	mlc.ProbeInterval, mlc.ProbeTimeout = cfg.ProbeInterval, cfg.ProbeTimeout
	mlc.IndirectChecks, mlc.SuspicionMult = cfg.IndirectChecks, cfg.SuspicionMult
	mlc.SuspicionMaxTimeoutMult, mlc.DeadNodeReclaimTime = cfg.SuspicionMaxTimeoutMult, cfg.DeadNodeReclaimTime
	mlc.GossipInterval, mlc.GossipNodes = cfg.GossipInterval, cfg.GossipNodes
	mlc.RetransmitMult, mlc.GossipToTheDeadTime = cfg.RetransmitMult, cfg.GossipToTheDeadTime
	mlc.PushPullInterval, mlc.TCPTimeout = cfg.PushPullInterval, cfg.TCPTimeout
	mlc.UDPBufferSize = cfg.UDPBufferSize
	if len(cfg.Keys) > 0 {
		kr, err := memberlist.NewKeyring(cfg.Keys, cfg.Keys[0])
		if err != nil {
			mlc.Transport.Shutdown()
			return nil, fmt.Errorf("gossip: ClusterConfig.Keys: %w", err)
		}
		c.keyring = kr
		mlc.Keyring = kr
	}
	d := &clusterDelegate{c}
	mlc.Delegate = d
	mlc.Events = d
	return mlc, nil
}

// A Network carries the packets and streams of [Cluster] members in place of
// real sockets, so that a whole cluster can run inside one process. Set
// [ClusterConfig.Network] to use one. The package gossiptest provides
// [github.com/netlab-go/netlab/gossip/gossiptest.MemNetwork], an in-memory
// network with loss, latency and partitions for tests and simulations.
type Network interface {
	// NewTransport returns a new endpoint listening at addr (a host:port
	// with a literal IP; empty lets the network pick a fresh address). The
	// member owns the transport and shuts it down when it closes. If the
	// transport has a method Dropped() uint64, its count is reported as
	// [ClusterStats.TransportDrops].
	NewTransport(addr string) (memberlist.Transport, error)
}

// dropCounter is the optional interface of a [Network] transport that
// counts what it dropped.
type dropCounter interface{ Dropped() uint64 }

// onNetwork reports whether the member runs on c.Network rather than on
// sockets. A nil pointer in the interface counts as no network, as a nil
// *MemNetwork did when the field had that type.
func (c *ClusterConfig) onNetwork() bool {
	if c.Network == nil {
		return false
	}
	v := reflect.ValueOf(c.Network)
	switch v.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan, reflect.Interface:
		return !v.IsNil()
	}
	return true
}
