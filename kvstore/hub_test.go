package kvstore

import (
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/fakeclock"
	"github.com/stretchr/testify/require"
)

// hub is an in-process Cluster for the package's tests: it delivers every
// message synchronously (so tests are deterministic), drops a fraction of
// messages, and can split the nodes into partitions. The gossip-backed
// cluster is tested separately.
type hub struct {
	mu    sync.Mutex
	nodes map[string]*Node
	group map[string]int
	loss  float64
	rnd   *rand.Rand
	bytes map[string]int   // bytes sent, by kind name
	clock *fakeclock.Clock // the nodes' physical clock, advanced by tick
}

func newHub(seed uint64) *hub {
	return &hub{nodes: map[string]*Node{}, group: map[string]int{}, rnd: rand.New(rand.NewPCG(seed, 1)), bytes: map[string]int{},
		clock: fakeclock.New(time.Unix(1_700_000_000, 0))}
}

type hubMember struct {
	h    *hub
	name string
}

func (m hubMember) Members() []string {
	m.h.mu.Lock()
	defer m.h.mu.Unlock()
	var out []string
	for name := range m.h.nodes {
		if name != m.name && m.h.group[name] == m.h.group[m.name] {
			out = append(out, name)
		}
	}
	return out
}

func (m hubMember) Broadcast(msg []byte) error {
	for _, peer := range m.Members() {
		_ = m.SendTo(peer, msg)
	}
	return nil
}

var errUnreachable = errors.New("unreachable")

func (m hubMember) SendTo(peer string, msg []byte) error {
	m.h.mu.Lock()
	n, ok := m.h.nodes[peer]
	reachable := ok && m.h.group[peer] == m.h.group[m.name]
	dropped := m.h.loss > 0 && m.h.rnd.Float64() < m.h.loss
	m.h.bytes[kindName(msg[0])] += len(msg)
	m.h.mu.Unlock()
	if !reachable {
		return errUnreachable
	}
	if dropped {
		return nil
	}
	n.HandleMessage(m.name, msg)
	return nil
}

// add creates a node on the hub with a deterministic rand.
func (h *hub) add(t testing.TB, cfg Config) *Node {
	t.Helper()
	cfg.Rand = rand.New(rand.NewPCG(uint64(len(h.nodes)), 7))
	if cfg.Now == nil {
		cfg.Now = h.now
	}
	n, err := New(cfg, hubMember{h, cfg.Name})
	require.NoError(t, err)
	h.mu.Lock()
	h.nodes[cfg.Name] = n
	h.mu.Unlock()
	t.Cleanup(func() { n.Close() })
	return n
}

// partition puts each listed group of names in its own partition.
func (h *hub) partition(groups ...[]string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, g := range groups {
		for _, name := range g {
			h.group[name] = i + 1
		}
	}
}

func (h *hub) heal() {
	h.mu.Lock()
	defer h.mu.Unlock()
	clear(h.group)
}

func (h *hub) setLoss(p float64) {
	h.mu.Lock()
	h.loss = p
	h.mu.Unlock()
}

func (h *hub) resetBytes() {
	h.mu.Lock()
	clear(h.bytes)
	h.mu.Unlock()
}

func (h *hub) sentBytes(kinds ...string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	total := 0
	for _, k := range kinds {
		total += h.bytes[k]
	}
	return total
}

func (h *hub) now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clock.Now()
}

// tick advances the nodes' clock by d.
func (h *hub) tick(d time.Duration) {
	h.mu.Lock()
	h.clock.Advance(d)
	h.mu.Unlock()
}
