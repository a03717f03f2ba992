package capture

import (
	"cmp"
	"fmt"
	"io"
	"math"
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

// IOStats returns frames and bytes per [Config.Interval] from the first frame
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
// io,stat,INTERVAL (column "Frames and bytes"), rows as IOStats returns
// them. As tshark does, an interval of 0 or one longer than the capture
// becomes the capture's duration (one row), times are printed with as many
// decimals as the interval has (three for a single row), the duration
// rounded to them, and the last row of whole-second intervals ends at
// "Dur" when the capture ends inside it. The layout matches tshark 4.0's
// for captures shorter than 100,000 s (about 28 hours); past that tshark's
// own columns no longer line up and this layout differs from it (the
// numbers do not).
func WriteIOStats(w io.Writer, interval time.Duration, rows []IOInterval) error {
	var dur time.Duration
	if len(rows) > 0 {
		dur = rows[len(rows)-1].End
	}
	prec := 0
	for d := interval; d%time.Second != 0 && prec < 6; d *= 10 {
		prec++
	}
	if interval <= 0 || interval > dur {
		var one IOInterval
		for _, r := range rows {
			one.Frames += r.Frames
			one.Bytes += r.Bytes
		}
		one.End = dur
		rows, interval = []IOInterval{one}, dur
		prec = 3
		if dur >= 10*time.Second {
			prec = 1
		}
	}
	round := func(d time.Duration) float64 {
		f := d.Seconds()
		if prec > 0 {
			scale := math.Pow(10, float64(prec))
			f = math.Round(f*scale) / scale
		}
		return f
	}
	durText := fmt.Sprintf("%.*f", prec, round(dur))
	if prec == 0 {
		durText = fmt.Sprintf("%.6f", dur.Seconds())
	}
	mag := min(5, len(fmt.Sprintf("%d", int64(round(dur))))) // tshark's widths stop growing at 5 digits
	numW := mag + 1
	if prec > 0 {
		numW = mag + 1 + prec
	}
	fw, bw := len("Frames"), len("Bytes")
	for _, r := range rows {
		fw = max(fw, len(fmt.Sprint(r.Frames)))
		bw = max(bw, len(fmt.Sprint(r.Bytes)))
	}
	labels := make([]string, len(rows))
	for i, r := range rows {
		start := fmt.Sprintf("%*.*f", numW, prec, r.Start.Seconds())
		if i == len(rows)-1 && prec == 0 && r.Start+interval > dur && len(rows) > 1 {
			labels[i] = start + " <> Dur"
			continue
		}
		end := r.Start + interval
		endText := fmt.Sprintf("%.*f", prec, end.Seconds())
		if i == len(rows)-1 {
			endText = fmt.Sprintf("%.*f", prec, min(end.Seconds(), round(dur)))
		}
		labels[i] = fmt.Sprintf("%s <> %-*s", start, numW, endText)
	}
	iw := max(len("Interval"), 2*numW+4)
	var b strings.Builder
	row := func(label string, frames, bytes string) {
		if strings.HasSuffix(label, "Dur") {
			fmt.Fprintf(&b, "| %-*s| %*s | %*s |\n", iw+1, label, fw, frames, bw, bytes)
			return
		}
		fmt.Fprintf(&b, "| %-*s | %*s | %*s |\n", iw, label, fw, frames, bw, bytes)
	}
	inner := iw + fw + bw + 8
	rule := strings.Repeat("=", inner+2)
	box := func(s string) { fmt.Fprintf(&b, "| %-*s|\n", inner-1, s) }
	b.WriteString("\n" + rule + "\n")
	box("IO Statistics")
	box("")
	box("Duration: " + durText + " secs")
	ivText := fmt.Sprintf("%.*f", prec, interval.Seconds())
	if len(rows) == 1 {
		ivText = durText
	}
	box("Interval: " + ivText + " secs")
	box("")
	box("Col 1: Frames and bytes")
	fmt.Fprintf(&b, "|%s|\n", strings.Repeat("-", inner))
	fmt.Fprintf(&b, "|%s|%-*s|\n", strings.Repeat(" ", iw+2), fw+bw+5, "1")
	row("Interval", "Frames", "Bytes")
	fmt.Fprintf(&b, "|%s|\n", strings.Repeat("-", inner))
	for i, r := range rows {
		row(labels[i], fmt.Sprint(r.Frames), fmt.Sprint(r.Bytes))
	}
	b.WriteString(rule + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}
