package p2p

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
)

// Overlay is a snapshot of the network's graph: the peers and the links
// between them, each link once.
type Overlay struct {
	Nodes []netip.AddrPort
	Edges [][2]netip.AddrPort
}

// Snapshot reads the neighbour tables of peers into an [Overlay]. A link
// counts when either end lists it, and only between the given peers.
func Snapshot(peers []*Peer) Overlay {
	var o Overlay
	in := map[netip.AddrPort]bool{}
	for _, p := range peers {
		o.Nodes = append(o.Nodes, p.Addr())
		in[p.Addr()] = true
	}
	seen := map[[2]netip.AddrPort]bool{}
	for _, p := range peers {
		for _, q := range p.Neighbours() {
			if !in[q] {
				continue
			}
			e := [2]netip.AddrPort{p.Addr(), q}
			if e[1].Compare(e[0]) < 0 {
				e[0], e[1] = e[1], e[0]
			}
			if !seen[e] {
				seen[e] = true
				o.Edges = append(o.Edges, e)
			}
		}
	}
	slices.SortFunc(o.Nodes, func(a, b netip.AddrPort) int { return a.Compare(b) })
	slices.SortFunc(o.Edges, func(a, b [2]netip.AddrPort) int {
		if c := a[0].Compare(b[0]); c != 0 {
			return c
		}
		return a[1].Compare(b[1])
	})
	return o
}

// Degrees returns each node's degree, in the order of Nodes.
func (o Overlay) Degrees() []int {
	idx := map[netip.AddrPort]int{}
	for i, n := range o.Nodes {
		idx[n] = i
	}
	d := make([]int, len(o.Nodes))
	for _, e := range o.Edges {
		d[idx[e[0]]]++
		d[idx[e[1]]]++
	}
	return d
}

// Components returns the number of connected components.
func (o Overlay) Components() int { return len(o.componentSizes(nil)) }

// componentSizes finds the connected components of the overlay without the
// nodes in gone (union-find with path halving) and returns each one's size,
// keyed by a representative node.
func (o Overlay) componentSizes(gone map[netip.AddrPort]bool) map[netip.AddrPort]int {
	parent := map[netip.AddrPort]netip.AddrPort{}
	find := func(a netip.AddrPort) netip.AddrPort {
		for parent[a] != a {
			parent[a] = parent[parent[a]]
			a = parent[a]
		}
		return a
	}
	for _, v := range o.Nodes {
		if !gone[v] {
			parent[v] = v
		}
	}
	for _, e := range o.Edges {
		if gone[e[0]] || gone[e[1]] {
			continue
		}
		if a, b := find(e[0]), find(e[1]); a != b {
			parent[a] = b
		}
	}
	size := map[netip.AddrPort]int{}
	for v := range parent {
		size[find(v)]++
	}
	return size
}

// WriteDOT writes the overlay as an undirected Graphviz graph; node labels
// are the listen addresses and node size grows with degree. Render it with
// `dot -Tsvg` or `sfdp -Tpng`.
func (o Overlay) WriteDOT(w io.Writer) error {
	deg := o.Degrees()
	if _, err := fmt.Fprintf(w, "graph overlay {\n\tlayout=sfdp; overlap=false;\n\tnode [shape=circle, style=filled, fillcolor=lightblue, fontsize=8];\n"); err != nil {
		return err
	}
	for i, n := range o.Nodes {
		size := 0.2 + 0.05*float64(deg[i])
		if _, err := fmt.Fprintf(w, "\t%q [label=%q, width=%.2f, tooltip=\"degree %d\"];\n", n.String(), fmt.Sprint(n.Port()), size, deg[i]); err != nil {
			return err
		}
	}
	for _, e := range o.Edges {
		if _, err := fmt.Fprintf(w, "\t%q -- %q;\n", e[0].String(), e[1].String()); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintln(w, "}")
	return err
}

// SaveDOT writes the overlay with [Overlay.WriteDOT] to a file at path,
// created or truncated; the file is closed when it returns, and an error
// closing it (a full disk) is returned.
func (o Overlay) SaveDOT(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("p2p: %w", err)
	}
	if err := o.WriteDOT(f); err != nil {
		f.Close()
		return fmt.Errorf("p2p: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("p2p: %w", err)
	}
	return nil
}
