package gossip

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"time"
)

// Envelope is a message the [Engine] wants sent to an address.
type Envelope struct {
	To  string
	Msg Message
}

// EngineStats counts what an [Engine] did.
type EngineStats struct {
	Rounds     uint64 // rounds stepped
	Published  uint64 // rumors published here
	Learned    uint64 // rumors learned from others (each once)
	Duplicates uint64 // copies of rumors already known
	Stale      uint64 // copies whose TTL had run out, ignored
	Expired    uint64 // rumors forgotten at the end of their TTL
	Evicted    uint64 // rumors forgotten early because MaxRumors was reached
}

type entry struct {
	rumor   Rumor // rumor.TTL is unused; expires is authoritative
	expires time.Time
	st      RumorState
}

// Engine is the deterministic core of the rumor protocol: plain state stepped
// by Round (a timer tick) and Receive (a message), returning the messages to
// send. It does no I/O, starts no goroutine and reads no clock: the caller
// passes the time, and all randomness comes from a generator seeded by
// [Config.Seed] and the node's address. An Engine is not safe for concurrent
// use; [Node] wraps one with a mutex, a transport and a ticker.
type Engine struct {
	cfg    Config
	self   string
	rng    *rand.Rand
	peers  []string
	rumors map[RumorID]*entry
	order  []RumorID // arrival order; may hold forgotten IDs until compacted
	nextAE time.Time
	stats  EngineStats
}

// NewEngine returns an engine for the node at address self.
func NewEngine(cfg Config, self string) (*Engine, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	h := fnv.New64a()
	h.Write([]byte(self))
	e := &Engine{
		cfg:    cfg,
		self:   self,
		rng:    rand.New(rand.NewPCG(cfg.Seed, h.Sum64())),
		rumors: map[RumorID]*entry{},
	}
	e.SetPeers(cfg.Peers)
	return e, nil
}

// SetPeers replaces the peer list (the node's own address and duplicates are
// ignored).
func (e *Engine) SetPeers(peers []string) {
	e.peers = e.peers[:0]
	seen := map[string]bool{e.self: true}
	for _, p := range peers {
		if !seen[p] {
			seen[p] = true
			e.peers = append(e.peers, p)
		}
	}
}

// Peers returns a copy of the peer list.
func (e *Engine) Peers() []string { return slices.Clone(e.peers) }

// Stats returns the engine's counters.
func (e *Engine) Stats() EngineStats { return e.stats }

// Len returns how many rumors the engine remembers.
func (e *Engine) Len() int { return len(e.rumors) }

// Hot returns how many rumors the engine is still spreading.
func (e *Engine) Hot() int {
	n := 0
	for _, en := range e.rumors {
		if en.st.Hot {
			n++
		}
	}
	return n
}

// Known reports whether the engine remembers the rumor.
func (e *Engine) Known(id RumorID) bool { return e.rumors[id] != nil }

// MaxPayload returns the largest payload Publish accepts: what fits in one
// message of [Config.MaxMessage] bytes.
func (e *Engine) MaxPayload() int {
	return min(MaxPayload, e.cfg.MaxMessage-headerSize-idsHeader-rumorHeader)
}

// Publish starts spreading a new rumor and returns its ID.
func (e *Engine) Publish(now time.Time, payload []byte) (RumorID, error) {
	if len(payload) > e.MaxPayload() {
		return 0, fmt.Errorf("%w: payload %d bytes, at most %d fit in Config.MaxMessage %d", ErrTooLarge, len(payload), e.MaxPayload(), e.cfg.MaxMessage)
	}
	id := RumorID(e.rng.Uint64())
	for id == 0 || e.rumors[id] != nil {
		id = RumorID(e.rng.Uint64())
	}
	e.insert(now, Rumor{ID: id, TTL: e.cfg.Expiry, Payload: slices.Clone(payload)})
	e.stats.Published++
	return id, nil
}

