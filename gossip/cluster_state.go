package gossip

import (
	"encoding/binary"
	"fmt"
	"time"
)

// The state a member sends in memberlist's push-pull sync (on join and
// every PushPullInterval) starts with the [Cluster]'s own section, a digest
// of the broadcasts it holds, followed by the [ClusterConfig.State]'s bytes:
//
//	section length u32 | 'N' | 1 | len u8 | name | len u8 | addr |
//	count u16 | count × id [16] | user state (the rest)
//
// A member that finds IDs it has not seen in a peer's digest asks that peer
// for them over a stream (want → body), exactly as for a large broadcast.
// This is anti-entropy for broadcasts: whatever gossip missed (heavy loss,
// a member that was partitioned or busy) is repaired at the next sync.
const (
	digestMagic   = 'N'
	digestVersion = 1
	maxDigestIDs  = 256
)

type stateDigest struct {
	name, addr string
	ids        []msgID
	user       []byte
}

func (d stateDigest) encode() []byte {
	sec := []byte{digestMagic, digestVersion, byte(len(d.name))}
	sec = append(sec, d.name...)
	sec = append(sec, byte(len(d.addr)))
	sec = append(sec, d.addr...)
	sec = binary.BigEndian.AppendUint16(sec, uint16(len(d.ids)))
	for _, id := range d.ids {
		sec = append(sec, id[:]...)
	}
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 4+len(sec)+len(d.user)), uint32(len(sec)))
	b = append(b, sec...)
	return append(b, d.user...)
}

// decodeStateDigest parses a peer's push-pull state; errors wrap
// ErrMalformed. The user part aliases b.
func decodeStateDigest(b []byte) (stateDigest, error) {
	bad := func(format string, args ...any) (stateDigest, error) {
		return stateDigest{}, fmt.Errorf("%w: state digest: %s", ErrMalformed, fmt.Sprintf(format, args...))
	}
	if len(b) < 4 {
		return bad("%d bytes, no section length", len(b))
	}
	n := binary.BigEndian.Uint32(b)
	if uint64(n) > uint64(len(b)-4) {
		return bad("section of %d bytes, %d left", n, len(b)-4)
	}
	sec, d := b[4:4+n], stateDigest{user: b[4+n:]}
	if len(sec) < 2 || sec[0] != digestMagic || sec[1] != digestVersion {
		return bad("section does not start with %q version %d", digestMagic, digestVersion)
	}
	off, err := readNames(sec, 2, &d.name, &d.addr)
	if err != nil {
		return bad("%v", err)
	}
	if len(sec)-off < 2 {
		return bad("byte %d: id count missing", off)
	}
	count := int(binary.BigEndian.Uint16(sec[off:]))
	off += 2
	if count > maxDigestIDs || count*16 != len(sec)-off {
		return bad("byte %d: %d ids in %d bytes", off-2, count, len(sec)-off)
	}
	d.ids = make([]msgID, count)
	for i := range d.ids {
		copy(d.ids[i][:], sec[off:])
		off += 16
	}
	return d, nil
}

// localState builds this member's push-pull state: the newest broadcasts
// it holds (none without Relay, which means memberlist's own behaviour), and
// the user's state.
func (c *Cluster) localState(join bool) []byte {
	d := stateDigest{name: c.name, addr: c.addr}
	c.mu.Lock()
	for i := len(c.seenQ) - 1; c.cfg.Relay && i >= 0 && len(d.ids) < maxDigestIDs; i-- {
		if id := c.seenQ[i].id; c.bodies[id] != nil {
			d.ids = append(d.ids, id)
		}
	}
	c.mu.Unlock()
	if c.cfg.State != nil {
		d.user = c.cfg.State.LocalState(join)
	}
	return d.encode()
}

// mergeRemoteState asks the peer for the broadcasts it holds that this
// member has not seen, and passes the user's state on.
func (c *Cluster) mergeRemoteState(buf []byte, join bool) {
	d, err := decodeStateDigest(buf)
	if err != nil {
		c.stats.malformed.Add(1)
		c.logf("dropped malformed push-pull state", "err", err)
		return
	}
	now := time.Now()
	for _, id := range d.ids {
		c.mu.Lock()
		_, seen := c.seen[id]
		at, asked := c.wanted[id]
		fetch := !seen && (!asked || now.Sub(at) >= 2*c.cfg.TCPTimeout)
		if fetch {
			c.wanted[id] = now
		}
		c.mu.Unlock()
		if fetch {
			c.stats.repairs.Add(1)
			c.stream(d.name, d.addr, clusterMsg{typ: cmWant, id: id, peer: c.name, addr: c.addr})
		}
	}
	if c.cfg.State != nil && len(d.user) > 0 {
		c.cfg.State.MergeRemoteState(d.user, join)
	}
}
