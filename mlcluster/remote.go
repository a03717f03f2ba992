package mlcluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netlab-go/netlab/internal/floatwire"
)

// remoteExec maps steps on workers. It keeps every shard, so a shard whose
// worker dies is shipped to another worker and its part of the step redone.
type remoteExec struct {
	c      *Coordinator
	job    uint64
	shards []*Shard
	owner  []*workerConn
	used   []*workerConn
}

// maxRetries bounds how often one step is reassigned after worker failures.
const maxRetries = 64

// Map implements [Executor]; shards must be the ones the job started with.
func (r *remoteExec) Map(ctx context.Context, algo Algorithm, step Step, shards []*Shard) ([]Partial, error) {
	if len(shards) != len(r.shards) {
		return nil, fmt.Errorf("mlcluster: the job has %d shards, not %d", len(r.shards), len(shards))
	}
	if r.owner == nil {
		r.owner = make([]*workerConn, len(r.shards))
	}
	parts := make([]Partial, len(r.shards))
	done := make([]bool, len(r.shards))
	for attempt := 0; ; attempt++ {
		groups, err := r.assign(done)
		if err != nil {
			return nil, err
		}
		if len(groups) == 0 {
			return parts, nil
		}
		if attempt == maxRetries {
			return nil, fmt.Errorf("mlcluster: step %s failed %d times as workers were lost", step.Kind, maxRetries)
		}
		type answer struct {
			w     *workerConn
			reply replyMsg
			err   error
		}
		answers := make(chan answer, len(groups))
		for w, ids := range groups {
			go func() {
				reply, err := r.callWorker(ctx, w, algo.Name(), step, ids)
				answers <- answer{w, reply, err}
			}()
		}
		var firstErr error
		for range groups {
			a := <-answers
			switch {
			case a.err != nil && (errors.Is(a.err, errWorkerLost) || !a.w.alive()):
				r.c.log.Info("worker lost mid-step; reassigning its shards", "job", r.job, "worker", a.w.name, "step", step.Kind)
				<-a.w.dead // its connection is closed; the read loop ends at once
			case a.err != nil:
				firstErr = firstOf(firstErr, a.err)
			case a.reply.Err != "":
				firstErr = firstOf(firstErr, fmt.Errorf("mlcluster: worker %s: %s", a.w.name, a.reply.Err))
			default:
				for i, id := range a.reply.Shards {
					if id < 0 || id >= len(parts) || r.owner[id] != a.w {
						firstErr = firstOf(firstErr, fmt.Errorf("%w: worker %s answered for shard %d", ErrProtocol, a.w.name, id))
						continue
					}
					parts[id], done[id] = a.reply.Parts[i], true
				}
			}
		}
		if firstErr != nil {
			return nil, firstErr
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
}

// firstOf keeps the first error of several.
func firstOf(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// assign gives every unfinished shard a live owner (keeping the current one
// while it lives) and groups the shards by owner.
func (r *remoteExec) assign(done []bool) (map[*workerConn][]int, error) {
	var live []*workerConn
	groups := map[*workerConn][]int{}
	for id := range r.shards {
		if done[id] {
			continue
		}
		if w := r.owner[id]; w == nil || !w.alive() {
			if live == nil {
				live = r.c.liveWorkers()
				if len(live) == 0 {
					return nil, fmt.Errorf("%w: every worker was lost during the job", ErrNoWorkers)
				}
			}
			r.owner[id] = live[id%len(live)]
		}
		groups[r.owner[id]] = append(groups[r.owner[id]], id)
	}
	return groups, nil
}

// callWorker ships any shard the worker does not hold yet, then asks it for
// the step.
func (r *remoteExec) callWorker(ctx context.Context, w *workerConn, algo string, step Step, ids []int) (replyMsg, error) {
	for _, id := range ids {
		if err := r.ship(ctx, w, r.shards[id]); err != nil {
			return replyMsg{}, err
		}
	}
	work := stepWork(r.shards, ids, step)
	start := time.Now()
	reply, err := w.call(ctx, stepMsg{Job: r.job, Algo: algo, Step: step, Shards: ids}, r.c.stepDeadline(w, algo, step, work))
	if err == nil && reply.Err == "" && len(reply.Shards) != len(ids) {
		err = fmt.Errorf("%w: worker %s answered %d of %d shards", ErrProtocol, w.name, len(reply.Shards), len(ids))
	}
	if err == nil && reply.Err == "" {
		r.c.recordSpeed(w, algo, step, work, time.Since(start))
	}
	return reply, err
}

// ship sends a shard to a worker once, in chunks.
func (r *remoteExec) ship(ctx context.Context, w *workerConn, s *Shard) error {
	key := [2]uint64{r.job, uint64(s.ID)}
	w.mu.Lock()
	have := w.loaded[key]
	w.loaded[key] = true
	w.mu.Unlock()
	if have {
		return nil
	}
	r.c.mu.Lock()
	r.used = append(r.used, w)
	r.c.mu.Unlock()
	per := max(1, r.c.cfg.ChunkBytes/(8*s.Cols))
	var buf []byte
	if !floatwire.Native() {
		buf = make([]byte, 0, shardChunkHeader+min(per, s.Rows)*s.Cols*8)
	}
	for off := 0; off < s.Rows; off += per {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(per, s.Rows-off)
		var err error
		if floatwire.Native() { // header, then the values from the shard's own memory
			buf = appendShardChunkHeader(buf[:0], r.job, s, off, n)
			err = w.send(fLoad, buf, floatwire.Bytes(s.Data[off*s.Cols:(off+n)*s.Cols]))
		} else {
			buf = appendShardChunk(buf[:0], r.job, s, off, n)
			err = w.send(fLoad, buf)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// drop tells every worker that holds shards of the job to forget them.
func (r *remoteExec) drop() {
	r.c.mu.Lock()
	used := r.used
	r.c.mu.Unlock()
	var e enc
	e.u64(r.job)
	seen := map[*workerConn]bool{}
	for _, w := range used {
		if seen[w] || !w.alive() {
			continue
		}
		seen[w] = true
		w.mu.Lock()
		for key := range w.loaded {
			if key[0] == r.job {
				delete(w.loaded, key)
			}
		}
		w.mu.Unlock()
		_ = w.send(fDrop, e)
	}
}
