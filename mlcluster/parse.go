package mlcluster

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// HeaderMode says whether the first line of a text dataset names the columns.
type HeaderMode int

const (
	// HeaderAuto treats the first line as a header when any of its fields
	// is not a number.
	HeaderAuto HeaderMode = iota
	// HeaderPresent always treats the first line as a header.
	HeaderPresent
	// HeaderAbsent never does: every line is data.
	HeaderAbsent
)

// ParseHeaderMode reads "auto", "yes" or "no" (the values of the "header"
// job parameter).
func ParseHeaderMode(s string) (HeaderMode, error) {
	switch s {
	case "", "auto":
		return HeaderAuto, nil
	case "yes", "true", "1":
		return HeaderPresent, nil
	case "no", "false", "0":
		return HeaderAbsent, nil
	}
	return 0, fmt.Errorf("%w: header=%q, want auto, yes or no", ErrBadParams, s)
}

// ParseOptions configure [Parse].
type ParseOptions struct {
	// Name is the file name that errors mention (default "input").
	Name string
	// Header says whether the first line names the columns.
	Header HeaderMode
	// MaxColumns bounds the number of fields per line (default 1<<16).
	MaxColumns int
	// MaxValues bounds the numbers in the whole dataset (0 = no bound), so
	// a server parsing uploads can cap the memory one job takes.
	MaxValues int
}

// ParseError is a problem with the text of a dataset, at a line and column
// (both counted from 1; the column is the field number).
type ParseError struct {
	File   string
	Line   int
	Column int
	Msg    string
}

// Error formats the error as "mlcluster: FILE line L: column C: MSG".
func (e *ParseError) Error() string {
	return fmt.Sprintf("mlcluster: %s line %d: column %d: %s", e.File, e.Line, e.Column, e.Msg)
}

// Is makes errors.Is(err, [ErrBadInput]) true for every [ParseError].
func (e *ParseError) Is(target error) bool { return target == ErrBadInput }

// Parse reads a numeric table: comma-separated (CSV) or whitespace-separated,
// one row per line, with an optional header line. Blank lines and lines that
// start with '#' are skipped. It streams: the input is read once, through a
// buffer, and the numbers go straight into [Dataset.Data]. Errors name the
// file, the line and the column (*[ParseError]).
//
// Once the first data row has fixed the separator and the number of
// columns, the rest of the text is cut into chunks at line ends and the
// chunks are parsed in parallel (GOMAXPROCS goroutines) and joined in
// order: the result and the errors are those of a line-by-line parse.
func Parse(r io.Reader, opt ParseOptions) (*Dataset, error) {
	return parse(r, opt, parseChunk)
}

// parseChunk is the size of the chunks of text parsed in parallel.
const parseChunk = 1 << 20

func parse(r io.Reader, opt ParseOptions, chunk int) (*Dataset, error) {
	p := &parser{opt: opt, ds: &Dataset{Name: opt.Name}}
	if p.ds.Name == "" {
		p.ds.Name = "input"
	}
	if p.opt.MaxColumns <= 0 {
		p.opt.MaxColumns = 1 << 16
	}
	br := bufio.NewReaderSize(r, 1<<20)
	var long []byte
	for p.ds.Cols == 0 { // line by line until the first data row
		line, err := readLine(br, &long)
		if err != nil && err != io.EOF { // a line cut short by a failed read is not data
			return nil, fmt.Errorf("mlcluster: %s line %d: %w", p.ds.Name, p.line+1, err)
		}
		if len(line) > 0 {
			p.line++
			if perr := p.parseLine(line); perr != nil {
				return nil, perr
			}
		}
		if err == io.EOF {
			return p.finish()
		}
	}
	if err := p.parallel(br, chunk); err != nil {
		return nil, err
	}
	return p.finish()
}

// readLine reads one line, however long, with its '\n' (none at the end
// of the input). The line is valid until the next call.
func readLine(br *bufio.Reader, long *[]byte) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		*long = append((*long)[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			line, err = br.ReadSlice('\n')
			*long = append(*long, line...)
		}
		line = *long
	}
	return line, err
}

// finish joins the values and checks that there was data.
func (p *parser) finish() (*Dataset, error) {
	p.ds.Data = p.values()
	if p.ds.Rows == 0 {
		return nil, &ParseError{File: p.ds.Name, Line: p.line + 1, Column: 1, Msg: "no data rows (empty file)"}
	}
	return p.ds, nil
}

type parser struct {
	// Values go into blocks of fixed size, joined once at the end: one copy
	// of the data instead of the many of a slice grown by append.
	blocks  [][]float64
	cur     []float64
	count   int // values in blocks
	opt     ParseOptions
	ds      *Dataset
	line    int
	sep     byte // ',' or ' ' (any run of spaces and tabs); 0 before the first line
	firstLn int  // line of the first data row, for ragged-row messages
}

const parseBlock = 1 << 16

