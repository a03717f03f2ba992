package kvstore

// HandleMessage processes one replication message from member from. The
// Cluster wiring calls it for every message it receives; a message that does
// not decode is counted in [Stats.Malformed] and dropped.
//
// Anti-entropy is a short exchange of one-way messages between an
// initiator I and a responder R. Each step sends less than the one before
// when replicas are nearly in sync, a step is skipped when there is nothing
// to send, and entries only ever travel in answer to a want:
//
//	I                                   R
//	|-- root(hash of all buckets) ----->|   equal: done (in sync)
//	|<--------- digests(all buckets) ---|   differ: R sends its bucket digests
//	|-- summaries(I's keys+versions --->|   for the buckets that differ
//	|<-- want(keys R lacks) ------------|   R asks for what it lacks,
//	|<-- offer(R's newer keys+versions)-|   and offers what I lacks
//	|-- repair(wanted entries) -------->|
//	|-- want(offered keys I lacks) ---->|
//	|<-- repair(wanted entries) --------|
//
// A node remembers the keys it has asked for until they arrive (or until
// they stop arriving for a few intervals): it does not ask twice for the
// same key, and while it is waiting it neither starts an exchange nor
// answers another's root. It also answers one root at a time, from its
// digests until that initiator's summaries. A node that missed a lot is
// therefore repaired by one peer, not by all of them at once.
func (n *Node) HandleMessage(from string, data []byte) {
	if n.enter() != nil {
		return
	}
	defer n.exit()
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
	case kindOffer:
		n.onOffer(from, m)
	case kindWant:
		n.onWant(from, m)
	}
}

// merge applies remote entries that win under LWW, after checking their
// clocks and dropping tombstones already past their grace period.
func (n *Node) merge(from string, es []Entry) {
	now := n.cfg.Now()
	expired := now.Add(-n.cfg.TombstoneGrace).UnixNano()
	for _, e := range es {
		n.pending.done(e.Key, now)
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
	if !n.pending.openSession(from, n.cfg.Now()) {
		n.stats.aeBusy.Add(1)
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
	byBucket := map[int][]summary{}
	for b, es := range n.entriesIn(diff) {
		for _, e := range es {
			byBucket[b] = append(byBucket[b], summaryOf(e))
		}
	}
	for b := range diff {
		if _, ok := byBucket[b]; !ok {
			byBucket[b] = nil // an empty bucket is news too: "I have nothing here"
		}
	}
	n.sendSummaries(from, kindSummaries, byBucket)
}

// sendSummaries sends per-bucket summaries in as many messages as
// MaxMessage requires, never splitting a bucket.
func (n *Node) sendSummaries(peer string, kind byte, byBucket map[int][]summary) {
	limit := n.cfg.Limits.MaxMessage - 64
	var batch []bucketSummaries
	size := 16
	flush := func() {
		if len(batch) > 0 {
			n.sendAE(peer, encodeSummaryKind(kind, batch))
			batch, size = nil, 16
		}
	}
	for b, ss := range byBucket {
		bsize := 16
		for _, s := range ss {
			bsize += len(s.Key) + len(s.Version.Node) + 24
		}
		if size+bsize > limit {
			flush()
		}
		batch = append(batch, bucketSummaries{Bucket: b, Entries: ss})
		size += bsize
	}
	flush()
}

// entriesIn returns the local entries of the given buckets, by bucket.
func (n *Node) entriesIn(buckets map[int]bool) map[int][]Entry {
	out := map[int][]Entry{}
	for b := range buckets {
		for _, k := range n.dig.keysIn(b) {
			if e, ok, err := n.store.Get(k); err == nil && ok {
				out[b] = append(out[b], e)
			}
		}
	}
	return out
}

func (n *Node) onSummaries(from string, m message) {
	defer n.pending.closeSession(from)
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
	var want []string
	offer := map[int][]summary{}
	for _, bs := range m.Summaries {
		for _, s := range bs.Entries {
			mine, ok := local[s.Key]
			delete(local, s.Key)
			theirs := Entry{Key: s.Key, Version: s.Version, Tombstone: s.Tombstone}
			switch {
			case !ok || Newer(theirs, mine):
				want = append(want, s.Key)
			case mine.Version.Compare(s.Version) > 0:
				offer[bs.Bucket] = append(offer[bs.Bucket], summaryOf(mine))
			}
		}
	}
	for _, e := range local { // in the buckets, but the peer has never seen them
		b := n.dig.bucketOf(e.Key)
		offer[b] = append(offer[b], summaryOf(e))
	}
	n.sendWant(from, want)
	n.sendSummaries(from, kindOffer, offer)
}

func summaryOf(e Entry) summary {
	return summary{Key: e.Key, Version: e.Version, Tombstone: e.Tombstone}
}

// onOffer asks for the offered versions that are newer than the local ones.
func (n *Node) onOffer(from string, m message) {
	var want []string
	for _, bs := range m.Summaries {
		for _, s := range bs.Entries {
			mine, ok, err := n.store.Get(s.Key)
			if err == nil && (!ok || Newer(Entry{Key: s.Key, Version: s.Version, Tombstone: s.Tombstone}, mine)) {
				want = append(want, s.Key)
			}
		}
	}
	n.sendWant(from, want)
}

// sendWant asks peer for keys, leaving out those already asked for and
// not yet received.
func (n *Node) sendWant(peer string, keys []string) {
	keys = n.pending.claim(keys, n.cfg.Now())
	for _, batch := range batches(keys, n.cfg.Limits.MaxMessage, func(k string) int { return len(k) + 10 }) {
		n.sendAE(peer, encodeWant(batch))
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
