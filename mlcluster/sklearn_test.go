package mlcluster

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/benchutil"
	"github.com/netlab-go/netlab/internal/floatwire"
	"github.com/netlab-go/netlab/internal/testenv"
)

// The comparison with scikit-learn (testdata/sklearn_kmeans.py): the Go side
// exports the data and initial centroids as raw float64 files in a
// temporary directory, starts the script once, and asks it for one fit at a
// time between its own runs, so that both sides are measured under the same
// load of a shared machine.

// sklearnPythonEnv names a Python interpreter to use instead of searching.
const sklearnPythonEnv = "NETLAB_PYTHON"

// sklearnPython returns a Python that imports scikit-learn and
// threadpoolctl: $NETLAB_PYTHON, python3 on the PATH, or the system's
// /usr/bin/python3 (where Debian's python3-sklearn installs, even when a
// pyenv python3 comes first on the PATH). Otherwise it skips tb (fails it
// under NETLAB_REQUIRE_TOOLS=1).
func sklearnPython(tb testing.TB) string {
	tb.Helper()
	candidates := []string{os.Getenv(sklearnPythonEnv), "python3", "/usr/bin/python3"}
	for _, py := range candidates {
		if py == "" {
			continue
		}
		if exec.Command(py, "-c", "import sklearn, threadpoolctl").Run() == nil {
			return py
		}
	}
	testenv.Missing(tb, "python3 with scikit-learn",
		"apt-get install python3-sklearn (or set "+sklearnPythonEnv+" to a Python that has it)")
	return ""
}

// sklearnFit is one answer of the script.
type sklearnFit struct {
	Threads    int       `json:"threads"` // OpenMP threads scikit-learn used
	Seconds    float64   `json:"seconds"` // wall clock of fit
	CPUSeconds float64   `json:"cpu_seconds"`
	Iterations int       `json:"iterations"`
	Inertia    float64   `json:"inertia"`
	Centroids  []float64 `json:"centroids"`
}

// sklearnRunner is the running script, holding one dataset.
type sklearnRunner struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Scanner
	stderr  string // file with the script's standard error
	version string
}

// startSklearn exports ds and init and starts the script on them, for
// k-means with k = len(init)/ds.Cols and at most maxIter iterations. The
// script stops when tb's test ends.
func startSklearn(tb testing.TB, ds *Dataset, init []float64, maxIter int) *sklearnRunner {
	tb.Helper()
	py := sklearnPython(tb)
	dir := tb.TempDir()
	data, cents := filepath.Join(dir, "data.f64"), filepath.Join(dir, "init.f64")
	if err := os.WriteFile(data, floatwire.Append(nil, ds.Data), 0o600); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(cents, floatwire.Append(nil, init), 0o600); err != nil {
		tb.Fatal(err)
	}
	errFile, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		tb.Fatal(err)
	}
	defer errFile.Close() // the child has its own copy
	cmd := exec.Command(py, filepath.Join("testdata", "sklearn_kmeans.py"), data, cents,
		strconv.Itoa(ds.Rows), strconv.Itoa(ds.Cols), strconv.Itoa(len(init)/ds.Cols), strconv.Itoa(maxIter))
	cmd.Stderr = errFile
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	s := &sklearnRunner{cmd: cmd, in: in, out: bufio.NewScanner(outPipe), stderr: errFile.Name()}
	s.out.Buffer(nil, 64<<20)
	tb.Cleanup(func() {
		_ = s.in.Close() // end of stdin: the script exits
		_ = s.cmd.Wait()
	})
	var hello struct {
		Ready   bool   `json:"ready"`
		Version string `json:"sklearn"`
	}
	if err := s.read(&hello); err != nil || !hello.Ready {
		tb.Fatalf("scikit-learn script did not start: %v", err)
	}
	s.version = hello.Version
	return s
}

// read decodes the script's next line into v.
func (s *sklearnRunner) read(v any) error {
	if !s.out.Scan() {
		msg, _ := os.ReadFile(s.stderr)
		return fmt.Errorf("script ended (%v): %s", s.out.Err(), msg)
	}
	return json.Unmarshal(s.out.Bytes(), v)
}

