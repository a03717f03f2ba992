package mlcluster

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
)

// Parsing in parallel. strconv.ParseFloat is most of the time of a load
// (BenchmarkParse), and the lines of a table are independent once the
// separator and the column count are known, so the text after the first
// data row is cut into chunks at line ends, parsed by GOMAXPROCS
// goroutines, and joined in order by the caller's goroutine. Each chunk
// knows the number of its first line, so errors name the same line and
// column as a line-by-line parse; the first error in input order wins.

// textChunk is a run of whole lines; first is the number of the line
// before its first line.
type textChunk struct {
	text  []byte
	first int
	lines int // '\n' in text, which bounds the values at lines+1 rows
	out   chan chunkResult
}

type chunkResult struct {
	vals  []float64
	rows  int
	lines int
	err   error
	chunk textChunk // kept to locate a MaxValues error
}

// parallel parses the rest of br in chunks of about size bytes.
func (p *parser) parallel(br *bufio.Reader, size int) error {
	workers := runtime.GOMAXPROCS(0)
	jobs := make(chan textChunk)
	order := make(chan chan chunkResult, 2*workers)
	done := make(chan struct{})
	// Chunk arrays come back once their values are added, so that a load
	// allocates (and zeroes) about as many as are in flight, not one per
	// MiB of text.
	free := make(chan []byte, 2*workers+2)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				j.out <- p.parseChunk(j)
			}
		})
	}
	wg.Go(func() { p.readChunks(br, size, jobs, order, done, free) })

	var first error
	for ch := range order {
		r := <-ch
		if first != nil {
			continue
		}
		if p.opt.MaxValues > 0 && r.chunk.text != nil && (r.err != nil || p.count+len(p.cur)+len(r.vals) > p.opt.MaxValues) {
			// Over the limit, or an error the limit may come before: replay.
			r.err = p.replay(r)
		}
		if r.err != nil {
			first = r.err
			close(done)
			continue
		}
		p.add(r)
		select {
		case free <- r.chunk.text:
		default:
		}
	}
	wg.Wait()
	return first
}

// readChunks cuts br into chunks of whole lines and hands them out in
// order until the input ends or done is closed.
func (p *parser) readChunks(br *bufio.Reader, size int, jobs chan<- textChunk, order chan<- chan chunkResult, done <-chan struct{}, free <-chan []byte) {
	defer close(order)
	defer close(jobs)
	line := p.line
	for {
		// Room past size for the end of the last line, so that finishing
		// it rarely copies the whole chunk into a larger array.
		var text []byte
		select {
		case text = <-free:
		default:
			text = make([]byte, 0, size+chunkSlack)
		}
		text = text[:size]
		n, err := io.ReadFull(br, text)
		text = text[:n]
		if err == nil { // finish the last line
			rest, rerr := br.ReadBytes('\n')
			text, err = append(text, rest...), rerr
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		if err != nil && err != io.EOF {
			text = nil // lines cut short by a failed read are not data
		}
		if len(text) > 0 {
			out := make(chan chunkResult, 1)
			select {
			case order <- out:
			case <-done:
				return
			}
			nl := bytes.Count(text, []byte{'\n'})
			select {
			case jobs <- textChunk{text: text, first: line, lines: nl, out: out}:
			case <-done:
				out <- chunkResult{err: errors.New("mlcluster: parse stopped")} // ignored: an earlier error won
				return
			}
			line += nl
		}
		if err == io.EOF {
			return
		}
		if err != nil {
			out := make(chan chunkResult, 1)
			out <- chunkResult{err: fmt.Errorf("mlcluster: %s line %d: %w", p.ds.Name, line+1, err)}
			select {
			case order <- out:
			case <-done:
			}
			return
		}
	}
}

// chunkSlack is the room a chunk's array keeps past the chunk size for the
// rest of its last line (lines of a numeric table are rarely longer).
const chunkSlack = 4 << 10

// sub is a parser for one chunk: the separator, columns and options of p,
// counting lines from first.
func (p *parser) sub(first int) *parser {
	opt := p.opt
	opt.MaxValues = 0 // the caller checks the total
	return &parser{opt: opt, ds: &Dataset{Name: p.ds.Name, Cols: p.ds.Cols}, line: first, sep: p.sep, firstLn: p.firstLn}
}

// parseChunk parses the lines of one chunk.
func (p *parser) parseChunk(j textChunk) chunkResult {
	q := p.sub(j.first)
	// One array for the chunk's values, sized for every line full: no
	// growth and no join of blocks (values returns it as it is). Blank and
	// comment lines only leave some of it unused.
	q.cur = make([]float64, 0, (j.lines+1)*p.ds.Cols)
	if err := q.lines(j.text); err != nil {
		return chunkResult{err: err, chunk: j}
	}
	return chunkResult{vals: q.values(), rows: q.ds.Rows, lines: q.line - j.first, chunk: j}
}

// lines parses every line of text.
func (p *parser) lines(text []byte) error {
	for len(text) > 0 {
		i := bytes.IndexByte(text, '\n')
		line := text
		if i >= 0 {
			line, text = text[:i+1], text[i+1:]
		} else {
			text = nil
		}
		p.line++
		if err := p.parseLine(line); err != nil {
			return err
		}
	}
	return nil
}

// add appends a chunk's rows.
func (p *parser) add(r chunkResult) {
	if len(p.cur) > 0 {
		p.blocks = append(p.blocks, p.cur)
		p.count += len(p.cur)
	}
	p.cur = r.vals
	p.ds.Rows += r.rows
	p.line += r.lines
}

// replay parses a chunk again, line by line, with only the values left
// under MaxValues, and returns its first error: the one a line-by-line parse
// meets first, whether the limit or a bad field.
func (p *parser) replay(r chunkResult) error {
	q := p.sub(r.chunk.first)
	q.opt.MaxValues = p.opt.MaxValues
	q.count = p.count + len(p.cur)
	if err := q.lines(r.chunk.text); err != nil {
		return err
	}
	if r.err != nil {
		return r.err
	}
	return &ParseError{File: p.ds.Name, Line: r.chunk.first + r.lines, Column: 1,
		Msg: fmt.Sprintf("the dataset has more than %d values, the limit", p.opt.MaxValues)}
}