// Round steps one round at time now: it forgets expired rumors, starts an
// anti-entropy exchange when one is due, contacts Fanout random peers as the
// [Mode] says, and applies the stopping rule.
func (e *Engine) Round(now time.Time) []Envelope {
	e.stats.Rounds++
	e.expire(now)
	if len(e.peers) == 0 {
		return nil
	}
	var out []Envelope
	if e.cfg.AntiEntropy > 0 && !now.Before(e.nextAE) {
		if !e.nextAE.IsZero() {
			peer := e.peers[e.rng.IntN(len(e.peers))]
			out = append(out, Envelope{peer, Message{Kind: KindDigest, IDs: e.digest(e.cfg.MaxMessage - headerSize - idsHeader)}})
		}
		e.nextAE = now.Add(e.cfg.AntiEntropy)
	}
	hot := e.hotEntries()
	targets := e.pickPeers(e.cfg.Fanout)
	switch e.cfg.Mode {
	case Push:
		if len(hot) == 0 {
			return out
		}
		rumors, _ := e.pack(now, hot, e.cfg.MaxMessage-headerSize-idsHeader)
		for _, t := range targets {
			out = append(out, Envelope{t, Message{Kind: KindPush, Rumors: rumors}})
		}
		e.age(hot[:len(rumors)])
	case Pull:
		ids := e.digest(e.cfg.MaxMessage - headerSize - idsHeader)
		for _, t := range targets {
			out = append(out, Envelope{t, Message{Kind: KindPull, IDs: ids}})
		}
		e.age(hot)
	case PushPull:
		rumors, room := e.pack(now, hot, e.cfg.MaxMessage-headerSize-idsHeader)
		ids := e.digest(room)
		for _, t := range targets {
			out = append(out, Envelope{t, Message{Kind: KindPushPull, Rumors: rumors, IDs: ids}})
		}
		e.age(hot[:len(rumors)])
	}
	return out
}

// Receive handles one message from the node at from, returning the replies
// to send and the rumors learned for the first time.
func (e *Engine) Receive(now time.Time, from string, m Message) (out []Envelope, fresh []Rumor) {
	room := e.cfg.MaxMessage - headerSize - idsHeader
	feedback := e.cfg.Stop.Kind == StopFeedback
	switch m.Kind {
	case KindPush:
		known := e.learn(now, m.Rumors, &fresh)
		if feedback && len(known) > 0 {
			out = append(out, Envelope{from, Message{Kind: KindReply, IDs: fit(known, room)}})
		}
	case KindPull, KindPushPull:
		has := idSet(m.IDs)
		for _, r := range m.Rumors {
			has[r.ID] = true
		}
		known := e.learn(now, m.Rumors, &fresh)
		var give []*entry
		for _, en := range e.hotEntries() {
			if has[en.rumor.ID] {
				e.cfg.Stop.OnFeedback(&en.st) // the asker knew it already
			} else {
				give = append(give, en)
			}
		}
		rumors, left := e.pack(now, give, room)
		reply := Message{Kind: KindReply, Rumors: rumors}
		if feedback {
			reply.IDs = fit(known, left)
		}
		if len(reply.Rumors) > 0 || len(reply.IDs) > 0 {
			out = append(out, Envelope{from, reply})
		}
	case KindReply:
		e.learn(now, m.Rumors, &fresh)
		for _, id := range m.IDs {
			if en := e.rumors[id]; en != nil {
				e.cfg.Stop.OnFeedback(&en.st)
			}
		}
	case KindDigest:
		has := idSet(m.IDs)
		var give []*entry
		for _, id := range e.order {
			if en := e.rumors[id]; en != nil && !has[id] {
				give = append(give, en)
			}
		}
		rumors, left := e.pack(now, give, room)
		var want []RumorID
		for _, id := range m.IDs {
			if e.rumors[id] == nil {
				want = append(want, id)
			}
		}
		if reply := (Message{Kind: KindSync, Rumors: rumors, IDs: fit(want, left)}); len(reply.Rumors) > 0 || len(reply.IDs) > 0 {
			out = append(out, Envelope{from, reply})
		}
	case KindSync:
		e.learn(now, m.Rumors, &fresh)
		var give []*entry
		for _, id := range m.IDs {
			if en := e.rumors[id]; en != nil {
				give = append(give, en)
			}
		}
		if rumors, _ := e.pack(now, give, room); len(rumors) > 0 {
			out = append(out, Envelope{from, Message{Kind: KindSync, Rumors: rumors}})
		}
	}
	return out, fresh
}

