package kvstore

// Divergent counts the keys on which the nodes disagree: a key that some
// node lacks, or holds at a different version (a tombstone counts as an
// entry). It is zero exactly when the nodes hold the same entries, and it
// measures how far a set of replicas is from convergence: after a
// partition it rises with every write that one side makes, and falls as
// gossip and anti-entropy repair it.
func Divergent(nodes ...*Node) (int, error) {
	if len(nodes) < 2 {
		return 0, nil
	}
	type seen struct {
		v     Version
		tomb  bool
		count int
		same  bool
	}
	keys := map[string]*seen{}
	for _, n := range nodes {
		if err := n.enter(); err != nil {
			return 0, err
		}
		err := n.store.Range("", func(e Entry) bool {
			s := keys[e.Key]
			if s == nil {
				keys[e.Key] = &seen{v: e.Version, tomb: e.Tombstone, count: 1, same: true}
				return true
			}
			s.count++
			s.same = s.same && s.v == e.Version && s.tomb == e.Tombstone
			return true
		})
		n.exit()
		if err != nil {
			return 0, err
		}
	}
	d := 0
	for _, s := range keys {
		if !s.same || s.count != len(nodes) {
			d++
		}
	}
	return d, nil
}
