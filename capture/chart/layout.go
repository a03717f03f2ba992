package chart

import (
	"math"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Where the device graph puts its nodes and link labels so that nothing
// overlaps: the layout [Graph] draws.

// place maps the layout into the canvas and pushes apart nodes whose
// boxes (disc plus label beneath) overlap, keeping them inside the canvas.
func place(d *Devices, c draw.Canvas) []vg.Point {
	pts, _ := placeBoxes(d, c)
	return pts
}

// placeBoxes is place, also returning each node's box (disc and label).
func placeBoxes(d *Devices, c draw.Canvas) ([]vg.Point, []vg.Rectangle) {
	var maxN uint64 = 1
	for _, n := range d.Nodes {
		maxN = max(maxN, n.Bytes)
	}
	type box struct{ w, up, down vg.Length } // half width; extent above and below the centre
	boxes := make([]box, len(d.Nodes))
	var margin vg.Length
	for i, n := range d.Nodes {
		r := nodeRadius(n.Bytes, maxN)
		lw := smallText.Rectangle(nodeLabel(d, i)).Size()
		boxes[i] = box{w: max(r, lw.X/2) + 3, up: r + 2, down: r + 2 + lw.Y}
		margin = max(margin, boxes[i].w)
	}
	labelled := heaviestLinks(d)
	linkLabelW := make([]vg.Length, len(labelled))
	for k, l := range labelled {
		linkLabelW[k] = smallText.Rectangle(linkLabel(l)).Size().X
	}
	minX, maxX := c.Min.X+margin, c.Max.X-margin
	minY, maxY := c.Min.Y+vg.Points(24), c.Max.Y-vg.Points(20)
	pts := make([]vg.Point, len(d.Nodes))
	for i, n := range d.Nodes {
		pts[i] = vg.Point{X: minX + vg.Length(n.X)*(maxX-minX), Y: minY + vg.Length(n.Y)*(maxY-minY)}
	}
	// Spread the layout to fill the canvas first.
	if len(pts) > 1 {
		lo, hi := pts[0], pts[0]
		for _, p := range pts {
			lo.X, lo.Y, hi.X, hi.Y = min(lo.X, p.X), min(lo.Y, p.Y), max(hi.X, p.X), max(hi.Y, p.Y)
		}
		for i := range pts {
			if hi.X > lo.X {
				pts[i].X = minX + (pts[i].X-lo.X)/(hi.X-lo.X)*(maxX-minX)
			}
			if hi.Y > lo.Y {
				pts[i].Y = minY + (pts[i].Y-lo.Y)/(hi.Y-lo.Y)*(maxY-minY)
			}
		}
	}
	for range 500 {
		moved := false
		for i := range pts {
			for j := i + 1; j < len(pts); j++ {
				ox := boxes[i].w + boxes[j].w - abs(pts[i].X-pts[j].X)
				// Vertical extents: i's box is [y-down, y+up].
				var oy vg.Length
				if pts[i].Y >= pts[j].Y {
					oy = (pts[j].Y + boxes[j].up) - (pts[i].Y - boxes[i].down)
				} else {
					oy = (pts[i].Y + boxes[i].up) - (pts[j].Y - boxes[j].down)
				}
				if ox <= 0 || oy <= 0 {
					continue
				}
				moved = true
				if ox < oy {
					s := sign(pts[i].X-pts[j].X, i, j) * (ox/2 + 0.5)
					pts[i].X += s
					pts[j].X -= s
				} else {
					s := sign(pts[i].Y-pts[j].Y, i, j) * (oy/2 + 0.5)
					pts[i].Y += s
					pts[j].Y -= s
				}
			}
		}
		// A labelled link must be long enough for its label between the
		// two nodes' boxes.
		for k, l := range labelled {
			a, b := l.From, l.To
			ex, ey := pts[a].X-pts[b].X, pts[a].Y-pts[b].Y
			dist := vg.Length(math.Hypot(float64(ex), float64(ey)))
			need := boxes[a].w + boxes[b].w + linkLabelW[k] + 6
			if dist >= need {
				continue
			}
			moved = true
			if dist < 1e-3 {
				ex, ey, dist = 1, 0, 1
			}
			push := (need - dist) / 2
			pts[a].X += ex / dist * push
			pts[a].Y += ey / dist * push
			pts[b].X -= ex / dist * push
			pts[b].Y -= ey / dist * push
		}
		for i := range pts {
			pts[i].X = min(max(pts[i].X, c.Min.X+boxes[i].w), c.Max.X-boxes[i].w)
			pts[i].Y = min(max(pts[i].Y, c.Min.Y+boxes[i].down), c.Max.Y-boxes[i].up)
		}
		if !moved {
			break
		}
	}
	rects := make([]vg.Rectangle, len(pts))
	for i, p := range pts {
		rects[i] = vg.Rectangle{Min: vg.Point{X: p.X - boxes[i].w, Y: p.Y - boxes[i].down}, Max: vg.Point{X: p.X + boxes[i].w, Y: p.Y + boxes[i].up}}
	}
	return pts, rects
}

func overlaps(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

// labelSpot finds where along a link its label covers no node and no
// label placed before: the middle if free, else the first free point
// stepping out from it; the middle if none is.
func labelSpot(a, b vg.Point, size vg.Point, taken []vg.Rectangle) (vg.Point, vg.Rectangle) {
	var first vg.Point
	var firstR vg.Rectangle
	for k, t := range []float64{0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8} {
		at := vg.Point{X: a.X + vg.Length(t)*(b.X-a.X), Y: a.Y + vg.Length(t)*(b.Y-a.Y)}
		r := vg.Rectangle{Min: vg.Point{X: at.X - size.X/2 - 1, Y: at.Y - size.Y/2 - 1}, Max: vg.Point{X: at.X + size.X/2 + 1, Y: at.Y + size.Y/2 + 1}}
		if k == 0 {
			first, firstR = at, r
		}
		free := true
		for _, o := range taken {
			if overlaps(r, o) {
				free = false
				break
			}
		}
		if free {
			return at, r
		}
	}
	return first, firstR
}

func abs(v vg.Length) vg.Length {
	if v < 0 {
		return -v
	}
	return v
}

// sign is the direction to push i away from j; a tie goes by index.
func sign(delta vg.Length, i, j int) vg.Length {
	switch {
	case delta > 0:
		return 1
	case delta < 0:
		return -1
	case i < j:
		return -1
	}
	return 1
}
