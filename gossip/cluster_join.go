package gossip

// Retry-join: a member configured with seeds joins them by itself, keeps
// trying with capped exponential backoff and jitter until one answers, and
// tries again whenever it finds itself alone.

import (
	"cmp"
	"slices"
	"time"
)

// Default bounds of the wait between join attempts ([ClusterConfig.Seeds]).
const (
	defaultJoinRetryMin = 100 * time.Millisecond
	defaultJoinRetryMax = 30 * time.Second
)

func (c ClusterConfig) joinRetryBounds() (lo, hi time.Duration) {
	lo, hi = c.JoinRetryMin, c.JoinRetryMax
	lo = cmp.Or(lo, defaultJoinRetryMin)
	hi = cmp.Or(hi, max(defaultJoinRetryMax, lo))
	return lo, hi
}

// backoff is a capped exponential backoff with "equal jitter": the n-th
// wait is uniform in [d/2, d] with d = min(hi, lo·2ⁿ). The jitter spreads
// members that failed together, so that they do not all knock on a
// restarted seed in the same instant.
type backoff struct {
	lo, hi, d time.Duration
	rand      func(n int64) int64 // uniform in [0, n)
}

func (b *backoff) next() time.Duration {
	b.d = cmp.Or(b.d, b.lo)
	d := b.d
	b.d = min(2*b.d, b.hi)
	half := d / 2
	return half + time.Duration(b.rand(int64(d-half)+1))
}

func (b *backoff) reset() { b.d = 0 }

// alone reports whether this member knows no other live member.
func (c *Cluster) alone() bool { return c.ml.NumMembers() <= 1 }

// joinSeeds returns the configured seeds other than this member.
func (c *Cluster) joinSeeds() []string {
	return slices.DeleteFunc(slices.Clone(c.cfg.Seeds), func(s string) bool { return s == c.addr })
}

// joinLoop joins ClusterConfig.Seeds whenever this member is alone, until
// Close. Between failed attempts it backs off; while the member has company
// it only looks again when a member leaves or fails, or every
// ReconnectInterval.
func (c *Cluster) joinLoop() {
	defer c.wg.Done()
	seeds := c.joinSeeds()
	if len(seeds) == 0 {
		return
	}
	lo, hi := c.cfg.joinRetryBounds()
	b := backoff{lo: lo, hi: hi, rand: func(n int64) int64 {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.rng.Int64N(n)
	}}
	joined := false
	attempt := 0
	check := time.NewTicker(c.cfg.ReconnectInterval)
	defer check.Stop()
	for {
		if c.alone() {
			attempt++
			c.stats.joinAttempts.Add(1)
			n, err := c.ml.Join(seeds)
			if err == nil && n > 0 {
				c.stats.joins.Add(1)
				if !joined && c.cfg.Logger != nil {
					c.cfg.Logger.Info("gossip: joined the cluster", "member", c.name, "reached", n, "seeds", seeds, "attempts", attempt)
				}
				c.logf("join succeeded", "attempt", attempt, "reached", n)
				joined, attempt = true, 0
				b.reset()
			} else {
				wait := b.next()
				c.logf("join failed; retrying", "attempt", attempt, "seeds", seeds, "err", err, "retry_in", wait)
				if !c.sleep(wait) {
					return
				}
				continue
			}
		}
		select {
		case <-c.closed:
			return
		case <-c.lonely:
		case <-check.C:
		}
	}
}

// sleep waits d, and reports false if the cluster closed meanwhile.
func (c *Cluster) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.closed:
		return false
	case <-t.C:
		return true
	}
}

// wakeJoin tells the join loop that a member left or failed, so that a
// member left alone tries its seeds at once.
func (c *Cluster) wakeJoin() {
	select {
	case c.lonely <- struct{}{}:
	default:
	}
}
