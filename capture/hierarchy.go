package capture

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Node is one row of the protocol hierarchy: a protocol reached by one path
// of protocols from the link layer. tcp under ip and tcp under ipv6 are two
// nodes.
type Node struct {
	Name     string  // Wireshark's filter name: "eth", "ip", "tcp", "dns", "data", "_ws.malformed", ...
	Frames   uint64  // frames whose path passes through this row
	Bytes    uint64  // sum of those frames' lengths on the wire
	Children []*Node // rows below, in order of first appearance

	id proto
}

// Hierarchy is the protocol hierarchy of a capture, counted as Wireshark's
// Statistics > Protocol Hierarchy counts it: every protocol on a frame's path
// adds one frame and the frame's wire length to its row.
type Hierarchy struct {
	root Node // "frame": every frame
}

func newHierarchy() *Hierarchy { return &Hierarchy{root: Node{Name: "frame"}} }

// add counts one frame of wireLen bytes along path.
func (h *Hierarchy) add(path []proto, wireLen uint64) {
	n := &h.root
	n.Frames++
	n.Bytes += wireLen
	for _, p := range path {
		child := n.child(func(c *Node) bool { return c.id == p })
		if child == nil {
			child = &Node{Name: p.String(), id: p}
			n.Children = append(n.Children, child)
		}
		child.Frames++
		child.Bytes += wireLen
		n = child
	}
}

// Root returns the "frame" row: every frame of the capture, with the link
// layers as its children.
func (h *Hierarchy) Root() *Node { return &h.root }

// Percent returns n's share of all frames and of all bytes, in percent.
func (h *Hierarchy) Percent(n *Node) (frames, bytes float64) {
	if h.root.Frames > 0 {
		frames = 100 * float64(n.Frames) / float64(h.root.Frames)
	}
	if h.root.Bytes > 0 {
		bytes = 100 * float64(n.Bytes) / float64(h.root.Bytes)
	}
	return frames, bytes
}

// ProtocolCount is a protocol's total over every row of that name.
type ProtocolCount struct {
	Name   string
	Frames uint64
	Bytes  uint64
}

// Totals adds up the rows of each protocol name over the whole tree (ip
// under eth plus ip under mpls, ...), most frames first. A frame that holds
// a protocol twice (IP in IP) counts twice, as in Wireshark's rows.
func (h *Hierarchy) Totals() []ProtocolCount {
	sum := map[string]*ProtocolCount{}
	var order []string
	var walk func(n *Node)
	walk = func(n *Node) {
		for _, c := range n.Children {
			pc, ok := sum[c.Name]
			if !ok {
				pc = &ProtocolCount{Name: c.Name}
				sum[c.Name] = pc
				order = append(order, c.Name)
			}
			pc.Frames += c.Frames
			pc.Bytes += c.Bytes
			walk(c)
		}
	}
	walk(&h.root)
	out := make([]ProtocolCount, 0, len(order))
	for _, name := range order {
		out = append(out, *sum[name])
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Frames > out[j].Frames })
	return out
}

// Total returns the total of one protocol name over the tree.
func (h *Hierarchy) Total(name string) ProtocolCount {
	for _, pc := range h.Totals() {
		if pc.Name == name {
			return pc
		}
	}
	return ProtocolCount{Name: name}
}

// Lookup returns the row at a path of names below the root, such as
// "eth", "ip", "udp", "dns"; nil if there is none.
func (h *Hierarchy) Lookup(names ...string) *Node {
	n := &h.root
	for _, name := range names {
		if n = n.child(func(c *Node) bool { return c.Name == name }); n == nil {
			return nil
		}
	}
	return n
}

// child returns n's first row that is, nil if none is.
func (n *Node) child(is func(*Node) bool) *Node {
	for _, c := range n.Children {
		if is(c) {
			return c
		}
	}
	return nil
}

const phsRule = "==================================================================="

// WritePHS writes the tree in the layout of tshark -q -z io,phs.
func (h *Hierarchy) WritePHS(w io.Writer) error {
	var b strings.Builder
	b.WriteString("\n" + phsRule + "\nProtocol Hierarchy Statistics\nFilter: \n\n")
	var walk func(n *Node, depth int)
	walk = func(n *Node, depth int) {
		for _, c := range n.Children {
			fmt.Fprintf(&b, "%-40s frames:%d bytes:%d\n", strings.Repeat("  ", depth)+c.Name, c.Frames, c.Bytes)
			walk(c, depth+1)
		}
	}
	walk(&h.root, 0)
	b.WriteString(phsRule + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteTree writes the tree with each row's share of frames and bytes, like
// Wireshark's Protocol Hierarchy window.
func (h *Hierarchy) WriteTree(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%-32s %8s %10s %12s %8s\n", "Protocol", "% Frames", "Frames", "Bytes", "% Bytes")
	var walk func(n *Node, depth int)
	walk = func(n *Node, depth int) {
		pf, pb := h.Percent(n)
		fmt.Fprintf(&b, "%-32s %7.1f%% %10d %12d %7.1f%%\n", strings.Repeat("  ", depth)+n.Name, pf, n.Frames, n.Bytes, pb)
		for _, c := range n.Children {
			walk(c, depth+1)
		}
	}
	walk(&h.root, 0)
	_, err := io.WriteString(w, b.String())
	return err
}
