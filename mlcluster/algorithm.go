package mlcluster

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Sentinel errors that callers can branch on with errors.Is. Errors that
// travel from the coordinator to a client keep their sentinel.
var (
	// ErrNoWorkers: a job arrived while no worker was connected and the
	// coordinator is not configured to run jobs itself.
	ErrNoWorkers = errors.New("mlcluster: no workers connected")
	// ErrUnknownAlgorithm: no algorithm of that name is registered.
	ErrUnknownAlgorithm = errors.New("mlcluster: unknown algorithm")
	// ErrBadParams: a job parameter is unknown, malformed or out of range.
	ErrBadParams = errors.New("mlcluster: bad parameter")
	// ErrBadInput: the dataset text is malformed (see [ParseError]).
	ErrBadInput = errors.New("mlcluster: bad input")
	// ErrProtocol: a peer sent a frame that does not follow the protocol.
	ErrProtocol = errors.New("mlcluster: protocol error")
)

// Algorithm is a distributed learning algorithm written as map and merge.
//
// The coordinator calls [Plan] once per job; the [Plan] says which [Step] to run
// next and merges the partial results. Workers call Map for each of their
// shards with the step the coordinator broadcast. Map must be a pure
// function of the step and the shard: that is what lets the coordinator redo
// a step on another worker after a failure and get the same answer.
type Algorithm interface {
	// Name is the name jobs use to ask for the algorithm ("kmeans").
	Name() string
	// Plan validates the parameters against the dataset's shape and returns
	// the coordinator-side state of one job.
	Plan(shape Shape, params Params) (Plan, error)
	// Map computes one shard's partial result of a step.
	Map(step Step, shard *Shard) (Partial, error)
}

// Plan is the coordinator's side of one job: a loop of broadcast, map,
// merge.
type Plan interface {
	// Next returns the step to run on every shard, or done once the job
	// has its answer.
	Next() (step Step, done bool)
	// Merge combines the partial results of the last step. parts[i] is
	// shard i's partial: merging in shard order, never arrival order, keeps
	// the result deterministic.
	Merge(parts []Partial) error
	// Progress reports where the job is (after the last Merge).
	Progress() Progress
	// Result returns the answer once Next has said done.
	Result() (*Result, error)
}

// Step is what the coordinator broadcasts: a step kind that the algorithm's
// Map understands, and its numbers (current centroids, a mean, ...).
type Step struct {
	Kind string
	Data []float64
}

// Partial is one shard's answer to a step: summed statistics (which merge by
// addition or a similar associative rule) and, optionally, one output row per
// input row of the shard (labels, projections), in the shard's row order.
type Partial struct {
	Sums []float64
	Rows Matrix
}

// Progress is a job's position, streamed to the client after each step.
type Progress struct {
	Step      string  // the step just merged
	Iteration int     // iterations completed (0 during initialisation)
	MaxIter   int     // the iteration limit, 0 when the algorithm does not iterate
	Objective float64 // the algorithm's objective (k-means: inertia); NaN if none yet
}

// Result is a job's answer: named tables of numbers. Each algorithm documents
// its table names; per-row tables ("labels", "projected") are in the original
// row order of the dataset.
type Result struct {
	Algorithm  string
	Rows, Cols int      // the dataset's shape
	Header     []string // the dataset's column names, when it had a header
	Iterations int
	Objective  float64
	Tables     map[string]Matrix
	// Shards is how many shards the data was split into. Results are
	// bit-for-bit deterministic for a given shard count (floating-point
	// sums depend on where the data is cut), so [RunLocal] with
	// LocalOptions{Shards: r.Shards} reproduces this result exactly.
	Shards int
	// Workers is how many workers computed the job: 0 when it ran in the
	// process that returned it ([RunLocal], or a coordinator with
	// [Config.LocalFallback] and no workers) or when the process does not
	// know them ([RunOn]: the workers of a queue come and go).
	Workers int
}

// Table returns the named table, or an empty [Matrix].
func (r *Result) Table(name string) Matrix { return r.Tables[name] }

// Value returns the first number of the named table (for 1x1 tables such as
// "r2" or "inertia"), or NaN when there is no such table.
func (r *Result) Value(name string) float64 {
	t := r.Tables[name]
	if len(t.Data) == 0 {
		return math.NaN()
	}
	return t.Data[0]
}

// Labels returns the "labels" table as cluster indexes, one per row.
func (r *Result) Labels() []int {
	t := r.Tables["labels"]
	out := make([]int, len(t.Data))
	for i, v := range t.Data {
		out[i] = int(v)
	}
	return out
}

