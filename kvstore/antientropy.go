package kvstore

// The sending side of anti-entropy (see replicate.go for what arrives):
// the periodic exchange with a random member, and tombstone collection.

// AntiEntropy starts one exchange with a random live member: it sends its
// root hash (or, with FullStateExchange, every entry). Run calls it every
// interval; tests and examples may call it directly.
func (n *Node) AntiEntropy() {
	if n.cluster == nil || n.enter() != nil {
		return
	}
	defer n.exit()
	peers := n.cluster.Members()
	if len(peers) == 0 || n.pending.busy(n.cfg.Now()) {
		return
	}
	n.randMu.Lock()
	peer := peers[n.rand.IntN(len(peers))]
	n.randMu.Unlock()
	n.stats.aeRounds.Add(1)
	if n.cfg.FullStateExchange {
		var all []Entry
		_ = n.store.Range("", func(e Entry) bool { all = append(all, e); return true })
		n.sendEntries(peer, kindRepair, all)
		return
	}
	n.sendAE(peer, encodeRoot(n.cfg.Buckets, root(n.dig.snapshot())))
}

func (n *Node) sendAE(peer string, msg []byte) {
	n.stats.aeBytesSent.Add(uint64(len(msg)))
	if err := n.cluster.SendTo(peer, msg); err != nil {
		n.log.Debug("anti-entropy send failed", "peer", peer, "err", err)
	}
}

// sendEntries sends es in as many messages as MaxMessage requires.
func (n *Node) sendEntries(peer string, kind byte, es []Entry) {
	for _, batch := range batches(es, n.cfg.Limits.MaxMessage, func(e Entry) int { return e.size() + 32 }) {
		n.sendAE(peer, appendEntries(nil, kind, batch))
	}
}

// batches splits items into runs whose estimated encoded sizes (size of
// each item, plus a small header) fit in a message of limit bytes. An item
// is never split; every batch holds at least one.
func batches[T any](items []T, limit int, size func(T) int) [][]T {
	var out [][]T
	for len(items) > 0 {
		total, i := 32, 0
		for i < len(items) && (i == 0 || total+size(items[i]) <= limit) {
			total += size(items[i])
			i++
		}
		out = append(out, items[:i])
		items = items[i:]
	}
	return out
}

// CollectTombstones removes tombstones older than TombstoneGrace.
func (n *Node) CollectTombstones() {
	if n.enter() != nil {
		return
	}
	defer n.exit()
	cutoff := n.cfg.Now().Add(-n.cfg.TombstoneGrace).UnixNano()
	var old []Entry
	_ = n.store.Range("", func(e Entry) bool {
		if e.Tombstone && e.Version.Wall < cutoff {
			old = append(old, e)
		}
		return true
	})
	for _, e := range old {
		mu := n.lockFor(e.Key)
		mu.Lock()
		cur, ok, err := n.store.Get(e.Key)
		if err == nil && ok && cur.Version == e.Version && n.store.Remove(e.Key) == nil {
			n.dig.replace(&cur, nil)
			n.stats.tombstonesCollected.Add(1)
		}
		mu.Unlock()
	}
}
