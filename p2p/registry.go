package p2p

import (
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Registry is a seed's state: which peers are in the network and how to reach
// them. A seed adds a peer on register, removes it on a Dead Node report, and
// hands out the list on request. Implementations must be safe for concurrent
// use; a durable one could keep the list across seed restarts.
type Registry interface {
	// Register records a peer's listen address; registering twice refreshes it.
	Register(addr netip.AddrPort, now time.Time) error
	// Remove forgets a peer and reports whether it was known.
	Remove(addr netip.AddrPort) bool
	// Peers returns the registered peers, in a stable order.
	Peers() []netip.AddrPort
}

// MemRegistry is a [Registry] in memory. The zero value is ready to use.
type MemRegistry struct {
	mu    sync.Mutex
	peers map[netip.AddrPort]time.Time // address -> last registration
}

// NewMemRegistry returns an empty in-memory registry.
func NewMemRegistry() *MemRegistry { return &MemRegistry{} }

// Register implements [Registry].
func (r *MemRegistry) Register(addr netip.AddrPort, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.peers == nil {
		r.peers = make(map[netip.AddrPort]time.Time)
	}
	r.peers[addr] = now
	return nil
}

// Remove implements [Registry].
func (r *MemRegistry) Remove(addr netip.AddrPort) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.peers[addr]
	delete(r.peers, addr)
	return ok
}

// Peers implements [Registry]; the list is sorted by address.
func (r *MemRegistry) Peers() []netip.AddrPort {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.SortedFunc(maps.Keys(r.peers), netip.AddrPort.Compare)
}
