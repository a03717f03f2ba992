package amqpseam

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
)

// MaxJobName is the longest job name a user may choose
// (AMQPConfig.Job): with the task queue's name and a digest it must fit
// the broker's 255-byte queue names.
const MaxJobName = 64

// CheckJob validates a job name chosen by the user: 1 to [MaxJobName]
// bytes of letters, digits, '.', '_' and '-', not starting with "amq."
// (the broker's reserved prefix).
func CheckJob(pkg, job string) error {
	if job == "" || len(job) > MaxJobName {
		return fmt.Errorf("%s: job name %q must be 1 to %d bytes, it is %d", pkg, job, MaxJobName, len(job))
	}
	for _, r := range job {
		ok := r == '.' || r == '_' || r == '-' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
		if !ok {
			return fmt.Errorf("%s: job name %q: %q is not a letter, digit, '.', '_' or '-'", pkg, job, r)
		}
	}
	if len(job) >= 4 && job[:4] == "amq." {
		return fmt.Errorf("%s: job name %q: the amq. prefix is reserved", pkg, job)
	}
	return nil
}

// TaskID is the ID of a task of a named job: prefix, a dot and 32 hex
// digits of the SHA-256 of body. The body carries every input of the task,
// so a result that waits under this ID was computed from these inputs and
// no others: a restarted coordinator takes it, and one with other inputs
// does not.
func TaskID(prefix string, body []byte) string {
	sum := sha256.Sum256(body)
	return prefix + "." + hex.EncodeToString(sum[:16])
}

// Named hands out the engine job names of a named job: one per call of
// the executor (one multiplication's products, one step's map tasks),
// the user's name, a dot and a digest of the call's task IDs. A restarted
// coordinator that makes the same call, with the same inputs, gets the
// same engine job and so finds its tasks and results on the broker,
// whatever order its calls come in.
type Named struct {
	name string

	mu   sync.Mutex
	busy map[string]bool // engine jobs of calls in progress
	used []string        // every engine job handed out, for DeleteQueues
	n    int
}

// NewNamed returns the engine job names of the job a user named.
func NewNamed(name string) *Named { return &Named{name: name, busy: map[string]bool{}} }

// Acquire returns the engine job for a call with these task IDs, and the
// release to call when the call returns. The engine runs one call of a
// job at a time: a concurrent call with the same IDs gets a suffixed name
// of its own, which a restart does not find (it computes again, with the
// same answer).
func (n *Named) Acquire(ids []string) (job string, release func()) {
	h := sha256.New()
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	job = n.name + "." + hex.EncodeToString(h.Sum(nil)[:8])
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.busy[job] {
		n.n++
		job += "." + strconv.Itoa(n.n)
	}
	n.busy[job] = true
	n.used = append(n.used, job)
	return job, func() {
		n.mu.Lock()
		delete(n.busy, job)
		n.mu.Unlock()
	}
}

// All returns every engine job Acquire has returned.
func (n *Named) All() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.used...)
}
