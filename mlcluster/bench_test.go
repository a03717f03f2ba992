package mlcluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/benchutil"
	"gonum.org/v1/gonum/mat"
)

// BenchmarkKMeansCluster is the scale check: 1,000,000 x 8 points,
// k = 16, 20 Lloyd iterations, on 2 workers over loopback (shipping the
// shards included), against single-threaded local Lloyd from the same
// initial centroids in the same run. It reports both times, the speed-up
// and the largest centroid difference, and how many cores each phase got.
func BenchmarkKMeansCluster(b *testing.B) {
	const rows, cols, k, iters = 1_000_000, 8, 16, 20
	ds, init, params := kmeansScale(b, rows, cols, k, iters)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	co, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	go co.Run(ctx)
	for range 2 {
		w, _ := NewWorker(WorkerConfig{Coordinator: co.Addr()})
		go w.Run(ctx)
	}
	if err := co.WaitWorkers(ctx, 2); err != nil {
		b.Fatal(err)
	}
	// Progress timestamps split the cluster's time into shipping the data
	// (before the first iteration's report), iterating, and labelling.
	var marks iterMarks
	cl, _ := NewClient(ClientConfig{Coordinator: co.Addr(), Progress: marks.mark})
	var shipTime, iterTime time.Duration

	var clusterTime, localTime, clusterCPU, localCPU time.Duration
	var maxDiff float64
	b.ResetTimer()
	for range b.N {
		marks = marks[:0]
		start, cpu := time.Now(), benchutil.CPUTime()
		res, err := cl.SubmitDataset(ctx, ds, "kmeans", params)
		if err != nil {
			b.Fatal(err)
		}
		clusterTime += time.Since(start)
		if len(marks) >= 2 {
			perIter := marks.perIter()
			shipTime += marks[0].Sub(start) - perIter
			iterTime += perIter
		}
		clusterCPU += benchutil.CPUTime() - cpu

		start, cpu = time.Now(), benchutil.CPUTime()
		ref := Lloyd(ds, init, iters, 0)
		localTime += time.Since(start)
		localCPU += benchutil.CPUTime() - cpu

		if res.Iterations != ref.Iterations {
			b.Fatalf("cluster ran %d iterations, local %d", res.Iterations, ref.Iterations)
		}
		for i, v := range res.Table("centroids").Data {
			maxDiff = math.Max(maxDiff, math.Abs(v-ref.Centroids[i]))
		}
	}
	b.StopTimer()
	b.ReportMetric(clusterTime.Seconds()/float64(b.N), "cluster-s/op")
	b.ReportMetric(localTime.Seconds()/float64(b.N), "local-s/op")
	b.ReportMetric(localTime.Seconds()/clusterTime.Seconds(), "speedup")
	b.ReportMetric(maxDiff, "max-centroid-diff")
	b.ReportMetric(shipTime.Seconds()/float64(b.N), "cluster-upload+ship-s")
	b.ReportMetric(iterTime.Seconds()*1000/float64(b.N), "cluster-ms/iter")
	b.ReportMetric(localTime.Seconds()*1000/float64(b.N)/iters, "local-ms/iter")
	// Cores each phase actually got: on an idle 2-core machine the cluster
	// phase gets close to 2 and the local one 1; on a shared machine both
	// can get less, and the speed-up with them.
	b.ReportMetric(clusterCPU.Seconds()/clusterTime.Seconds(), "cluster-cores")
	b.ReportMetric(parallelCapacity(), "machine-2goroutine-speedup")
	b.ReportMetric(localCPU.Seconds()/localTime.Seconds(), "local-cores")
	if maxDiff > 1e-9 {
		b.Errorf("centroids differ by %g > 1e-9", maxDiff)
	}
}

