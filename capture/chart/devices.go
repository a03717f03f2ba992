package chart

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/netlab-go/netlab/capture"
	"github.com/netlab-go/netlab/internal/plotkit"
)

// OtherLabel names the node into which [TopTalkers] folds the devices it
// does not keep.
const OtherLabel = "other"

// Devices is a device graph cut down to its top talkers by bytes, the rest
// folded into one [OtherLabel] node, and laid out force-directed. It is
// what [Graph] draws and [WriteDOT] writes.
type Devices struct {
	Kind   capture.ConvKind // capture.ConvEth (MAC addresses) or capture.ConvIPv4 (IP addresses)
	Nodes  []Device         // busiest first; the "other" node, if any, last
	Links  []Link           // heaviest first
	Folded int              // devices folded into the "other" node
}

// Device is a node of [Devices]: one device, or all the folded ones.
type Device struct {
	Label         string
	Bytes, Frames uint64  // sent and received, over all its links
	Other         bool    // the node that stands for the folded devices
	X, Y          float64 // position from the force-directed layout
}

// Link joins two nodes of [Devices]: all the traffic between them, both
// directions. A link from the "other" node to itself is the traffic among
// folded devices.
type Link struct {
	From, To      int // indexes into Devices.Nodes
	Bytes, Frames uint64
	Protocol      string // the protocol of the heaviest conversation folded into it
}

// TopTalkers keeps the n devices of g that sent and received the most bytes
// (all of them when n <= 0 or g has at most n+1: one device alone is not
// folded) and folds the others, with
// their links, into one node labelled [OtherLabel]. The result is laid out
// by a Fruchterman–Reingold force-directed layout, heavier links pulling
// harder, from a deterministic start, so the same capture always gives the
// same picture.
func TopTalkers(g *capture.DeviceGraph, n int) *Devices {
	d := &Devices{Kind: g.Kind}
	bytes := make([]uint64, len(g.Nodes))
	frames := make([]uint64, len(g.Nodes))
	for _, e := range g.Edges {
		bytes[e.From] += e.Bytes
		frames[e.From] += e.Frames
		if e.To != e.From {
			bytes[e.To] += e.Bytes
			frames[e.To] += e.Frames
		}
	}
	order := make([]int, len(g.Nodes))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		if bytes[order[i]] != bytes[order[j]] {
			return bytes[order[i]] > bytes[order[j]]
		}
		return g.Nodes[order[i]].Label < g.Nodes[order[j]].Label
	})
	keep := len(order)
	if n > 0 && n < keep-1 { // folding one device would only rename it
		keep = n
	}
	index := make([]int, len(g.Nodes))
	for rank, old := range order {
		if rank < keep {
			index[old] = rank
			d.Nodes = append(d.Nodes, Device{Label: g.Nodes[old].Label, Bytes: bytes[old], Frames: frames[old]})
			continue
		}
		index[old] = keep
		d.Folded++
	}
	if d.Folded > 0 {
		d.Nodes = append(d.Nodes, Device{Label: fmt.Sprintf("%s (%d devices)", OtherLabel, d.Folded), Other: true})
		for rank := keep; rank < len(order); rank++ {
			d.Nodes[keep].Bytes += bytes[order[rank]]
			d.Nodes[keep].Frames += frames[order[rank]]
		}
	}
	type pair struct{ a, b int }
	links := map[pair]*Link{}
	heaviest := map[pair]uint64{}
	for _, e := range g.Edges {
		a, b := index[e.From], index[e.To]
		if a > b {
			a, b = b, a
		}
		k := pair{a, b}
		l, ok := links[k]
		if !ok {
			l = &Link{From: a, To: b}
			links[k] = l
		}
		l.Bytes += e.Bytes
		l.Frames += e.Frames
		if e.Bytes >= heaviest[k] {
			heaviest[k] = e.Bytes
			l.Protocol = e.Protocol
		}
	}
	for _, l := range links {
		d.Links = append(d.Links, *l)
	}
	sort.Slice(d.Links, func(i, j int) bool {
		li, lj := d.Links[i], d.Links[j]
		if li.Bytes != lj.Bytes {
			return li.Bytes > lj.Bytes
		}
		if li.From != lj.From {
			return li.From < lj.From
		}
		return li.To < lj.To
	})
	d.layout()
	return d
}

