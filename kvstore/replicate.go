package kvstore

// HandleMessage processes one replication message from member from. The
// Cluster wiring calls it for every message it receives; a message that does
// not decode is counted in Stats.Malformed and dropped.
//
// Anti-entropy is four one-way messages between an initiator I and a
// responder R; each step sends less than the one before when replicas are
// nearly in sync, and a step is skipped when there is nothing to send:
//
//	I                                   R
//	|-- root(hash of all buckets) ----->|   equal: done (in sync)
//	|<--------- digests(all buckets) ---|   differ: R sends its bucket digests
//	|-- summaries(I's keys+versions --->|   I sends what it holds in the
//	|   in the differing buckets)       |   buckets whose digests differ
//	|<-- repair(entries I lacks) -------|   R sends what I lacks or has older,
//	|<-- want(keys R lacks) ------------|   and asks for what it lacks
//	|-- repair(wanted entries) -------->|
func (n *Node) HandleMessage(from string, data []byte) {
	m, err := decodeMessage(data, n.cfg.Limits)
	if err != nil {
		n.stats.malformed.Add(1)
		n.log.Warn("dropping malformed replication message", "from", from, "err", err)
		return
	}
	if m.Kind != kindPush {
		n.stats.aeBytesReceived.Add(uint64(len(data)))
	}
	switch m.Kind {
	case kindPush, kindRepair:
		n.merge(from, m.Entries)
	case kindRoot:
		n.onRoot(from, m)
	case kindDigests:
		n.onDigests(from, m)
	case kindSummaries:
		n.onSummaries(from, m)
	case kindWant:
		n.onWant(from, m)
	}
}

// merge applies remote entries that win under LWW, after checking their
// clocks and dropping tombstones already past their grace period.
func (n *Node) merge(from string, es []Entry) {
	expired := n.cfg.Now().Add(-n.cfg.TombstoneGrace).UnixNano()
	for _, e := range es {
		if err := n.clock.Observe(e.Version.Wall, e.Version.Logical); err != nil {
			n.stats.rejectedClock.Add(1)
			n.log.Warn("rejecting remote write", "from", from, "key", e.Key, "version", e.Version, "err", err)
			continue
		}
		if e.Tombstone && e.Version.Wall < expired {
			// Collected here already, or about to be: accepting it would
			// resurrect a tombstone, not a value, but it is noise.
			n.stats.stale.Add(1)
			continue
		}
		won, err := n.apply(e, false)
		switch {
		case err != nil:
			n.log.Error("storing remote write", "key", e.Key, "err", err)
		case won:
			n.stats.merges.Add(1)
		default:
			n.stats.stale.Add(1)
		}
	}
}

func (n *Node) onRoot(from string, m message) {
	if m.Buckets != n.cfg.Buckets {
		n.log.Warn("peer uses a different bucket count", "from", from, "theirs", m.Buckets, "ours", n.cfg.Buckets)
		return
	}
	snap := n.dig.snapshot()
	if root(snap) == m.Root {
		n.stats.aeInSync.Add(1)
		return
	}
	n.sendAE(from, encodeDigests(snap))
}

func (n *Node) onDigests(from string, m message) {
	if m.Buckets != n.cfg.Buckets {
		return
	}
	snap := n.dig.snapshot()
	diff := map[int]bool{}
	for i, d := range m.Digests {
		if snap[i] != d {
			diff[i] = true
		}
	}
	if len(diff) == 0 {
		return
	}
	byBucket := n.entriesIn(diff)
	limit := n.cfg.Limits.MaxMessage - 64
	var batch []bucketSummaries
	size := 16
	flush := func() {
		if len(batch) > 0 {
			n.sendAE(from, encodeSummaries(batch))
			batch, size = nil, 16
		}
	}
	for b := range diff {
		bs := bucketSummaries{Bucket: b}
		bsize := 16
		for _, e := range byBucket[b] {
			bs.Entries = append(bs.Entries, summary{Key: e.Key, Version: e.Version, Tombstone: e.Tombstone})
			bsize += len(e.Key) + len(e.Version.Node) + 24
		}
		if size+bsize > limit {
			flush()
		}
		batch = append(batch, bs)
		size += bsize
	}
	flush()
}

// entriesIn returns the local entries of the given buckets, by bucket.
func (n *Node) entriesIn(buckets map[int]bool) map[int][]Entry {
	out := map[int][]Entry{}
	_ = n.store.Range("", func(e Entry) bool {
		if b := n.dig.bucketOf(e.Key); buckets[b] {
			out[b] = append(out[b], e)
		}
		return true
	})
	return out
}

func (n *Node) onSummaries(from string, m message) {
	buckets := map[int]bool{}
	for _, bs := range m.Summaries {
		buckets[bs.Bucket] = true
	}
	local := map[string]Entry{}
	for _, es := range n.entriesIn(buckets) {
		for _, e := range es {
			local[e.Key] = e
		}
	}
	var send []Entry
	var want []string
	for _, bs := range m.Summaries {
		for _, s := range bs.Entries {
			mine, ok := local[s.Key]
			delete(local, s.Key)
			theirs := Entry{Key: s.Key, Version: s.Version, Tombstone: s.Tombstone}
			switch {
			case !ok:
				want = append(want, s.Key)
			case mine.Version.Compare(s.Version) > 0:
				send = append(send, mine)
			case Newer(theirs, mine):
				want = append(want, s.Key)
			}
		}
	}
	for _, e := range local { // in the buckets, but the peer has never seen them
		send = append(send, e)
	}
	n.sendEntries(from, kindRepair, send)
	n.sendWant(from, want)
}

func (n *Node) sendWant(peer string, keys []string) {
	limit := n.cfg.Limits.MaxMessage - 16
	for len(keys) > 0 {
		size, i := 16, 0
		for i < len(keys) && size+len(keys[i])+10 <= limit {
			size += len(keys[i]) + 10
			i++
		}
		n.sendAE(peer, encodeWant(keys[:i]))
		keys = keys[i:]
	}
}

func (n *Node) onWant(from string, m message) {
	var send []Entry
	for _, k := range m.Keys {
		if e, ok, err := n.store.Get(k); err == nil && ok {
			send = append(send, e)
		}
	}
	n.sendEntries(from, kindRepair, send)
}

// InSyncWith reports whether this node and other hold the same entries, by
// comparing their digests. It is for tests and examples that have both
// nodes in one process.
func (n *Node) InSyncWith(other *Node) bool {
	return root(n.dig.snapshot()) == root(other.dig.snapshot())
}
