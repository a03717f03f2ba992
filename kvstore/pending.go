package kvstore

import (
	"sync"
	"time"
)

// pendingWants remembers the keys a node has asked peers for and not yet
// received, each until a deadline, so that concurrent anti-entropy
// exchanges do not fetch the same entries twice.
type pendingWants struct {
	mu      sync.Mutex
	timeout time.Duration
	until   map[string]time.Time
	last    time.Time // the latest deadline handed out

	// The exchange this node is answering as responder, if any: from the
	// digests it sent until the initiator's summaries arrive.
	sessionPeer  string
	sessionUntil time.Time
}

// openSession records that this node answers peer's root, unless it is
// busy: waiting for wanted entries or answering another peer.
func (p *pendingWants) openSession(peer string, now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.busyLocked(now) {
		return false
	}
	p.sessionPeer, p.sessionUntil = peer, now.Add(p.timeout)
	return true
}

// closeSession ends the session with peer, if there is one.
func (p *pendingWants) closeSession(peer string) {
	p.mu.Lock()
	if p.sessionPeer == peer {
		p.sessionPeer, p.sessionUntil = "", time.Time{}
	}
	p.mu.Unlock()
}

func newPendingWants(timeout time.Duration) *pendingWants {
	return &pendingWants{timeout: timeout, until: map[string]time.Time{}}
}

// claim returns the keys that are not already pending, and marks them
// pending until now+timeout (or later, while answers keep arriving).
func (p *pendingWants) claim(keys []string, now time.Time) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	deadline := now.Add(p.timeout)
	out := keys[:0:0]
	for _, k := range keys {
		if _, ok := p.until[k]; ok && now.Before(p.last) {
			continue
		}
		p.until[k] = deadline
		out = append(out, k)
	}
	if len(out) > 0 {
		p.last = deadline
	}
	return out
}

// done forgets key: its entry arrived. While answers keep arriving the
// exchange is alive, so the wait for the rest is extended: a large repair
// that takes longer than the timeout is not abandoned and asked for again.
func (p *pendingWants) done(key string, now time.Time) {
	p.mu.Lock()
	if _, ok := p.until[key]; ok {
		delete(p.until, key)
		if d := now.Add(p.timeout); d.After(p.last) {
			p.last = d
		}
	}
	p.mu.Unlock()
}

// busy reports whether some wanted key is still expected or a session as
// responder is open; it also drops the bookkeeping of wants that expired
// unanswered.
func (p *pendingWants) busy(now time.Time) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.busyLocked(now)
}

func (p *pendingWants) busyLocked(now time.Time) bool {
	if p.sessionPeer != "" && now.Before(p.sessionUntil) {
		return true
	}
	if len(p.until) == 0 {
		return false
	}
	if now.Before(p.last) {
		return true
	}
	clear(p.until)
	return false
}