// BenchmarkParse measures loading numeric CSV text (MB/s of input): values
// written with 6 decimals (typical of measured data) and with the shortest
// exact representation (17 significant digits). Beside each it loads the
// same text the standard library's way in the same run (encoding/csv, then
// strconv.ParseFloat on every field) and reports Parse's speed relative to
// it (x-encoding/csv, above 1 is faster), and the CPU time both took
// (cpu-x-encoding/csv: above 1, Parse does less work; Parse runs on
// GOMAXPROCS goroutines, so its wall-clock ratio can exceed this one).
func BenchmarkParse(b *testing.B) {
	ds, _, err := Blobs(BlobsConfig{Rows: 200_000, Cols: 8, Centers: 4}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name     string
		decimals int
	}{{"decimals=6", 6}, {"shortest", -1}} {
		var buf bytes.Buffer
		if err := WriteCSVDecimals(&buf, ds, c.decimals); err != nil {
			b.Fatal(err)
		}
		text := buf.Bytes()
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			var ours, std, oursCPU, stdCPU time.Duration
			for b.Loop() {
				t0, c0 := time.Now(), benchutil.CPUTime()
				if _, err := Parse(bytes.NewReader(text), ParseOptions{}); err != nil {
					b.Fatal(err)
				}
				ours += time.Since(t0)
				oursCPU += benchutil.CPUTime() - c0
				t0, c0 = time.Now(), benchutil.CPUTime()
				if n, err := stdlibLoad(text); err != nil || n != ds.Rows*ds.Cols {
					b.Fatalf("encoding/csv loaded %d values: %v", n, err)
				}
				std += time.Since(t0)
				stdCPU += benchutil.CPUTime() - c0
			}
			b.ReportMetric(float64(len(text))*float64(b.N)/ours.Seconds()/1e6, "parse-MB/s")
			b.ReportMetric(std.Seconds()/ours.Seconds(), "x-encoding/csv")
			// CPU time, all goroutines: the work of a load, which the
			// machine's other load changes less than the wall clock.
			b.ReportMetric(float64(oursCPU)/float64(len(text))/float64(b.N), "parse-cpu-ns/B")
			b.ReportMetric(stdCPU.Seconds()/oursCPU.Seconds(), "cpu-x-encoding/csv")
		})
	}
}

// stdlibLoad reads CSV text (no header) into float64 the standard
// library's way, the baseline of BenchmarkParse, and returns how many
// values it read.
func stdlibLoad(text []byte) (int, error) {
	r := csv.NewReader(bytes.NewReader(text))
	r.ReuseRecord = true
	var data []float64
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return len(data), nil
		}
		if err != nil {
			return len(data), err
		}
		for _, f := range rec {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return len(data), err
			}
			data = append(data, v)
		}
	}
}

// BenchmarkShardWireSize ships a 100,000 x 8 shard in the default 4 MiB
// chunks and reports the wire size relative to the raw float64 size.
func BenchmarkShardWireSize(b *testing.B) {
	ds, _, _ := Blobs(BlobsConfig{Rows: 100_000, Cols: 8}, rand.New(rand.NewPCG(1, 1)))
	s := Split(ds, 1)[0]
	per := DefaultConfig().ChunkBytes / (8 * s.Cols)
	var wire int
	b.SetBytes(int64(len(s.Data) * 8))
	for range b.N {
		wire = 0
		buf := make([]byte, 0, shardChunkHeader+per*s.Cols*8)
		for off := 0; off < s.Rows; off += per {
			buf = appendShardChunk(buf[:0], 1, s, off, min(per, s.Rows-off))
			wire += frameHeader + len(buf)
		}
	}
	b.ReportMetric(float64(wire)/float64(len(s.Data)*8), "wire/raw")
}

// BenchmarkAssign measures the Lloyd inner loop alone (100,000 x 8, k = 16).
// Beside the wall-clock time it reports the CPU time per row, which other
// load on a shared machine inflates less.
func BenchmarkAssign(b *testing.B) {
	ds, _, _ := Blobs(BlobsConfig{Rows: 100_000, Cols: 8, Centers: 16}, rand.New(rand.NewPCG(1, 1)))
	cents := SeedPlusPlus(ds, 16, rand.New(rand.NewPCG(2, 2)))
	sums, counts := make([]float64, 16*8), make([]float64, 16)
	b.SetBytes(int64(len(ds.Data) * 8))
	cpu := benchutil.CPUTime()
	for range b.N {
		assignAccumulate(ds.Data, 8, cents, sums, counts, nil, false)
	}
	b.ReportMetric(float64(benchutil.CPUTime()-cpu)/float64(b.N)/float64(ds.Rows), "cpu-ns/row")
}

// parallelCapacity calibrates the machine: how much faster the same
// arithmetic runs split over two goroutines than on one (about 2 on an idle
// machine with two free cores, about 1 when other load leaves one core's
// worth of CPU). The cluster's speed-up over local Lloyd cannot exceed it.
func parallelCapacity() float64 {
	work := func(parts int) time.Duration {
		start := time.Now()
		done := make(chan float64, parts)
		for range parts {
			go func() {
				x := 0.0
				for i := range 200_000_000 / parts {
					x += float64(i) * 1e-9
				}
				done <- x
			}()
		}
		for range parts {
			<-done
		}
		return time.Since(start)
	}
	return work(1).Seconds() / work(2).Seconds()
}

