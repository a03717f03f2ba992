package index

import (
	"errors"
	"net/netip"
	"slices"
	"sync"
)

// Registration is one (peer, content) pair the index knows: peer [Peer] serves
// content Content from the TCP address Addr.
type Registration struct {
	Peer    string
	Content string
	Addr    netip.AddrPort
	// Source is the UDP address the R came from: the registration's owner,
	// the only address that may withdraw it with T.
	Source netip.AddrPort
	// Seq orders registrations: a larger Seq was registered more recently.
	Seq uint64
	// Uses counts the S replies that named this registration's server.
	Uses uint64
}

// Registry is where the index server keeps its registrations: who serves
// which content, and how to reach them. The index rules call it with their
// own lock held, one call at a time.
type Registry interface {
	// Add stores r; it returns ErrDuplicate when (r.Peer, r.Content) is
	// already registered.
	Add(r Registration) error
	// Remove deletes the (peer, content) pair; ErrNotRegistered when absent.
	Remove(peer, content string) error
	// Holders appends to dst the registrations of content, oldest first.
	Holders(content string, dst []Registration) []Registration
	// Use counts one S reply naming the (peer, content) registration.
	Use(peer, content string) error
	// Contents returns the distinct content names, sorted.
	Contents() []string
}

// Errors of the index rules and registries.
var (
	ErrDuplicate     = errors.New("index: peer name already registered for this content")
	ErrNotRegistered = errors.New("index: peer name not registered for this content")
	ErrNotFound      = errors.New("index: content not found")
	ErrNotOwner      = errors.New("index: registered from another address")
)

// MemRegistry is a [Registry] in memory, safe for concurrent use.
type MemRegistry struct {
	mu      sync.Mutex
	byName  map[string][]Registration // content → registrations, oldest first
	names   []string                  // sorted distinct names, rebuilt lazily
	changed bool
}

// NewMemRegistry returns an empty in-memory registry.
func NewMemRegistry() *MemRegistry {
	return &MemRegistry{byName: make(map[string][]Registration)}
}

func indexOfPeer(regs []Registration, peer string) int {
	return slices.IndexFunc(regs, func(r Registration) bool { return r.Peer == peer })
}

// find returns the registrations of content and the index of peer's among
// them, or ErrNotRegistered. m.mu must be held.
func (m *MemRegistry) find(peer, content string) ([]Registration, int, error) {
	regs := m.byName[content]
	i := indexOfPeer(regs, peer)
	if i < 0 {
		return nil, 0, ErrNotRegistered
	}
	return regs, i, nil
}

// Add stores r.
func (m *MemRegistry) Add(r Registration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	regs := m.byName[r.Content]
	if indexOfPeer(regs, r.Peer) >= 0 {
		return ErrDuplicate
	}
	if len(regs) == 0 {
		m.changed = true
	}
	m.byName[r.Content] = append(regs, r)
	return nil
}

// Remove deletes the (peer, content) pair.
func (m *MemRegistry) Remove(peer, content string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	regs, i, err := m.find(peer, content)
	if err != nil {
		return err
	}
	regs = slices.Delete(regs, i, i+1)
	if len(regs) == 0 {
		delete(m.byName, content)
		m.changed = true
	} else {
		m.byName[content] = regs
	}
	return nil
}

// Holders appends the registrations of content to dst.
func (m *MemRegistry) Holders(content string, dst []Registration) []Registration {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append(dst, m.byName[content]...)
}

// Use counts one use of the (peer, content) registration.
func (m *MemRegistry) Use(peer, content string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	regs, i, err := m.find(peer, content)
	if err != nil {
		return err
	}
	regs[i].Uses++
	return nil
}

// Contents returns the distinct content names, sorted.
func (m *MemRegistry) Contents() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.changed || m.names == nil {
		m.names = m.names[:0]
		for name := range m.byName {
			m.names = append(m.names, name)
		}
		slices.Sort(m.names)
		m.changed = false
	}
	return slices.Clone(m.names)
}
