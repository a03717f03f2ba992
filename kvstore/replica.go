package kvstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netlab-go/netlab/gossip"
)

// Replica is a [Node] replicated over a gossip.Cluster: the cluster's
// membership says who the other replicas are, its epidemic broadcast carries
// writes, and its reliable direct messages carry anti-entropy. It is what a
// program runs to be one member of a replicated store.
type Replica struct {
	*Node
	Cluster *gossip.Cluster

	ae      chan gossip.ClusterMessage
	aeDrops atomic.Uint64

	mu        sync.Mutex
	running   bool
	closed    bool
	cancelRun context.CancelFunc
	runDone   chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// aeQueue bounds the anti-entropy messages waiting for the replica's
// anti-entropy worker.
const aeQueue = 256

// NewReplica starts a gossip member configured by ccfg and a [Node] configured
// by cfg, wired together: every message the member receives goes to
// [Node.HandleMessage]. The member's name is cfg.Name. The member answers at
// once (ccfg's port 0 picks a free one; [gossip.Cluster.Addr] says which);
// set [gossip.ClusterConfig.Seeds] (or call [Replica.Join]) to meet the
// others, and Run to take part.
//
// Writes (broadcast pushes) are applied on the gossip member's message
// goroutine as they arrive. Anti-entropy messages, whose handling scans
// buckets and sends megabytes, go to a worker of the replica's own through a
// bounded queue, so that a large repair never stalls the member's inbox and
// makes it drop writes; when the queue is full the message is dropped and
// counted (the next round repeats the exchange). Requests carrying a write
// go to [Node.HandleRequest] (the acknowledgements of PutAcked); others to
// ccfg.OnRequest, if set.
func NewReplica(cfg Config, ccfg gossip.ClusterConfig) (*Replica, error) {
	var node atomic.Pointer[Node]
	r := &Replica{ae: make(chan gossip.ClusterMessage, aeQueue)}
	ccfg.Name = cfg.Name
	user := ccfg.OnMessage
	ccfg.OnMessage = func(m gossip.ClusterMessage) {
		if n := node.Load(); n != nil {
			if len(m.Data) > 0 && m.Data[0] == kindPush {
				n.HandleMessage(m.From, m.Data)
			} else {
				select {
				case r.ae <- m:
				default:
					r.aeDrops.Add(1)
				}
			}
		}
		if user != nil {
			user(m)
		}
	}
	userReq := ccfg.OnRequest
	ccfg.OnRequest = func(from string, req []byte) ([]byte, error) {
		if n := node.Load(); n != nil && len(req) > 0 && req[0] == kindPush {
			return n.HandleRequest(from, req)
		}
		if userReq != nil {
			return userReq(from, req)
		}
		return nil, errors.New("kvstore: not a write to acknowledge")
	}
	c, err := gossip.NewCluster(ccfg)
	if err != nil {
		return nil, fmt.Errorf("kvstore: starting the gossip member: %w", err)
	}
	n, err := New(cfg, gossipMembers{c})
	if err != nil {
		c.Close()
		return nil, err
	}
	node.Store(n)
	r.Node, r.Cluster = n, c
	return r, nil
}

// Join contacts existing members (their gossip addresses) and returns how
// many answered.
func (r *Replica) Join(seeds []string) (int, error) { return r.Cluster.Join(seeds) }

// Run runs the gossip member and the node's anti-entropy until ctx ends (or
// Close is called), then leaves the cluster gracefully and closes the node
// (and its store). Calling it after Close returns [ErrClosed].
func (r *Replica) Run(ctx context.Context) error {
	r.mu.Lock()
	switch {
	case r.closed:
		r.mu.Unlock()
		return ErrClosed
	case r.running:
		r.mu.Unlock()
		return errors.New("kvstore: Replica.Run called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.running, r.cancelRun, r.runDone = true, cancel, make(chan struct{})
	defer close(r.runDone)
	r.mu.Unlock()

	var wg sync.WaitGroup
	var clusterErr error
	wg.Go(func() { clusterErr = r.Cluster.Run(ctx) })
	wg.Go(func() { r.antiEntropyWorker(ctx) })
	nodeErr := r.Node.Run(ctx)
	wg.Wait()
	return errors.Join(clusterErr, nodeErr, r.Node.Close())
}

// antiEntropyWorker handles queued anti-entropy messages until ctx ends.
func (r *Replica) antiEntropyWorker(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-r.ae:
			r.HandleMessage(m.From, m.Data)
		}
	}
}

// AntiEntropyDrops is how many anti-entropy messages arrived while the
// replica's queue was full and were dropped.
func (r *Replica) AntiEntropyDrops() uint64 { return r.aeDrops.Load() }

// Close stops the replica. A running replica is stopped as if Run's
// context ended (it leaves the cluster gracefully) and Close waits for Run
// to return; a replica that never ran closes its gossip member without
// leaving, and its node. Close is idempotent, and every call on the replica
// after it returns [ErrClosed].
func (r *Replica) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		running, cancel, done := r.running, r.cancelRun, r.runDone
		r.mu.Unlock()
		if running {
			cancel()
			<-done
			return
		}
		r.closeErr = errors.Join(r.Cluster.Close(), r.Node.Close())
	})
	return r.closeErr
}

// gossipMembers adapts a gossip.Cluster to the [Cluster] a [Node] needs.
type gossipMembers struct{ c *gossip.Cluster }

func (g gossipMembers) Members() []string {
	self := g.c.Name()
	var out []string
	for _, m := range g.c.Members() {
		if m.Name != self {
			out = append(out, m.Name)
		}
	}
	return out
}

func (g gossipMembers) Broadcast(msg []byte) error { return g.c.Broadcast(msg) }

func (g gossipMembers) Request(ctx context.Context, member string, msg []byte) ([]byte, error) {
	return g.c.Request(ctx, member, msg)
}

func (g gossipMembers) SendTo(member string, msg []byte) error { return g.c.Send(member, msg) }

// WaitMembers waits until the replica sees want members (itself included),
// or ctx ends.
func (r *Replica) WaitMembers(ctx context.Context, want int) error {
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for r.Cluster.NumMembers() < want {
		select {
		case <-ctx.Done():
			return fmt.Errorf("kvstore: %s sees %d of %d members: %w", r.Name(), r.Cluster.NumMembers(), want, ctx.Err())
		case <-t.C:
		}
	}
	return nil
}