// layout places the nodes by Fruchterman and Reingold's force-directed
// algorithm ("Graph drawing by force-directed placement", 1991) in the
// unit square: every pair repels, links attract with a strength that grows
// with the log of their bytes, and the temperature cools linearly. Nodes
// start on a circle in rank order, so the result is deterministic.
// Overlaps are removed later, in [Graph], where the sizes of the drawn
// nodes and labels are known.
func (d *Devices) layout() {
	n := len(d.Nodes)
	if n == 0 {
		return
	}
	if n == 1 {
		d.Nodes[0].X, d.Nodes[0].Y = 0.5, 0.5
		return
	}
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range xs {
		a := 2 * math.Pi * float64(i) / float64(n)
		xs[i], ys[i] = 0.5+0.4*math.Cos(a), 0.5+0.4*math.Sin(a)
	}
	var maxB uint64 = 1
	for _, l := range d.Links {
		maxB = max(maxB, l.Bytes)
	}
	k := math.Sqrt(1 / float64(n))
	const iterations = 300
	dx, dy := make([]float64, n), make([]float64, n)
	for it := range iterations {
		temp := 0.1 * (1 - float64(it)/iterations)
		clear(dx)
		clear(dy)
		for i := range n {
			for j := i + 1; j < n; j++ {
				ex, ey := xs[i]-xs[j], ys[i]-ys[j]
				dist := math.Max(math.Hypot(ex, ey), 1e-3)
				f := k * k / dist
				dx[i] += ex / dist * f
				dy[i] += ey / dist * f
				dx[j] -= ex / dist * f
				dy[j] -= ey / dist * f
			}
		}
		for _, l := range d.Links {
			if l.From == l.To {
				continue
			}
			ex, ey := xs[l.From]-xs[l.To], ys[l.From]-ys[l.To]
			dist := math.Max(math.Hypot(ex, ey), 1e-3)
			w := 0.3 + math.Log1p(float64(l.Bytes))/math.Log1p(float64(maxB))
			f := w * dist * dist / k
			dx[l.From] -= ex / dist * f
			dy[l.From] -= ey / dist * f
			dx[l.To] += ex / dist * f
			dy[l.To] += ey / dist * f
		}
		for i := range n {
			// A weak pull to the centre keeps loosely tied nodes in view.
			dx[i] += (0.5 - xs[i]) * k
			dy[i] += (0.5 - ys[i]) * k
			m := math.Hypot(dx[i], dy[i])
			if m > 0 {
				step := math.Min(m, temp)
				xs[i] += dx[i] / m * step
				ys[i] += dy[i] / m * step
			}
		}
	}
	for i := range d.Nodes {
		d.Nodes[i].X, d.Nodes[i].Y = xs[i], ys[i]
	}
}

// bytesLabel writes a byte count with an SI prefix: "1.5 MB".
func bytesLabel(v uint64) string {
	s := plotkit.SI(float64(v))
	if last := s[len(s)-1]; last >= '0' && last <= '9' {
		return s + " B"
	}
	return s[:len(s)-len(lastRune(s))] + " " + lastRune(s) + "B"
}

func lastRune(s string) string {
	r := []rune(s)
	return string(r[len(r)-1])
}

// WriteDOT writes d in Graphviz DOT: the same top talkers and "other" node
// as [Graph] draws, each node labelled with its address and bytes, each
// link with its protocol, bytes and frames, pen width growing with the log
// of its bytes, positions from the layout (neato -n keeps them).
func WriteDOT(w io.Writer, d *Devices) error {
	var b strings.Builder
	fmt.Fprintf(&b, "graph capture {\n  // top %d talkers by bytes", len(d.Nodes)-min(d.Folded, 1))
	if d.Folded > 0 {
		fmt.Fprintf(&b, "; %d more devices folded into %q", d.Folded, OtherLabel)
	}
	b.WriteString("\n  layout=neato; overlap=false; node [shape=ellipse, fontsize=10]; edge [fontsize=9];\n")
	var maxB uint64 = 1
	for _, l := range d.Links {
		maxB = max(maxB, l.Bytes)
	}
	for i, n := range d.Nodes {
		style := ""
		if n.Other {
			style = ", style=dashed"
		}
		fmt.Fprintf(&b, "  n%d [label=%q, bytes=%d, frames=%d, pos=\"%.1f,%.1f\"%s];\n",
			i, n.Label+"\n"+bytesLabel(n.Bytes), n.Bytes, n.Frames, n.X*500, n.Y*500, style)
	}
	for _, l := range d.Links {
		fmt.Fprintf(&b, "  n%d -- n%d [label=%q, bytes=%d, frames=%d, penwidth=%.2f];\n",
			l.From, l.To, l.Protocol+" "+bytesLabel(l.Bytes), l.Bytes, l.Frames,
			0.5+5*math.Log1p(float64(l.Bytes))/math.Log1p(float64(maxB)))
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}
