package doccheck

import (
	"go/ast"
	"go/doc"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode"
)

const module = "github.com/netlab-go/netlab"

// pkgInfo is what a doc link can point at in one package.
type pkgInfo struct {
	name    string
	path    string
	symbols map[string]bool // "Name" and "Type.Method" / "Type.Field"
	imports map[string]string
	docs    []docText
}

type docText struct {
	where string // "gossip/doc.go: package gossip" or "Cluster.Join"
	text  string
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root not found from %s", dir)
	}
	return dir
}

// loadDir parses the non-test Go files of dir into a pkgInfo.
func loadDir(dir, importPath string) (*pkgInfo, error) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	pkgs := map[string][]*ast.File{}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		pkgs[f.Name.Name] = append(pkgs[f.Name.Name], f)
	}
	for name, pfiles := range pkgs {
		if name == "main" || strings.HasSuffix(name, "_test") {
			continue
		}
		info := &pkgInfo{name: name, path: importPath, symbols: map[string]bool{}, imports: map[string]string{}}
		files := pfiles
		for _, f := range pfiles {
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				local := filepath.Base(path)
				if majorVersion.MatchString(local) { // github.com/x/y/v3 is package y
					local = filepath.Base(filepath.Dir(path))
				}
				if imp.Name != nil {
					local = imp.Name.Name
				}
				info.imports[local] = path
			}
			collectSymbols(f, info.symbols)
		}
		d, err := doc.NewFromFiles(fset, files, importPath, doc.PreserveAST)
		if err != nil {
			return nil, err
		}
		info.docs = append(info.docs, docText{"package " + name, d.Doc})
		add := func(where, text string) {
			if text != "" {
				info.docs = append(info.docs, docText{where, text})
			}
		}
		for _, v := range append(d.Consts, d.Vars...) {
			add(strings.Join(v.Names, ", "), v.Doc)
		}
		for _, f := range d.Funcs {
			add(f.Name, f.Doc)
		}
		for _, ty := range d.Types {
			add(ty.Name, ty.Doc)
			for _, v := range append(ty.Consts, ty.Vars...) {
				add(strings.Join(v.Names, ", "), v.Doc)
			}
			for _, f := range ty.Funcs {
				add(f.Name, f.Doc)
			}
			for _, m := range ty.Methods {
				add(ty.Name+"."+m.Name, m.Doc)
			}
		}
		return info, nil
	}
	return nil, nil
}

func collectSymbols(f *ast.File, syms map[string]bool) {
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				syms[d.Name.Name] = true
				continue
			}
			if recv := recvName(d.Recv.List[0].Type); recv != "" {
				syms[recv+"."+d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					syms[s.Name.Name] = true
					fieldsAndMethods(s, syms)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						syms[n.Name] = true
					}
				}
			}
		}
	}
}

func fieldsAndMethods(s *ast.TypeSpec, syms map[string]bool) {
	switch t := s.Type.(type) {
	case *ast.StructType:
		for _, f := range t.Fields.List {
			for _, n := range f.Names {
				syms[s.Name.Name+"."+n.Name] = true
			}
			if len(f.Names) == 0 { // embedded: its name is the type's
				if n := recvName(f.Type); n != "" {
					syms[s.Name.Name+"."+n] = true
				}
			}
		}
	case *ast.InterfaceType:
		for _, m := range t.Methods.List {
			for _, n := range m.Names {
				syms[s.Name.Name+"."+n.Name] = true
			}
		}
	}
}

func recvName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return recvName(t.X)
	case *ast.Ident:
		return t.Name
	case *ast.IndexExpr:
		return recvName(t.X)
	case *ast.IndexListExpr:
		return recvName(t.X)
	case *ast.SelectorExpr:
		return t.Sel.Name
	}
	return ""
}