func (p *parser) grow(col int) error {
	if len(p.cur) > 0 {
		p.blocks = append(p.blocks, p.cur)
	}
	p.count += len(p.cur)
	if p.opt.MaxValues > 0 && p.count >= p.opt.MaxValues {
		return p.errAt(col, "the dataset has more than %d values, the limit", p.opt.MaxValues)
	}
	// Small inputs get small blocks; the size doubles up to parseBlock.
	n := min(parseBlock, max(256, 2*cap(p.cur)))
	if p.opt.MaxValues > 0 {
		n = min(n, p.opt.MaxValues-p.count)
	}
	p.cur = make([]float64, 0, n)
	return nil
}

// values joins the blocks into one slice of exactly the values parsed.
func (p *parser) values() []float64 {
	if len(p.blocks) == 0 {
		return p.cur[:len(p.cur):len(p.cur)]
	}
	n := len(p.cur)
	for _, b := range p.blocks {
		n += len(b)
	}
	out := make([]float64, 0, n)
	for _, b := range p.blocks {
		out = append(out, b...)
	}
	return append(out, p.cur...)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func (p *parser) errAt(col int, format string, args ...any) error {
	return &ParseError{File: p.ds.Name, Line: p.line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// parseLine appends one row (or reads the header) from one line of text.
func (p *parser) parseLine(line []byte) error {
	if p.line == 1 { // spreadsheets often start CSV files with a UTF-8 byte order mark
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	end := len(line)
	for end > 0 && isSpace(line[end-1]) {
		end--
	}
	start := 0
	for start < end && isSpace(line[start]) {
		start++
	}
	line = line[start:end]
	if len(line) == 0 || line[0] == '#' {
		return nil
	}
	if p.sep == 0 {
		p.sep = ' '
		if bytes.IndexByte(line, ',') >= 0 {
			p.sep = ','
		}
		if p.isHeader(line) {
			return p.readHeader(line)
		}
	}
	col, i := 0, 0
	for {
		fs := i
		if p.sep == ',' {
			for i < len(line) && line[i] != ',' {
				i++
			}
		} else {
			for i < len(line) && line[i] != ' ' && line[i] != '\t' {
				i++
			}
		}
		field := line[fs:i]
		if p.sep == ',' {
			for len(field) > 0 && (field[0] == ' ' || field[0] == '\t') {
				field = field[1:]
			}
			for len(field) > 0 && (field[len(field)-1] == ' ' || field[len(field)-1] == '\t') {
				field = field[:len(field)-1]
			}
		}
		col++
		if p.ds.Cols > 0 && col > p.ds.Cols {
			return p.errAt(col, "ragged row: more than %d fields (line %d has %d)", p.ds.Cols, p.firstLn, p.ds.Cols)
		}
		if col > p.opt.MaxColumns {
			return p.errAt(col, "more than %d fields", p.opt.MaxColumns)
		}
		if len(field) == 0 {
			return p.errAt(col, "empty field")
		}
		v, ok := parseFloat(field)
		if !ok {
			return p.errAt(col, "%q is not a number", clip(field))
		}
		if len(p.cur) == cap(p.cur) {
			if err := p.grow(col); err != nil {
				return err
			}
		}
		p.cur = append(p.cur, v)
		if i >= len(line) {
			break
		}
		i++ // the separator
		if p.sep == ' ' {
			for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
				i++
			}
		} else if i == len(line) {
			return p.errAt(col+1, "empty field")
		}
	}
	if p.ds.Cols == 0 {
		p.ds.Cols, p.firstLn = col, p.line
		if len(p.ds.Header) > 0 && len(p.ds.Header) != col {
			return p.errAt(min(col, len(p.ds.Header))+1, "ragged row: %d fields but the header names %d", col, len(p.ds.Header))
		}
	} else if col < p.ds.Cols {
		return p.errAt(col+1, "ragged row: %d fields, want %d (as on line %d)", col, p.ds.Cols, p.firstLn)
	}
	p.ds.Rows++
	return nil
}

// isHeader decides whether the first non-blank line names the columns.
func (p *parser) isHeader(line []byte) bool {
	switch p.opt.Header {
	case HeaderPresent:
		return true
	case HeaderAbsent:
		return false
	}
	for _, f := range p.fields(line) {
		if _, ok := parseFloat(f); !ok && len(f) > 0 {
			return true
		}
	}
	return false
}

func (p *parser) readHeader(line []byte) error {
	for _, f := range p.fields(line) {
		p.ds.Header = append(p.ds.Header, string(bytes.Trim(f, `"'`)))
		if len(p.ds.Header) > p.opt.MaxColumns {
			return p.errAt(len(p.ds.Header), "more than %d fields", p.opt.MaxColumns)
		}
	}
	return nil
}

// fields splits a line by the detected separator (used only for the header
// line; data lines are scanned in place).
func (p *parser) fields(line []byte) [][]byte {
	if p.sep == ',' {
		fs := bytes.Split(line, []byte{','})
		for i := range fs {
			fs[i] = bytes.TrimSpace(fs[i])
		}
		return fs
	}
	return bytes.Fields(line)
}

// clip shortens a field for an error message.
func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