// TableNames lists the result's tables in sorted order.
func (r *Result) TableNames() []string {
	names := make([]string, 0, len(r.Tables))
	for n := range r.Tables {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Registry maps algorithm names to algorithms. Coordinators and workers each
// hold one; both must know an algorithm for a job to run it.
type Registry struct {
	algos map[string]Algorithm
}

// NewRegistry returns a registry holding algos.
func NewRegistry(algos ...Algorithm) *Registry {
	r := &Registry{algos: map[string]Algorithm{}}
	for _, a := range algos {
		r.Register(a)
	}
	return r
}

// DefaultRegistry returns a new registry with the built-in algorithms:
// kmeans, pca, linreg and stats.
func DefaultRegistry() *Registry {
	return NewRegistry(KMeans{}, PCA{}, LinReg{}, Stats{})
}

// Register adds (or replaces) an algorithm under its name.
func (r *Registry) Register(a Algorithm) { r.algos[a.Name()] = a }

// Names lists the registered algorithms in sorted order.
func (r *Registry) Names() []string {
	names := make([]string, 0, len(r.algos))
	for n := range r.algos {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the named algorithm or an [ErrUnknownAlgorithm] error that
// lists the known ones.
func (r *Registry) Lookup(name string) (Algorithm, error) {
	if a, ok := r.algos[name]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownAlgorithm, name, strings.Join(r.Names(), ", "))
}

// Params are a job's parameters as text, as they come from a command line
// ("k" -> "3"). Each algorithm documents the names it accepts; "header"
// (auto, yes, no) is read by the coordinator's parser.
type Params map[string]string

// reserved parameters are consumed by the coordinator, not the algorithm.
var reserved = []string{"header"}

// paramReader validates parameters for one algorithm and remembers which
// names it has read, so unknown names can be reported.
type paramReader struct {
	algo   string
	p      Params
	known  []string
	errors []error
}

func newParamReader(algo string, p Params) *paramReader { return &paramReader{algo: algo, p: p} }

func (r *paramReader) fail(format string, args ...any) {
	r.errors = append(r.errors, fmt.Errorf("%w: %s: "+format, append([]any{ErrBadParams, r.algo}, args...)...))
}

// Int reads an integer parameter in [lo, hi].
func (r *paramReader) Int(name string, def, lo, hi int) int {
	s := r.String(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		r.fail("%s=%q is not an integer", name, s)
		return def
	}
	return within(r, name, v, def, lo, hi)
}

// Float reads a finite number parameter in [lo, hi].
func (r *paramReader) Float(name string, def, lo, hi float64) float64 {
	s := r.String(name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) {
		r.fail("%s=%q is not a number", name, s)
		return def
	}
	return within(r, name, v, def, lo, hi)
}

// within returns v when it is in [lo, hi]; otherwise it records that name
// is out of range and returns def.
func within[T int | float64](r *paramReader, name string, v, def, lo, hi T) T {
	if v < lo || v > hi {
		r.fail("%s=%v out of range [%v, %v]", name, v, lo, hi)
		return def
	}
	return v
}

// Choice reads a parameter that must be one of choices.
func (r *paramReader) Choice(name, def string, choices ...string) string {
	s := r.String(name)
	if s == "" {
		return def
	}
	if !slices.Contains(choices, s) {
		r.fail("%s=%q, want one of %s", name, s, strings.Join(choices, ", "))
		return def
	}
	return s
}

// String reads a free-form parameter; Int, Float and Choice read theirs
// through it, so that every name read counts as known.
func (r *paramReader) String(name string) string {
	r.known = append(r.known, name)
	return r.p[name]
}

// Err reports the first problem, including parameters nobody read.
func (r *paramReader) Err() error {
	if len(r.errors) > 0 {
		return r.errors[0]
	}
	var unknown []string
	for n := range r.p {
		if !slices.Contains(r.known, n) && !slices.Contains(reserved, n) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		known := append([]string(nil), r.known...)
		sort.Strings(known)
		return fmt.Errorf("%w: %s: unknown parameter %q (known: %s)", ErrBadParams, r.algo, unknown[0], strings.Join(known, ", "))
	}
	return nil
}

// vector is a 1xn table.
func vector(v []float64) Matrix { return Matrix{Rows: 1, Cols: len(v), Data: v} }

// scalar is a 1x1 table.
func scalar(v float64) Matrix { return Matrix{Rows: 1, Cols: 1, Data: []float64{v}} }
