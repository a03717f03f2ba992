package capture

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// StatTree is one of Wireshark's "stats_tree" statistics (tshark -z
// http,tree, -z http_req,tree, -z dns,tree): a tree of counters, each with
// what tshark prints beside it. WriteTo prints it in tshark's layout.
type StatTree struct {
	Title string      // "HTTP/Packet Counter", "DNS", ...
	Roots []*StatNode // the top-level rows

	start, last int64 // first and last tick, Unix nanoseconds
	base        int64 // the capture's first frame; bursts are timed from it
	ticked      bool
}

// StatNode is one row of a [StatTree].
type StatNode struct {
	Name     string
	Count    uint64
	Children []*StatNode `json:",omitempty"`
	// Values: rows that average a quantity (DNS payload size) have these.
	HasValues bool    `json:",omitempty"`
	Sum       float64 `json:",omitempty"`
	Min, Max  float64 `json:",omitempty"`
	floats    bool    // print Min and Max with decimals

	// BurstCount is the most events within one 100 ms window (Wireshark's
	// burst window); tshark prints it per 100 ms and where the window began.
	BurstCount uint64        `json:",omitempty"`
	burstStart int64         // from the capture's first frame
	buckets    []burstBucket // the window's 1 ms buckets, from head on
	head       int
	bcount     uint64               // events in the window
	index      map[string]*StatNode // children by name, once there are many
}

const (
	burstWindowMs     = 100 // Wireshark's default burst window
	burstResolutionMs = 5   // and the width of its buckets
)

// burstBucket is the events of one millisecond.
type burstBucket struct {
	ms int64 // since the capture's first frame
	n  uint64
	at int64 // its first event, in ns since the capture's first frame
}

func (t *StatTree) tickTime(ts int64) {
	if !t.ticked {
		t.start, t.ticked = ts, true
	}
	t.last = max(t.last, ts)
}

// root returns the top-level row called name, made if new.
func (t *StatTree) root(name string) *StatNode {
	for _, n := range t.Roots {
		if n.Name == name {
			return n
		}
	}
	n := &StatNode{Name: name}
	t.Roots = append(t.Roots, n)
	return n
}

// maxStatChildren bounds the rows under one row (distinct DNS names, HTTP
// hosts or URIs), so that memory stays bounded whatever the capture; the
// rest are counted in one row named otherRows.
const (
	maxStatChildren = 10_000
	otherRows       = "(others)"
)

// child returns n's row called name, made if new.
func (n *StatNode) child(name string) *StatNode {
	if n.index != nil {
		if c := n.index[name]; c != nil {
			return c
		}
	} else {
		for _, c := range n.Children {
			if c.Name == name {
				return c
			}
		}
	}
	if len(n.Children) >= maxStatChildren && name != otherRows {
		return n.child(otherRows)
	}
	c := &StatNode{Name: name}
	n.Children = append(n.Children, c)
	if n.index == nil && len(n.Children) > 16 {
		n.index = make(map[string]*StatNode, 32)
		for _, c := range n.Children {
			n.index[c.Name] = c
		}
	} else if n.index != nil {
		n.index[name] = c
	}
	return c
}

// fixed makes n's children that tshark prints even when they count
// nothing.
func (n *StatNode) fixed(names ...string) *StatNode {
	for _, name := range names {
		n.child(name)
	}
	return n
}

// tick counts one event at ts. The burst follows Wireshark's stats_tree: a
// window of 100 ms slides over 5 ms buckets counted from the capture's
// first frame (an empty bucket at time 0 opens it); the burst is the most
// events in one window, its start the first event of the window's oldest
// bucket. (Matched to tshark 4.0's output on the test captures.)
func (n *StatNode) tick(t *StatTree, ts int64) *StatNode {
	t.tickTime(ts)
	n.Count++
	ms := (ts - t.base) / 1e6 / burstResolutionMs * burstResolutionMs
	if len(n.buckets) == 0 {
		n.buckets = append(n.buckets, burstBucket{})
	}
	if last := &n.buckets[len(n.buckets)-1]; ms <= last.ms {
		last.n++
	} else {
		n.buckets = append(n.buckets, burstBucket{ms: ms, n: 1, at: ts - t.base})
	}
	n.bcount++
	for ms-n.buckets[n.head].ms >= burstWindowMs {
		n.bcount -= n.buckets[n.head].n
		n.head++
	}
	// The buckets before head are over: drop them once they are most of
	// the slice. A row of one server among 20k, a few events a window,
	// then keeps about ten buckets, not up to a hundred
	// (BenchmarkPeakMemory1GB/120k-flows).
	if n.head > 8 && n.head*2 > len(n.buckets) {
		n.buckets = append(n.buckets[:0], n.buckets[n.head:]...)
		n.head = 0
	}
	if n.bcount > n.BurstCount {
		n.BurstCount, n.burstStart = n.bcount, n.buckets[n.head].at
	}
	return n
}

