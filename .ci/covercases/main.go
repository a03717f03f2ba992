// Command covercases widens a Go coverage profile for gremlins (see
// .ci/mutation). The Go cover tool leaves some code outside every block:
// the expressions of a switch's case clauses, the header of a for loop
// and of an "else if", and constant declarations. gremlins v0.6.0 only runs
// mutants that lie inside a covered block, so it reports every mutant
// there as NOT COVERED even when the tests execute it, and never runs it.
//
// covercases adds a block for each such header when the statement that
// holds it was executed (it lies inside a block with a non-zero count), and
// for each constant declaration of a file with any executed block. The
// mutants there are then run against the tests like any other: the kill
// or survival reported for them is measured, not assumed.
//
// Usage: covercases MODULE-PATH PROFILE (the profile is rewritten in place).
package main

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"strings"
)

type pos struct{ line, col int }

type block struct{ start, end pos }

func (b block) holds(p pos) bool {
	after := p.line > b.start.line || (p.line == b.start.line && p.col >= b.start.col)
	before := p.line < b.end.line || (p.line == b.end.line && p.col <= b.end.col)
	return after && before
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: covercases MODULE-PATH PROFILE")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "covercases:", err)
		os.Exit(1)
	}
}

func run(module, profile string) error {
	data, err := os.ReadFile(profile)
	if err != nil {
		return err
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	covered := map[string][]block{}
	var order []string
	for _, l := range lines[1:] {
		var file string
		var b block
		var stmts, count int
		i := strings.LastIndex(l, ":")
		if i < 0 {
			continue
		}
		file = l[:i]
		_, err := fmt.Sscanf(l[i+1:], "%d.%d,%d.%d %d %d",
			&b.start.line, &b.start.col, &b.end.line, &b.end.col, &stmts, &count)
		if err != nil {
			return fmt.Errorf("%q: %w", l, err)
		}
		if count == 0 {
			continue
		}
		if _, ok := covered[file]; !ok {
			order = append(order, file)
		}
		covered[file] = append(covered[file], b)
	}
	f, err := os.OpenFile(profile, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	out := bufio.NewWriter(f)
	added := 0
	for _, file := range order {
		rel, ok := strings.CutPrefix(file, module+"/")
		if !ok {
			continue
		}
		for _, b := range extra(rel, covered[file]) {
			fmt.Fprintf(out, "%s:%d.%d,%d.%d 0 1\n", file,
				b.start.line, b.start.col, b.end.line, b.end.col)
			added++
		}
	}
	if err := out.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "covercases: %d header blocks added\n", added)
	return f.Close()
}

// extra returns the blocks to add to file, given its executed blocks.
func extra(file string, cov []block) []block {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, file, nil, 0)
	if err != nil {
		return nil
	}
	at := func(p token.Pos) pos {
		q := fset.Position(p)
		return pos{q.Line, q.Column}
	}
	reached := func(p token.Pos) bool {
		for _, b := range cov {
			if b.holds(at(p)) {
				return true
			}
		}
		return false
	}
	var add []block
	span := func(from, to token.Pos) { add = append(add, block{at(from), at(to)}) }
	ast.Inspect(f, func(n ast.Node) bool {
		switch s := n.(type) {
		case *ast.GenDecl:
			if s.Tok == token.CONST {
				span(s.Pos(), s.End())
			}
		case *ast.SwitchStmt:
			if reached(s.Pos()) {
				for _, c := range s.Body.List {
					cc := c.(*ast.CaseClause)
					span(cc.Pos(), cc.Colon+1)
				}
			}
		case *ast.ForStmt:
			if reached(s.Pos()) {
				span(s.Pos(), s.Body.Lbrace+1)
			}
		case *ast.IfStmt:
			if s.Else != nil {
				if e, ok := s.Else.(*ast.IfStmt); ok && reached(s.Pos()) {
					span(e.Pos(), e.Body.Lbrace+1)
				}
			}
		}
		return true
	})
	return add
}