// BenchmarkShardCodecVsGonum sets the shard chunk codec against gonum's
// binary form for a mat.Dense of the same rows (MarshalBinaryTo,
// UnmarshalBinaryFrom), in the same run, for the chunk the coordinator
// sends by default: 4 MiB, 65,536 rows of 8 columns. x-gonum is gonum's
// time over ours (above 1: ours is faster).
func BenchmarkShardCodecVsGonum(b *testing.B) {
	const rows, cols = 65536, 8
	ds, _, _ := Blobs(BlobsConfig{Rows: rows, Cols: cols}, rand.New(rand.NewPCG(1, 1)))
	s := Split(ds, 1)[0]
	m := mat.NewDense(rows, cols, ds.Data)
	size := float64(8 * rows * cols)
	var theirs bytes.Buffer
	if _, err := m.MarshalBinaryTo(&theirs); err != nil {
		b.Fatal(err)
	}
	chunk := appendShardChunk(nil, 1, s, 0, rows)
	b.Run("encode", func(b *testing.B) {
		buf := make([]byte, 0, len(chunk))
		gw := bufio.NewWriterSize(io.Discard, 1<<16)
		var to, tg time.Duration
		for b.Loop() {
			t0 := time.Now()
			buf = appendShardChunk(buf[:0], 1, s, 0, rows)
			to += time.Since(t0)
			t0 = time.Now()
			if _, err := m.MarshalBinaryTo(gw); err != nil {
				b.Fatal(err)
			}
			_ = gw.Flush()
			tg += time.Since(t0)
		}
		b.ReportMetric(size*float64(b.N)/to.Seconds()/1e9, "ours-GB/s")
		b.ReportMetric(size*float64(b.N)/tg.Seconds()/1e9, "gonum-GB/s")
		b.ReportMetric(tg.Seconds()/to.Seconds(), "x-gonum")
	})
	b.Run("decode", func(b *testing.B) {
		dst := make([]float64, rows*cols)
		rg := bytes.NewReader(theirs.Bytes())
		var to, tg time.Duration
		for b.Loop() {
			t0 := time.Now()
			c, err := decodeShardChunk(chunk)
			if err != nil {
				b.Fatal(err)
			}
			c.values(dst)
			to += time.Since(t0)
			rg.Reset(theirs.Bytes())
			t0 = time.Now()
			var d mat.Dense
			if _, err := d.UnmarshalBinaryFrom(bufio.NewReaderSize(rg, 1<<16)); err != nil {
				b.Fatal(err)
			}
			tg += time.Since(t0)
		}
		b.ReportMetric(size*float64(b.N)/to.Seconds()/1e9, "ours-GB/s")
		b.ReportMetric(size*float64(b.N)/tg.Seconds()/1e9, "gonum-GB/s")
		b.ReportMetric(tg.Seconds()/to.Seconds(), "x-gonum")
	})
}

// kmeansScale is the work of the k-means scale checks (the benchmarks
// above, BenchmarkKMeansTransports, and the scikit-learn comparisons):
// rows x cols points in k Gaussian blobs, k initial centroids by
// k-means++, and the params that run iters Lloyd iterations from them
// (tol 0, so that every side runs all of them).
func kmeansScale(tb testing.TB, rows, cols, k, iters int) (*Dataset, []float64, Params) {
	tb.Helper()
	ds, _, err := Blobs(BlobsConfig{Rows: rows, Cols: cols, Centers: k, Spread: 3}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		tb.Fatal(err)
	}
	init := SeedPlusPlus(ds, k, rand.New(rand.NewPCG(2, 2)))
	params := Params{"k": strconv.Itoa(k), "max_iter": strconv.Itoa(iters), "tol": "0", "centroids": FormatCentroids(init, cols)}
	return ds, init, params
}

// iterMarks records when each k-means iteration was merged.
type iterMarks []time.Time

func (m *iterMarks) mark(p Progress) {
	if p.Step == "assign" {
		*m = append(*m, time.Now())
	}
}

// perIter is the mean time between iterations, once the data is on the
// workers (the first iteration also ships or fetches it).
func (m iterMarks) perIter() time.Duration {
	if len(m) < 2 {
		return 0
	}
	return m[len(m)-1].Sub(m[0]) / time.Duration(len(m)-1)
}