// learn records the rumors not known yet (appending them to fresh) and
// returns the IDs of those already known.
func (e *Engine) learn(now time.Time, rumors []Rumor, fresh *[]Rumor) (known []RumorID) {
	for _, r := range rumors {
		switch {
		case e.rumors[r.ID] != nil:
			e.stats.Duplicates++
			known = append(known, r.ID)
		case r.TTL <= 0:
			e.stats.Stale++
		default:
			r.TTL = min(r.TTL, e.cfg.Expiry)
			e.insert(now, r)
			e.stats.Learned++
			*fresh = append(*fresh, r)
		}
	}
	return known
}

func (e *Engine) insert(now time.Time, r Rumor) {
	for len(e.rumors) >= e.cfg.MaxRumors {
		e.forgetOldest()
	}
	e.rumors[r.ID] = &entry{rumor: r, expires: now.Add(r.TTL), st: RumorState{Hot: true}}
	e.order = append(e.order, r.ID)
}

func (e *Engine) forgetOldest() {
	for i, id := range e.order {
		if e.rumors[id] != nil {
			delete(e.rumors, id)
			e.order = e.order[i+1:]
			e.stats.Evicted++
			return
		}
	}
}

// expire forgets rumors whose time is up and compacts the order list.
func (e *Engine) expire(now time.Time) {
	for id, en := range e.rumors {
		if !now.Before(en.expires) {
			delete(e.rumors, id)
			e.stats.Expired++
		}
	}
	if len(e.order) > 2*len(e.rumors)+16 {
		kept := make([]RumorID, 0, len(e.rumors))
		for _, id := range e.order {
			if e.rumors[id] != nil {
				kept = append(kept, id)
			}
		}
		e.order = kept
	}
}

// hotEntries returns the hot rumors in arrival order.
func (e *Engine) hotEntries() []*entry {
	var hot []*entry
	for _, id := range e.order {
		if en := e.rumors[id]; en != nil && en.st.Hot {
			hot = append(hot, en)
		}
	}
	return hot
}

func (e *Engine) age(spread []*entry) {
	for _, en := range spread {
		e.cfg.Stop.AfterRound(&en.st, e.rng)
	}
}

// pack takes entries in order while they fit in room bytes, stamping each
// with its remaining TTL, and returns them with the room left.
func (e *Engine) pack(now time.Time, entries []*entry, room int) ([]Rumor, int) {
	var out []Rumor
	for _, en := range entries {
		size := rumorHeader + len(en.rumor.Payload)
		if size > room {
			break
		}
		room -= size
		r := en.rumor
		r.TTL = en.expires.Sub(now)
		out = append(out, r)
	}
	return out, room
}

// digest lists the IDs of remembered rumors, newest first, that fit in room
// bytes.
func (e *Engine) digest(room int) []RumorID {
	var ids []RumorID
	for i := len(e.order) - 1; i >= 0 && room >= idSize; i-- {
		if id := e.order[i]; e.rumors[id] != nil {
			ids = append(ids, id)
			room -= idSize
		}
	}
	return ids
}

// pickPeers returns k distinct random peers (all of them if k is larger).
func (e *Engine) pickPeers(k int) []string {
	n := len(e.peers)
	if k >= n {
		return slices.Clone(e.peers)
	}
	out := make([]string, 0, k)
	idx := make([]int, 0, k)
	for len(out) < k {
		i := e.rng.IntN(n)
		if slices.Contains(idx, i) {
			continue
		}
		idx = append(idx, i)
		out = append(out, e.peers[i])
	}
	return out
}

func idSet(ids []RumorID) map[RumorID]bool {
	s := make(map[RumorID]bool, len(ids))
	for _, id := range ids {
		s[id] = true
	}
	return s
}

func fit(ids []RumorID, room int) []RumorID {
	if room < 0 {
		return nil
	}
	return ids[:min(len(ids), room/idSize)]
}
