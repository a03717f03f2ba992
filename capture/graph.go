package capture

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"

	"gonum.org/v1/gonum/graph/layout"
	"gonum.org/v1/gonum/graph/simple"
)

// GraphConfig chooses what a device graph shows.
type GraphConfig struct {
	// TopN keeps the N busiest devices and the edges among them; 0 keeps all.
	TopN int
	// ByBytes weighs edges (and ranks devices) by bytes instead of frames.
	ByBytes bool
	// Seed makes the force-directed layout repeatable.
	Seed uint64
	// Updates is the number of layout iterations; 0 means 100.
	Updates int
}

// GraphNode is a device: a MAC address, or an IP address when the capture
// has no link-layer addresses.
type GraphNode struct {
	Label  string
	Weight uint64  // frames or bytes on its edges
	X, Y   float64 // position from the force-directed layout
}

// GraphEdge joins two devices that exchanged frames, in either direction.
type GraphEdge struct {
	From, To int    // indexes into DeviceGraph.Nodes
	Frames   uint64 // both directions
	Bytes    uint64
	Protocol string // the protocol that carried most of the weight
}

// DeviceGraph is who talked to whom, one edge per pair of devices (not one
// per source), laid out force-directed.
type DeviceGraph struct {
	Kind    ConvKind // ConvEth, or ConvIPv4 for IP nodes (IPv4 and IPv6)
	ByBytes bool
	Nodes   []GraphNode
	Edges   []GraphEdge
}

// Weight is the edge's frames, or its bytes when byBytes.
func (e GraphEdge) Weight(byBytes bool) uint64 {
	return e.weight(byBytes)
}

func (e GraphEdge) weight(byBytes bool) uint64 {
	if byBytes {
		return e.Bytes
	}
	return e.Frames
}

// Graph builds the device graph from the conversations counted so far.
func (a *Analyzer) Graph(cfg GraphConfig) (*DeviceGraph, error) {
	if cfg.TopN < 0 || cfg.Updates < 0 {
		return nil, fmt.Errorf("capture: GraphConfig.TopN and Updates must not be negative")
	}
	g := &DeviceGraph{Kind: ConvEth, ByBytes: cfg.ByBytes}
	convs := a.Conversations(ConvEth)
	if len(convs) == 0 {
		g.Kind = ConvIPv4
		convs = append(a.Conversations(ConvIPv4), a.Conversations(ConvIPv6)...)
	}
	index := map[string]int{}
	node := func(label string) int {
		i, ok := index[label]
		if !ok {
			i = len(g.Nodes)
			index[label] = i
			g.Nodes = append(g.Nodes, GraphNode{Label: label})
		}
		return i
	}
	for _, c := range convs {
		e := GraphEdge{From: node(c.A), To: node(c.B), Frames: c.Frames(), Bytes: c.Bytes(), Protocol: c.Dominant(cfg.ByBytes)}
		g.Edges = append(g.Edges, e)
		w := e.weight(cfg.ByBytes)
		g.Nodes[e.From].Weight += w
		if e.To != e.From {
			g.Nodes[e.To].Weight += w
		}
	}
	if cfg.TopN > 0 && len(g.Nodes) > cfg.TopN {
		g.keepTop(cfg.TopN)
	}
	g.layout(cfg)
	return g, nil
}

// keepTop keeps the n heaviest nodes and the edges between them.
func (g *DeviceGraph) keepTop(n int) {
	order := make([]int, len(g.Nodes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return g.Nodes[order[i]].Weight > g.Nodes[order[j]].Weight })
	newIndex := map[int]int{}
	var nodes []GraphNode
	for _, old := range order[:n] {
		newIndex[old] = len(nodes)
		nodes = append(nodes, g.Nodes[old])
	}
	var edges []GraphEdge
	for _, e := range g.Edges {
		f, okf := newIndex[e.From]
		t, okt := newIndex[e.To]
		if okf && okt {
			e.From, e.To = f, t
			edges = append(edges, e)
		}
	}
	g.Nodes, g.Edges = nodes, edges
}

const hubWeight = 0.05

// layout places the nodes with the Eades force-directed algorithm, edges
// pulling harder the heavier they are (log-scaled so one big flow does not
// collapse the picture).
func (g *DeviceGraph) layout(cfg GraphConfig) {
	if len(g.Nodes) == 0 {
		return
	}
	wg := simple.NewWeightedUndirectedGraph(0, 0)
	for i := range g.Nodes {
		wg.AddNode(simple.Node(i))
	}
	for _, e := range g.Edges {
		if e.From == e.To {
			continue
		}
		w := 1 + 0.1*math.Log1p(float64(e.weight(g.ByBytes)))
		if old := wg.WeightedEdge(int64(e.From), int64(e.To)); old != nil {
			w += old.Weight()
		}
		wg.SetWeightedEdge(wg.NewWeightedEdge(simple.Node(e.From), simple.Node(e.To), w))
	}
	// A hidden hub tied loosely to every node keeps the components of a
	// disconnected graph from drifting apart under the global repulsion.
	hub := simple.Node(len(g.Nodes))
	wg.AddNode(hub)
	for i := range g.Nodes {
		wg.SetWeightedEdge(wg.NewWeightedEdge(hub, simple.Node(i), hubWeight))
	}
	updates := cfg.Updates
	if updates == 0 {
		updates = 300
	}
	// A step small enough for the busiest node: every edge pulls on it.
	maxDeg := 1
	deg := make([]int, len(g.Nodes))
	for _, e := range g.Edges {
		deg[e.From]++
		deg[e.To]++
		maxDeg = max(maxDeg, deg[e.From], deg[e.To])
	}
	rate := min(0.05, 0.2/float64(maxDeg))
	eades := layout.EadesR2{Repulsion: 1, Rate: rate, Updates: updates, Theta: 0.2, Src: rand.NewPCG(cfg.Seed, 0x6e65746c6162)}
	opt := layout.NewOptimizerR2(wg, eades.Update)
	for opt.Update() {
	}
	for i := range g.Nodes {
		c := opt.Coord2(int64(i))
		g.Nodes[i].X, g.Nodes[i].Y = c.X, c.Y
	}
}

// WriteDOT writes the graph in Graphviz DOT: one undirected edge per pair,
// labelled with its protocol and weight, pen width growing with the weight.
func (g *DeviceGraph) WriteDOT(w io.Writer) error {
	var b strings.Builder
	unit := "frames"
	if g.ByBytes {
		unit = "bytes"
	}
	b.WriteString("graph capture {\n  layout=neato; overlap=false; node [shape=ellipse, fontsize=10];\n")
	for i, n := range g.Nodes {
		fmt.Fprintf(&b, "  n%d [label=%q, pos=\"%.3f,%.3f\"];\n", i, n.Label, n.X*72, n.Y*72)
	}
	for _, e := range g.Edges {
		wt := e.weight(g.ByBytes)
		fmt.Fprintf(&b, "  n%d -- n%d [label=\"%s %d %s\", weight=%d, penwidth=%.2f];\n",
			e.From, e.To, e.Protocol, wt, unit, wt, 1+math.Log10(1+float64(wt)))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// SaveDOT writes the graph in Graphviz DOT (as WriteDOT) to a new file at
// path, replacing one that is there.
func (g *DeviceGraph) SaveDOT(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := g.WriteDOT(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