// modulePackages loads every non-main package of the module.
func modulePackages(t *testing.T, root string) map[string]*pkgInfo {
	t.Helper()
	out := map[string]*pkgInfo{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		base := d.Name()
		if path != root && (strings.HasPrefix(base, ".") || base == "testdata" || base == "examples") {
			return filepath.SkipDir
		}
		rel, _ := filepath.Rel(root, path)
		ip := module
		if rel != "." {
			ip += "/" + filepath.ToSlash(rel)
		}
		info, err := loadDir(path, ip)
		if err != nil {
			t.Errorf("parsing %s: %v", rel, err)
			return nil
		}
		if info != nil {
			out[ip] = info
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// external resolves a package outside the module by asking the go command
// where its source is, once per import path.
type external struct {
	mu    sync.Mutex
	cache map[string]*pkgInfo
	root  string
}

func (e *external) load(path string) *pkgInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p, ok := e.cache[path]; ok {
		return p
	}
	cmd := exec.Command("go", "list", "-f", "{{.Dir}}", path)
	cmd.Dir = e.root
	out, err := cmd.Output()
	var info *pkgInfo
	if err == nil {
		info, _ = loadDir(strings.TrimSpace(string(out)), path)
	}
	e.cache[path] = info
	return info
}

var (
	majorVersion = regexp.MustCompile(`^v[0-9]+$`)
	rfcInHeading = regexp.MustCompile(`RFC ?\d+`)
	texMath      = regexp.MustCompile(`\\(frac|sqrt|cdot|sum|alpha|beta|left|right)\b|[_^]\{`)
)

// TestDocs checks every doc comment of every package in the module.
func TestDocs(t *testing.T) {
	root := moduleRoot(t)
	pkgs := modulePackages(t, root)
	if len(pkgs) < 10 {
		t.Fatalf("found %d packages; the walk is broken", len(pkgs))
	}
	ext := &external{cache: map[string]*pkgInfo{}, root: root}
	links := 0
	for _, pkg := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg.path, module), "/")
		if rel == "" {
			rel = "."
		}
		p := &comment.Parser{
			LookupPackage: func(name string) (string, bool) {
				if path, ok := pkg.imports[name]; ok {
					return path, true
				}
				for _, other := range pkgs { // a sibling named in prose, such as [pdu.Codec] from p2p/index
					if other.name == name {
						return other.path, true
					}
				}
				return "", false
			},
			LookupSym: func(recv, name string) bool { return true },
		}
		for _, d := range pkg.docs {
			where := rel + ": " + d.where
			parsed := p.Parse(d.text)
			for _, blk := range parsed.Content {
				switch b := blk.(type) {
				case *comment.Heading:
					if h := textOf(b.Text); rfcInHeading.MatchString(h) {
						t.Errorf("%s: heading %q names an RFC; pkgsite's RFC link breaks headings: move the number into the text", where, h)
					}
				case *comment.Code:
					for i, line := range strings.Split(b.Text, "\n") {
						if w := len([]rune(line)); w > 100 {
							t.Errorf("%s: code block line %d is %d columns wide (at most 100)", where, i+1, w)
						}
						for _, r := range line {
							if diagramRune(r) {
								t.Errorf("%s: code block line %d has %q: diagrams are drawn in ASCII (-, |, +, ->, <-) so that columns line up in every font", where, i+1, r)
								break
							}
						}
					}
				}
				walkLinks(blk, func(l *comment.DocLink) {
					links++
					if !resolves(l, pkg, pkgs, ext) {
						t.Errorf("%s: doc link [%s] resolves to nothing", where, linkText(l))
					}
				})
			}
			if m := texMath.FindString(d.text); m != "" {
				t.Errorf("%s: TeX notation %q; netlab's docs write mathematics in plain Unicode", where, m)
			}
		}
	}
	t.Logf("%d packages, %d doc links checked", len(pkgs), links)
}

// diagramRune reports whether r is an arrow, a box-drawing or block
// character, a geometric shape or an emoji: characters whose width differs
// between fonts and terminals (East Asian ambiguous or wide), so that a
// diagram drawn with them loses its columns. Mathematical signs such as ×,
// · and ² are allowed: they are how the docs write formulas.
func diagramRune(r rune) bool {
	switch {
	case r >= 0x2190 && r <= 0x21FF: // arrows
	case r >= 0x2500 && r <= 0x25FF: // box drawing, block elements, geometric shapes
	case r >= 0x2B00 && r <= 0x2BFF: // more arrows and shapes
	case r >= 0x1F000: // emoji and pictographs
	default:
		return false
	}
	return true
}

func resolves(l *comment.DocLink, pkg *pkgInfo, pkgs map[string]*pkgInfo, ext *external) bool {
	name := l.Name
	if l.Recv != "" {
		name = strings.TrimPrefix(l.Recv, "*") + "." + l.Name
	}
	if l.ImportPath == "" || l.ImportPath == pkg.path {
		if !isExported(l) {
			return true // [i], [x] in prose are not meant as links
		}
		return pkg.symbols[name]
	}
	target := pkgs[l.ImportPath]
	if target == nil {
		target = ext.load(l.ImportPath)
	}
	if target == nil {
		return false
	}
	if l.Name == "" { // a link to the package itself
		return true
	}
	return target.symbols[name]
}

func isExported(l *comment.DocLink) bool {
	n := l.Name
	if l.Recv != "" {
		n = strings.TrimPrefix(l.Recv, "*")
	}
	return n != "" && unicode.IsUpper([]rune(n)[0])
}

func linkText(l *comment.DocLink) string {
	s := l.Name
	if l.Recv != "" {
		s = l.Recv + "." + s
	}
	if l.ImportPath != "" {
		s = filepath.Base(l.ImportPath) + "." + s
	}
	return s
}

func walkLinks(b comment.Block, f func(*comment.DocLink)) {
	var texts [][]comment.Text
	switch b := b.(type) {
	case *comment.Paragraph:
		texts = append(texts, b.Text)
	case *comment.Heading:
		texts = append(texts, b.Text)
	case *comment.List:
		for _, it := range b.Items {
			for _, c := range it.Content {
				walkLinks(c, f)
			}
		}
	}
	for _, ts := range texts {
		for _, t := range ts {
			if l, ok := t.(*comment.DocLink); ok {
				f(l)
			}
		}
	}
}

func textOf(ts []comment.Text) string {
	var b strings.Builder
	for _, t := range ts {
		switch t := t.(type) {
		case comment.Plain:
			b.WriteString(string(t))
		case comment.Italic:
			b.WriteString(string(t))
		case *comment.Link:
			b.WriteString(textOf(t.Text))
		case *comment.DocLink:
			b.WriteString(textOf(t.Text))
		}
	}
	return b.String()
}