// fit runs one KMeans fit with the given number of threads.
func (s *sklearnRunner) fit(tb testing.TB, threads int) sklearnFit {
	tb.Helper()
	var f sklearnFit
	if _, err := fmt.Fprintln(s.in, threads); err != nil {
		tb.Fatal(err)
	}
	if err := s.read(&f); err != nil {
		tb.Fatalf("scikit-learn fit with %d threads: %v", threads, err)
	}
	if f.Threads < 1 || f.Threads > threads {
		tb.Fatalf("scikit-learn ran on %d threads, asked for %d", f.Threads, threads)
	}
	return f
}

// maxAbsDiff is the largest |a[i] - b[i]| (infinite when the lengths differ).
func maxAbsDiff(a, b []float64) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var m float64
	for i := range a {
		m = math.Max(m, math.Abs(a[i]-b[i]))
	}
	return m
}

// TestScikitLearnAgrees runs single-machine Lloyd, a two-shard RunLocal
// (what a two-worker cluster computes, bit for bit) and scikit-learn's
// Lloyd on 1 and 2 threads from the same initial centroids, on a small
// version of the scale benchmark (BenchmarkKMeansVsScikitLearn is the full
// size), and checks the same iteration counts and centroids within 1e-9.
// It logs both times and their ratios.
func TestScikitLearnAgrees(t *testing.T) {
	const rows, cols, k, iters = 20_000, 8, 16, 20
	ds, init, params := kmeansScale(t, rows, cols, k, iters)
	sk := startSklearn(t, ds, init, iters)

	start := time.Now()
	ref := Lloyd(ds, init, iters, 0)
	lloydTime := time.Since(start)
	start = time.Now()
	res, err := RunLocal(context.Background(), ds, "kmeans", params, LocalOptions{Shards: 2})
	if err != nil {
		t.Fatal(err)
	}
	localTime := time.Since(start)
	if d := maxAbsDiff(res.Table("centroids").Data, ref.Centroids); res.Iterations != ref.Iterations || d > 1e-9 {
		t.Fatalf("2 shards: %d iterations, centroids %g from Lloyd's (%d iterations)", res.Iterations, d, ref.Iterations)
	}
	for _, threads := range []int{1, 2} {
		f := sk.fit(t, threads)
		d := maxAbsDiff(f.Centroids, ref.Centroids)
		ours := lloydTime
		if threads == 2 {
			ours = localTime
		}
		t.Logf("scikit-learn %s, %d thread(s): %.4f s, %d iterations; netlab (%s): %.4f s, %d iterations; "+
			"netlab/scikit-learn %.2f; largest centroid difference %.3g",
			sk.version, threads, f.Seconds, f.Iterations, map[int]string{1: "Lloyd", 2: "RunLocal, 2 shards"}[threads],
			ours.Seconds(), ref.Iterations, ours.Seconds()/f.Seconds, d)
		if f.Iterations != ref.Iterations {
			t.Errorf("scikit-learn on %d threads ran %d iterations, Lloyd %d", threads, f.Iterations, ref.Iterations)
		}
		if d > 1e-9 {
			t.Errorf("scikit-learn on %d threads: centroids differ from Lloyd's by %g > 1e-9", threads, d)
		}
		if rel := math.Abs(f.Inertia-ref.Inertia) / ref.Inertia; rel > 1e-9 {
			t.Errorf("scikit-learn on %d threads: inertia %v, Lloyd %v", threads, f.Inertia, ref.Inertia)
		}
	}
}

