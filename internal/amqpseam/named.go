package amqpseam

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
)

// MaxJobName is the longest job name a user may choose
// (AMQPConfig.Job): with the task queue's name and a call number it must fit
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
// the user's name, a dash and the call's number, 1, 2, .... A restarted
// coordinator that makes the same calls in the same order gets the same
// engine jobs and so finds their tasks and results on the broker; the
// task IDs (see [TaskID]) make sure that only results for the same
// inputs are taken. A call with other inputs under the same engine job
// also serves and drains what its predecessor left there, so that stale
// tasks fail fast instead of waiting for a coordinator that never comes.
type Named struct {
	name string

	mu   sync.Mutex
	used []string // every engine job handed out, for DeleteQueues
}

// NewNamed returns the engine job names of the job a user named.
func NewNamed(name string) *Named { return &Named{name: name} }

// Next returns the engine job of the executor's next call.
func (n *Named) Next() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	job := n.name + "-" + strconv.Itoa(len(n.used)+1)
	n.used = append(n.used, job)
	return job
}

// All returns every engine job Next has returned.
func (n *Named) All() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.used...)
}
