package gossip

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netlab-go/netlab/internal/calls"
)

// NodeStats counts what a [Node] did.
type NodeStats struct {
	EngineStats
	MessagesSent     uint64 // datagrams sent
	BytesSent        uint64
	MessagesReceived uint64 // datagrams received and decoded
	Malformed        uint64 // datagrams that failed to decode, dropped
	SendErrors       uint64 // sends the transport refused
}

// Node spreads rumors over a [Transport]. It wraps an [Engine]: Run ticks a
// round every [Config.Interval], decodes arriving datagrams into
// [Engine.Receive], and sends what the engine returns. Publish may be called
// from any goroutine.
//
// The Node owns its transport: Run closes it when it returns, and Close
// closes it for a [Node] that was never run.
type Node struct {
	cfg   Config
	t     Transport
	clock func() time.Time

	mu  sync.Mutex
	eng *Engine

	sent, sentBytes, received, malformed, sendErrs atomic.Uint64
	closeOnce                                      sync.Once
	closeErr                                       error // the transport's Close

	life calls.Once // orders Run's start against Close
}

// New returns a node that gossips over t with the given config.
func New(cfg Config, t Transport) (*Node, error) {
	if t == nil {
		return nil, errors.New("gossip: New: nil Transport")
	}
	cfg = cfg.withDefaults()
	eng, err := NewEngine(cfg, t.LocalAddr())
	if err != nil {
		return nil, err
	}
	clock := cfg.Clock
	if clock == nil {
		clock = time.Now
	}
	return &Node{cfg: cfg, t: t, clock: clock, eng: eng}, nil
}

// Addr returns the node's transport address.
func (n *Node) Addr() string { return n.t.LocalAddr() }

// SetPeers replaces the addresses the node gossips with.
func (n *Node) SetPeers(peers []string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.eng.SetPeers(peers)
}

// Publish starts spreading payload and returns the rumor's ID. The payload
// must fit in one message (see [Engine.MaxPayload]). After [Node.Close] it
// returns [ErrClosed].
func (n *Node) Publish(payload []byte) (RumorID, error) {
	if n.life.Closed() {
		return 0, ErrClosed
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.eng.Publish(n.clock(), payload)
}

// Known reports whether the node has the rumor.
func (n *Node) Known(id RumorID) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.eng.Known(id)
}

// Stats returns the node's counters.
func (n *Node) Stats() NodeStats {
	n.mu.Lock()
	es := n.eng.Stats()
	n.mu.Unlock()
	return NodeStats{
		EngineStats:      es,
		MessagesSent:     n.sent.Load(),
		BytesSent:        n.sentBytes.Load(),
		MessagesReceived: n.received.Load(),
		Malformed:        n.malformed.Load(),
		SendErrors:       n.sendErrs.Load(),
	}
}

// Run gossips until ctx ends or [Node.Close] is called, then closes the
// transport and returns nil. It may be called once; after Close it
// returns [ErrClosed], and when the transport is closed by someone else it
// returns [ErrClosed] too.
func (n *Node) Run(ctx context.Context) error {
	if err := n.life.Begin(ErrClosed, "gossip: Node.Run"); err != nil {
		return err
	}
	defer n.life.End()
	defer n.closeTransport()
	tick := time.NewTicker(n.cfg.Interval)
	defer tick.Stop()
	packets := n.t.Packets()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			n.mu.Lock()
			out := n.eng.Round(n.clock())
			n.mu.Unlock()
			n.send(out)
		case p, ok := <-packets:
			if !ok {
				if n.life.Closed() {
					return nil // stopped by Close
				}
				return ErrClosed
			}
			n.handle(p)
		}
	}
}

// Close closes the transport, which stops a running Run, and waits for Run
// to return. It may be called any number of times; calls after the first
// return nil, and Publish or Run after it return [ErrClosed].
func (n *Node) Close() error { return n.life.CloseWith(n.closeTransport) }

// closeTransport closes the transport once, for Close and for Run.
func (n *Node) closeTransport() error {
	n.closeOnce.Do(func() { n.closeErr = n.t.Close() })
	return n.closeErr
}

func (n *Node) handle(p Packet) {
	m, err := DecodeMessage(p.Data)
	if err != nil {
		n.malformed.Add(1)
		if n.cfg.Logger != nil {
			n.cfg.Logger.Debug("gossip: dropped malformed datagram", "from", p.From, "err", err)
		}
		return
	}
	n.received.Add(1)
	n.mu.Lock()
	out, fresh := n.eng.Receive(n.clock(), p.From, m)
	n.mu.Unlock()
	n.send(out)
	if n.cfg.OnRumor != nil {
		for _, r := range fresh {
			n.cfg.OnRumor(r)
		}
	}
}

func (n *Node) send(out []Envelope) {
	for _, env := range out {
		b, err := env.Msg.Encode()
		if err == nil {
			err = n.t.Send(env.To, b)
		}
		if err != nil {
			n.sendErrs.Add(1)
			if n.cfg.Logger != nil {
				n.cfg.Logger.Debug("gossip: send failed", "to", env.To, "kind", env.Msg.Kind, "err", err)
			}
			continue
		}
		n.sent.Add(1)
		n.sentBytes.Add(uint64(len(b)))
	}
}
