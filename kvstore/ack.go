package kvstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// ErrNotEnoughReplicas is returned (wrapped) by PutAcked and DeleteAcked
// when fewer members than asked acknowledged the write. The write is stored
// on this node all the same and keeps spreading.
var ErrNotEnoughReplicas = errors.New("kvstore: not enough replicas acknowledged the write")

// Requester is a [Cluster] that can also send a message to one member and
// wait for its answer (gossip.Cluster's Request). A Node needs it only for
// acknowledged writes (PutAcked, DeleteAcked); the member's side hands the
// message to [Node.HandleRequest].
type Requester interface {
	Request(ctx context.Context, member string, msg []byte) ([]byte, error)
}

var errNoRequester = errors.New("kvstore: acknowledged writes (w > 0) need a Cluster that implements Requester")

// defaultAckTimeout bounds an acknowledged write when the caller's context
// has no deadline ([Config.AckTimeout] zero).
const defaultAckTimeout = 5 * time.Second

// PutAcked writes value under key like Put and then waits until acks other
// live members have stored it (each answers after applying the write to its
// own store, durably if its store is durable), or until ctx ends or
// [Config.AckTimeout] passes. With acks = 0 it is Put.
//
// An error wrapping [ErrNotEnoughReplicas] (or ctx's error) still comes with
// the write's version: the write is stored here and spreads as any other;
// what failed is only the promise that acks others hold it now. This is the
// "W" of Dynamo's N, R, W, without hinted hand-off or sloppy quorums.
func (n *Node) PutAcked(ctx context.Context, key string, value []byte, acks int) (Version, error) {
	if err := n.checkAcks(acks); err != nil {
		return Version{}, err
	}
	if err := n.checkSizes(key, value); err != nil {
		return Version{}, err
	}
	e := Entry{Key: key, Value: append([]byte{}, value...)}
	v, err := n.enterWrite(e, &n.stats.puts)
	if err != nil || acks == 0 {
		return v, err
	}
	e.Version = v
	return v, n.waitAcks(ctx, e, acks)
}

// DeleteAcked deletes key like Delete and waits for acks other members to
// store the tombstone, as PutAcked does.
func (n *Node) DeleteAcked(ctx context.Context, key string, acks int) (Version, error) {
	if err := n.checkAcks(acks); err != nil {
		return Version{}, err
	}
	if err := n.checkSizes(key, nil); err != nil {
		return Version{}, err
	}
	e := Entry{Key: key, Tombstone: true}
	v, err := n.enterWrite(e, &n.stats.deletes)
	if err != nil || acks == 0 {
		return v, err
	}
	e.Version = v
	return v, n.waitAcks(ctx, e, acks)
}

// enterWrite writes e as a call of its own: the wait for acknowledgements
// that follows must not hold off Close.
func (n *Node) enterWrite(e Entry, counter *atomic.Uint64) (Version, error) {
	if err := n.enter(); err != nil {
		return Version{}, err
	}
	defer n.exit()
	return n.write(e, counter)
}

func (n *Node) checkAcks(acks int) error {
	if acks < 0 {
		return fmt.Errorf("kvstore: %d acknowledgements asked for; want 0 or more", acks)
	}
	if acks > 0 {
		if _, ok := n.cluster.(Requester); !ok {
			return errNoRequester
		}
	}
	return nil
}

// waitAcks sends e to every live member and waits for acks answers.
func (n *Node) waitAcks(ctx context.Context, e Entry, acks int) error {
	req := n.cluster.(Requester)
	members := n.cluster.Members()
	if len(members) < acks {
		return fmt.Errorf("%w: %d asked for, %d other members live", ErrNotEnoughReplicas, acks, len(members))
	}
	timeout := n.cfg.AckTimeout
	timeout = cmp.Or(timeout, defaultAckTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	msg := appendEntries(nil, kindPush, []Entry{e})
	results := make(chan error, len(members))
	var wg sync.WaitGroup
	for _, m := range members {
		wg.Go(func() {
			_, err := req.Request(ctx, m, msg)
			results <- err
		})
	}
	defer func() { cancel(); wg.Wait() }() // cancelling ends the requests still out
	got, failed := 0, 0
	var last error
	for range members {
		select {
		case err := <-results:
			if err == nil {
				got++
			} else {
				failed, last = failed+1, err
			}
		case <-ctx.Done():
			return fmt.Errorf("%w: %d of %d before %v", ErrNotEnoughReplicas, got, acks, ctx.Err())
		}
		if got >= acks {
			return nil
		}
		if len(members)-failed < acks {
			break
		}
	}
	return fmt.Errorf("%w: %d of %d (%d members failed; last: %v)", ErrNotEnoughReplicas, got, acks, failed, last)
}

// HandleRequest answers a request from member from: a write that asks to
// be acknowledged (PutAcked). It applies the write as HandleMessage would
// and answers once this node's store holds it or a newer version of the
// key; an error (the entry was rejected, for a clock too far ahead, or the
// store failed) reaches the writer.
func (n *Node) HandleRequest(from string, data []byte) ([]byte, error) {
	if err := n.enter(); err != nil {
		return nil, err
	}
	defer n.exit()
	m, err := decodeMessage(data, n.cfg.Limits)
	if err != nil {
		n.stats.malformed.Add(1)
		return nil, fmt.Errorf("kvstore: malformed request: %w", err)
	}
	if m.Kind != kindPush {
		return nil, fmt.Errorf("kvstore: request of kind %s; only writes are acknowledged", kindName(m.Kind))
	}
	n.merge(from, m.Entries)
	for _, e := range m.Entries {
		cur, ok, err := n.store.Get(e.Key)
		if err != nil {
			return nil, fmt.Errorf("kvstore: reading %q: %w", e.Key, err)
		}
		if !ok || cur.Version.Compare(e.Version) < 0 {
			return nil, fmt.Errorf("kvstore: %s did not store %q (version %s)", n.Name(), e.Key, e.Version)
		}
	}
	return []byte{1}, nil
}