// value counts one event with a quantity.
func (n *StatNode) value(t *StatTree, ts int64, v float64) *StatNode {
	n.tick(t, ts)
	if !n.HasValues || v < n.Min {
		n.Min = v
	}
	if !n.HasValues || v > n.Max {
		n.Max = v
	}
	n.HasValues = true
	n.Sum += v
	return n
}

// sorted returns children ordered as tshark prints them: most first, and
// among equal counts by name, descending.
func (n *StatNode) sorted() []*StatNode {
	out := append([]*StatNode(nil), n.Children...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Name > out[j].Name
	})
	return out
}

// WriteTo prints the tree as tshark -q -z NAME,tree does.
func (t *StatTree) WriteTo(w io.Writer) (int64, error) {
	width := len("Topic / Item")
	var measure func(n *StatNode, depth int)
	measure = func(n *StatNode, depth int) {
		width = max(width, depth+len(n.Name))
		for _, c := range n.Children {
			measure(c, depth+1)
		}
	}
	for _, r := range t.Roots {
		measure(r, 0)
	}
	width += 2
	cols := []string{"Count", "Average", "Min Val", "Max Val", "Rate (ms)", "Percent", "Burst Rate", "Burst Start"}
	total := width + 14*len(cols) - 1
	var b strings.Builder
	b.WriteString("\n" + strings.Repeat("=", total) + "\n" + t.Title + ":\n")
	fmt.Fprintf(&b, "%-*s", width, "Topic / Item")
	for i, c := range cols {
		fmt.Fprintf(&b, "%-*s", 14-i/(len(cols)-1), c)
	}
	b.WriteString("\n" + strings.Repeat("-", total) + "\n")
	elapsedMs := float64(t.last-t.start) / 1e6
	var write func(n, parent *StatNode, depth int)
	write = func(n, parent *StatNode, depth int) {
		fmt.Fprintf(&b, "%-*s", width, strings.Repeat(" ", depth)+n.Name)
		fmt.Fprintf(&b, "%-14d", n.Count)
		if n.HasValues && n.Count > 0 {
			fmt.Fprintf(&b, "%-14.2f", n.Sum/float64(n.Count))
			if n.floats {
				fmt.Fprintf(&b, "%-14f%-14f", n.Min, n.Max)
			} else {
				fmt.Fprintf(&b, "%-14.0f%-14.0f", n.Min, n.Max)
			}
		} else {
			b.WriteString(strings.Repeat(" ", 42))
		}
		rate := 0.0
		if elapsedMs > 0 {
			rate = float64(n.Count) / elapsedMs
		}
		fmt.Fprintf(&b, "%-14.4f", rate)
		switch {
		case parent == nil:
			fmt.Fprintf(&b, "%-14s", "100%")
		case parent.Count == 0:
			b.WriteString(strings.Repeat(" ", 14))
		default:
			fmt.Fprintf(&b, "%-14s", fmt.Sprintf("%.2f%%", 100*float64(n.Count)/float64(parent.Count)))
		}
		if n.BurstCount == 0 {
			fmt.Fprintf(&b, "%-14s%-13s", "-", "-")
		} else {
			fmt.Fprintf(&b, "%-14.4f%-13.3f", float64(n.BurstCount)/100, float64(n.burstStart)/1e9)
		}
		b.WriteString("\n")
		for _, c := range n.sorted() {
			write(c, n, depth+1)
		}
	}
	for _, r := range t.Roots {
		write(r, nil, 0)
	}
	b.WriteString("\n" + strings.Repeat("-", total) + "\n")
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}
