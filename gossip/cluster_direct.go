package gossip

// Direct messages and requests over reliable streams, and the workers that
// deliver what arrives to the user's callbacks.

import (
	"context"
	"fmt"
	"net"
	"net/netip"

	"github.com/hashicorp/memberlist"
)

// ClusterMessage is a broadcast or direct message received from another
// member.
type ClusterMessage struct {
	From      string // name of the member that sent (for a broadcast: originated) it
	Data      []byte
	Broadcast bool // true for Broadcast, false for Send
}

// Send delivers data to the named member's OnMessage over a reliable
// stream. It returns when the data has been handed over.
func (c *Cluster) Send(to string, data []byte) error {
	if c.isClosed() {
		return ErrClusterClosed
	}
	n, err := c.member(to)
	if err != nil {
		return err
	}
	if err := c.ml.SendReliable(n, clusterMsg{typ: cmDirect, peer: c.name, addr: c.addr, payload: data}.encode()); err != nil {
		return fmt.Errorf("gossip: send to %s: %w", to, err)
	}
	return nil
}

// Request sends request to the named member's OnRequest over a reliable
// stream and waits for the answer, until ctx ends. An error returned by the
// remote OnRequest comes back wrapping ErrRemote.
func (c *Cluster) Request(ctx context.Context, to string, request []byte) ([]byte, error) {
	if c.isClosed() {
		return nil, ErrClusterClosed
	}
	n, err := c.member(to)
	if err != nil {
		return nil, err
	}
	ch := make(chan clusterMsg, 1)
	c.mu.Lock()
	c.nextReq++
	id := c.nextReq
	c.pending[id] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
	}()
	msg := clusterMsg{typ: cmRequest, request: id, peer: c.name, addr: c.addr, payload: request}
	if err := c.ml.SendReliable(n, msg.encode()); err != nil {
		return nil, fmt.Errorf("gossip: request to %s: %w", to, err)
	}
	select {
	case r := <-ch:
		if r.status != statusOK {
			return nil, fmt.Errorf("gossip: request to %s: %w: %s", to, ErrRemote, r.payload)
		}
		return r.payload, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("gossip: request to %s: %w", to, ctx.Err())
	case <-c.closed:
		return nil, ErrClusterClosed
	}
}

// member finds a live member by name.
func (c *Cluster) member(name string) (*memberlist.Node, error) {
	c.mu.Lock()
	m, ok := c.live[name]
	c.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownMember, name)
	}
	return nodeAt(m.Name, m.Addr)
}

// nodeAt builds the memberlist address of a member from the name and
// host:port it sent, so answers do not depend on our membership view.
func nodeAt(name, addr string) (*memberlist.Node, error) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: member %q address %q", ErrMalformed, name, addr)
	}
	return &memberlist.Node{Name: name, Addr: net.IP(ap.Addr().AsSlice()), Port: ap.Port()}, nil
}

// stream queues a reliable send for the outbox workers; memberlist's
// handlers must not block on a TCP dial.
func (c *Cluster) stream(name, addr string, m clusterMsg) {
	n, err := nodeAt(name, addr)
	if err != nil {
		c.stats.malformed.Add(1)
		return
	}
	send := func() {
		if err := c.ml.SendReliable(n, m.encode()); err != nil {
			c.stats.streamErrs.Add(1)
			c.logf("stream send failed", "to", name, "err", err)
		}
	}
	select {
	case c.outbox <- send:
	default:
		c.stats.outboxDrops.Add(1)
	}
}

func (c *Cluster) deliver(m ClusterMessage) {
	select {
	case c.inbox <- m:
	default:
		c.stats.inboxDrops.Add(1)
	}
}

func (c *Cluster) deliverLoop() {
	defer c.wg.Done()
	for {
		select {
		case <-c.closed:
			return
		case m := <-c.inbox:
			if c.cfg.OnMessage != nil {
				c.cfg.OnMessage(m)
			}
		}
	}
}

func (c *Cluster) requestWorker() {
	defer c.wg.Done()
	for {
		select {
		case <-c.closed:
			return
		case m := <-c.requests:
			resp := clusterMsg{typ: cmResponse, request: m.request, status: statusOK}
			if c.cfg.OnRequest == nil {
				resp.status, resp.payload = statusError, []byte("no request handler")
			} else if out, err := c.cfg.OnRequest(m.peer, m.payload); err != nil {
				resp.status, resp.payload = statusError, []byte(err.Error())
			} else {
				resp.payload = out
			}
			c.stream(m.peer, m.addr, resp)
		}
	}
}

func (c *Cluster) outboxWorker() {
	defer c.wg.Done()
	for {
		select {
		case <-c.closed:
			return
		case send := <-c.outbox:
			send()
		}
	}
}
