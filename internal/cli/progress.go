package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// IsTerminal reports whether f is a character device such as a terminal,
// as opposed to a pipe or a regular file.
func IsTerminal(f *os.File) bool {
	if f == nil {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Progress reports how far long work has come. On a terminal it redraws one
// line in place, at most ten times a second; in a pipe or a file it writes a
// plain line at most every [Progress.Interval] and a last one from
// [Progress.Done], and never a carriage return or an escape code. It is safe
// for concurrent use.
type Progress struct {
	// Interval is the least time between two plain lines when the output
	// is not a terminal (default 5 s).
	Interval time.Duration

	mu      sync.Mutex
	w       io.Writer
	tty     bool
	label   string
	unit    string
	total   int64
	done    int64
	last    time.Time
	drawn   bool
	stopped bool
	now     func() time.Time
}

// NewProgress returns a progress report on w for total units of work (0 when
// the total is unknown), labelled "label" and counted in unit ("rounds",
// "MiB").
func NewProgress(w *os.File, label string, total int64, unit string) *Progress {
	return newProgress(w, IsTerminal(w), label, total, unit)
}

func newProgress(w io.Writer, tty bool, label string, total int64, unit string) *Progress {
	return &Progress{Interval: 5 * time.Second, w: w, tty: tty, label: label, total: total, unit: unit, now: time.Now}
}

// Set records that done units are complete.
func (p *Progress) Set(done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done = done
	p.maybeDraw()
}

// Add records n more complete units.
func (p *Progress) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	p.maybeDraw()
}

// Done draws the final state and ends the line; later calls do nothing.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.stopped = true
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K\n", p.text())
		return
	}
	fmt.Fprintln(p.w, p.text())
}

func (p *Progress) maybeDraw() {
	if p.stopped {
		return
	}
	now := p.now()
	every := p.Interval
	if p.tty {
		every = 100 * time.Millisecond
	}
	if p.drawn && now.Sub(p.last) < every {
		return
	}
	if !p.tty && !p.drawn {
		// In a log, the first line comes after one interval: short work
		// then writes only the final line.
		if p.last.IsZero() {
			p.last = now
			return
		}
		if now.Sub(p.last) < every {
			return
		}
	}
	p.last, p.drawn = now, true
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", p.text())
		return
	}
	fmt.Fprintln(p.w, p.text())
}

func (p *Progress) text() string {
	if p.total <= 0 {
		return fmt.Sprintf("%s: %d %s", p.label, p.done, p.unit)
	}
	frac := float64(p.done) / float64(p.total)
	frac = max(0, min(frac, 1))
	counts := fmt.Sprintf("%d/%d %s", p.done, p.total, p.unit)
	if !p.tty {
		return fmt.Sprintf("%s: %3.0f%% (%s)", p.label, 100*frac, counts)
	}
	const width = 30
	n := int(frac * width)
	bar := strings.Repeat("=", n) + strings.Repeat(" ", width-n)
	if n > 0 && n < width {
		bar = bar[:n-1] + ">" + bar[n:]
	}
	return fmt.Sprintf("%s [%s] %3.0f%% %s", p.label, bar, 100*frac, counts)
}
