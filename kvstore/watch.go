package kvstore

import (
	"context"
	"strings"
)

// Event is one change applied to the local replica.
type Event struct {
	Entry Entry // the new entry; Entry.Tombstone for a delete
	Local bool  // written on this node (false: arrived from another)
}

type watcher struct {
	prefix string
	ch     chan Event
}

// Watch returns a channel of the changes to keys starting with prefix, local
// and remote, in the order this node applies them. The channel closes when
// ctx ends, when the node closes, or when the watcher falls more than
// [Config.WatchBuffer] events behind (counted in [Stats.WatchersCutOff]): a slow
// watcher never slows the store.
func (n *Node) Watch(ctx context.Context, prefix string) <-chan Event {
	w := &watcher{prefix: prefix, ch: make(chan Event, n.cfg.WatchBuffer)}
	if n.enter() != nil {
		close(w.ch)
		return w.ch
	}
	defer n.exit()
	n.watchMu.Lock()
	n.watchers[w] = struct{}{}
	n.nWatch.Add(1)
	n.watchMu.Unlock()
	context.AfterFunc(ctx, func() {
		n.watchMu.Lock()
		defer n.watchMu.Unlock()
		if _, ok := n.watchers[w]; ok {
			n.dropWatcherLocked(w)
		}
	})
	return w.ch
}

func (n *Node) dropWatcherLocked(w *watcher) {
	delete(n.watchers, w)
	n.nWatch.Add(-1)
	close(w.ch)
}

func (n *Node) notify(ev Event) {
	n.watchMu.Lock()
	defer n.watchMu.Unlock()
	for w := range n.watchers {
		if !strings.HasPrefix(ev.Entry.Key, w.prefix) {
			continue
		}
		select {
		case w.ch <- ev:
		default:
			n.stats.watchersCutOff.Add(1)
			n.dropWatcherLocked(w)
		}
	}
}
