package capture

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// ioBucket is one interval of the I/O statistics that has frames.
type ioBucket struct {
	idx           int64 // intervals since the first frame
	frames, bytes uint64
}

// maxIOBuckets bounds the I/O table's memory: a capture with frames in
// more intervals than this counts its later frames in the last one.
const maxIOBuckets = 1 << 20

// maxIORows bounds the empty intervals IOStats lists: past it (a capture
// that spans months at one second), only intervals with frames are listed.
const maxIORows = 100_000

func (a *Analyzer) countIO(ts int64, wire uint64) {
	// Intervals start at the first frame, as in tshark; a frame older than
	// the first (out of order) counts in the first interval.
	var i int64
	if a.sum.Frames > 0 {
		i = max(0, (ts-a.ioStart)/int64(a.cfg.Interval))
	} else {
		a.ioStart = ts
	}
	n := len(a.io)
	switch {
	case n > 0 && a.io[n-1].idx == i:
	case n == 0 || a.io[n-1].idx < i:
		if n == maxIOBuckets {
			break
		}
		a.io = append(a.io, ioBucket{idx: i})
	default: // out of order: find it, or insert it
		k, found := slices.BinarySearchFunc(a.io, i, func(b ioBucket, i int64) int { return cmp.Compare(b.idx, i) })
		if !found {
			if n == maxIOBuckets {
				k = n - 1
			} else {
				a.io = slices.Insert(a.io, k, ioBucket{idx: i})
			}
		}
		a.io[k].frames++
		a.io[k].bytes += wire
		return
	}
	a.io[len(a.io)-1].frames++
	a.io[len(a.io)-1].bytes += wire
}

// IOInterval is one row of the I/O statistics (tshark -z io,stat,INTERVAL).
type IOInterval struct {
	Start, End time.Duration // from the first frame
	Frames     uint64
	Bytes      uint64
}

// IOStats returns frames and bytes per Config.Interval from the first frame
// to the last, empty intervals too, as tshark lists them; when that would
// be more than 100,000 rows, only the intervals with frames.
func (a *Analyzer) IOStats() []IOInterval {
	iv := a.cfg.Interval
	row := func(b ioBucket) IOInterval {
		return IOInterval{Start: time.Duration(b.idx) * iv, End: time.Duration(b.idx+1) * iv, Frames: b.frames, Bytes: b.bytes}
	}
	var out []IOInterval
	if n := len(a.io); n > 0 && a.io[n-1].idx < maxIORows {
		out = make([]IOInterval, a.io[n-1].idx+1)
		for i := range out {
			out[i] = row(ioBucket{idx: int64(i)})
		}
		for _, b := range a.io {
			out[b.idx] = row(b)
		}
	} else {
		for _, b := range a.io {
			out = append(out, row(b))
		}
	}
	if n := len(out); n > 0 {
		out[n-1].End = min(out[n-1].End, time.Duration(a.last-a.ioStart))
	}
	return out
}

// Interval returns the width of the I/O statistics' intervals.
func (a *Analyzer) Interval() time.Duration { return a.cfg.Interval }

// WriteIOStats writes the I/O table in the layout of tshark -q -z
// io,stat,INTERVAL (column "Frames and bytes"). The numbers are tshark's;
// the widths of the frame around them follow tshark's rules for intervals
// of whole seconds and for decimal fractions of a second.
func WriteIOStats(w io.Writer, interval time.Duration, rows []IOInterval) error {
	prec := 0
	for d := interval; d%time.Second != 0 && prec < 6; d *= 10 {
		prec++
	}
	var dur time.Duration
	if len(rows) > 0 {
		dur = rows[len(rows)-1].End
	}
	secs := func(d time.Duration) string { return fmt.Sprintf("%.*f", prec, d.Seconds()) }
	var lines []string
	fw, bw := len("Frames"), len("Bytes")
	for _, r := range rows {
		fw = max(fw, len(fmt.Sprint(r.Frames)))
		bw = max(bw, len(fmt.Sprint(r.Bytes)))
	}
	iw := len("Interval")
	labels := make([]string, len(rows))
	for i, r := range rows {
		end := secs(r.End)
		if i == len(rows)-1 && r.End%interval != 0 && len(rows) > 1 {
			end = "Dur"
		}
		labels[i] = secs(r.Start) + " <> " + end
		iw = max(iw, len(labels[i]))
	}
	for i, r := range rows {
		lines = append(lines, fmt.Sprintf("| %-*s | %*d | %*d |", iw, labels[i], fw, r.Frames, bw, r.Bytes))
	}
	inner := iw + fw + bw + 8
	var b strings.Builder
	rule := strings.Repeat("=", inner+2)
	box := func(s string) { fmt.Fprintf(&b, "| %-*s|\n", inner-1, s) }
	b.WriteString("\n" + rule + "\n")
	box("IO Statistics")
	box("")
	box("Duration: " + fmt.Sprintf("%.6f", dur.Seconds()) + " secs")
	box("Interval: " + strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.6f", interval.Seconds()), "0"), ".") + " secs")
	box("")
	box("Col 1: Frames and bytes")
	fmt.Fprintf(&b, "|%s|\n", strings.Repeat("-", inner))
	fmt.Fprintf(&b, "| %-*s |%-*s|\n", iw, "", fw+bw+5, "1")
	fmt.Fprintf(&b, "| %-*s | %*s | %*s |\n", iw, "Interval", fw, "Frames", bw, "Bytes")
	fmt.Fprintf(&b, "|%s|\n", strings.Repeat("-", inner))
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	b.WriteString(rule + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}