// BenchmarkKMeansVsScikitLearn is the comparison: 1,000,000 x 8
// points, k = 16, 20 iterations from the same initial centroids, measured
// in one run, turn by turn: a 2-worker cluster over loopback (shipping the
// data included) against scikit-learn 1.2's KMeans(algorithm="lloyd",
// n_init=1) on 2 threads, and single-threaded [Lloyd] against scikit-learn
// on 1 thread. Ratios are netlab's time over scikit-learn's (below 1:
// netlab is faster). It fails when the iteration counts differ or the
// centroids differ by more than 1e-9.
func BenchmarkKMeansVsScikitLearn(b *testing.B) {
	const rows, cols, k, iters = 1_000_000, 8, 16, 20
	ds, init, params := kmeansScale(b, rows, cols, k, iters)
	sk := startSklearn(b, ds, init, iters)
	ctx := context.Background()
	lc, err := StartLocalCluster(ctx, DefaultConfig(), 2)
	if err != nil {
		b.Fatal(err)
	}
	defer lc.Close()
	cl, err := NewClient(ClientConfig{Coordinator: lc.Addr()})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()

	var clusterT, lloydT, sk1T, sk2T, clusterCPU, lloydCPU, sk1CPU, sk2CPU float64
	var diff float64
	b.ResetTimer()
	for range b.N {
		start, cpu := time.Now(), benchutil.CPUTime()
		res, err := cl.SubmitDataset(ctx, ds, "kmeans", params)
		if err != nil {
			b.Fatal(err)
		}
		ct := time.Since(start).Seconds()
		clusterT += ct
		clusterCPU += (benchutil.CPUTime() - cpu).Seconds()

		start, cpu = time.Now(), benchutil.CPUTime()
		ref := Lloyd(ds, init, iters, 0)
		lt := time.Since(start).Seconds()
		lloydT += lt
		lloydCPU += (benchutil.CPUTime() - cpu).Seconds()

		f2, f1 := sk.fit(b, 2), sk.fit(b, 1)
		sk2T, sk2CPU = sk2T+f2.Seconds, sk2CPU+f2.CPUSeconds
		sk1T, sk1CPU = sk1T+f1.Seconds, sk1CPU+f1.CPUSeconds

		for _, c := range []struct {
			who  string
			iter int
			cent []float64
		}{{"cluster", res.Iterations, res.Table("centroids").Data}, {"scikit-learn 2 threads", f2.Iterations, f2.Centroids},
			{"scikit-learn 1 thread", f1.Iterations, f1.Centroids}} {
			if c.iter != ref.Iterations {
				b.Fatalf("%s ran %d iterations, Lloyd %d", c.who, c.iter, ref.Iterations)
			}
			diff = math.Max(diff, maxAbsDiff(c.cent, ref.Centroids))
		}
		if diff > 1e-9 {
			b.Fatalf("centroids differ by %g > 1e-9", diff)
		}
		b.Logf("scikit-learn %s; %d iterations on every side; 2-worker cluster %.3f s vs scikit-learn on %d threads %.3f s (%.2fx); "+
			"Lloyd %.3f s vs scikit-learn on 1 thread %.3f s (%.2fx); largest centroid difference %.3g",
			sk.version, ref.Iterations, ct, f2.Threads, f2.Seconds, ct/f2.Seconds, lt, f1.Seconds, lt/f1.Seconds, diff)
	}
	b.StopTimer()
	n := float64(b.N)
	for _, m := range []struct {
		v    float64
		unit string
	}{
		{clusterT / n, "cluster-s"}, {sk2T / n, "sklearn-2t-s"}, {clusterT / sk2T, "cluster/sklearn-2t"},
		{lloydT / n, "lloyd-s"}, {sk1T / n, "sklearn-1t-s"}, {lloydT / sk1T, "lloyd/sklearn-1t"},
		{diff * 1e13, "max-centroid-diff-1e-13"},
		// Cores each run got (CPU time over wall time): on a shared
		// machine a side that got fewer than its threads was slowed by
		// the others' load.
		{clusterCPU / clusterT, "cluster-cores"}, {sk2CPU / sk2T, "sklearn-2t-cores"},
		{lloydCPU / lloydT, "lloyd-cores"}, {sk1CPU / sk1T, "sklearn-1t-cores"},
		// CPU time ratios: under others' load each side's wall time
		// depends on the share of the cores it got, its CPU time much
		// less (scikit-learn's OpenMP threads spin while they wait, which
		// counts against it on 2 threads).
		{lloydCPU / sk1CPU, "lloyd/sklearn-1t-cpu"}, {clusterCPU / sk2CPU, "cluster/sklearn-2t-cpu"},
	} {
		b.ReportMetric(m.v, m.unit)
	}
}
