package matrix

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/benchutil"
	"gonum.org/v1/gonum/mat"
)

// BenchmarkDistributedVsGonum multiplies n×n matrices on a coordinator and
// seven loopback workers, and with gonum's Dense.Mul in the same process, in
// the same run. It reports both times, their ratio (target ≤ 1.3 at
// n = 2048), and the error relative to the bound 1e-9·n·max|a|·max|b|.
// workers=strassen is the default worker (local Strassen above
// DefaultCutoff); workers=mul makes every worker use gonum's Mul alone, which
// isolates the cost of the network and the one distributed level.
func BenchmarkDistributedVsGonum(b *testing.B) {
	for _, n := range []int{1024, 2048} {
		for _, mode := range []string{"strassen", "mul"} {
			b.Run(fmt.Sprintf("n=%d/workers=%s", n, mode), func(b *testing.B) { benchDistributed(b, n, mode == "mul") })
		}
	}
}

func benchDistributed(b *testing.B, n int, mulOnly bool) {
	cfg := DefaultLocalConfig()
	if mulOnly {
		cfg.Worker.Cutoff = n
	}
	l, err := StartLocal(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	c, err := NewClient(DefaultClientConfig(l.Addr()))
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	x, y := randDense(rng, n, n), randDense(rng, n, n)
	want := mat.NewDense(n, n, nil)
	var dist, local time.Duration
	var rep Report
	var got *mat.Dense
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		got, rep, err = c.MultiplyReport(context.Background(), x, y)
		dist += time.Since(t0)
		if err != nil || rep.Local {
			b.Fatalf("distributed multiply: err %v, local %v %s", err, rep.Local, rep.Reason)
		}
		t0 = time.Now()
		want.Mul(x, y)
		local += time.Since(t0)
	}
	b.StopTimer()
	k := float64(b.N)
	b.ReportMetric(dist.Seconds()/k, "dist-s/op")
	b.ReportMetric(local.Seconds()/k, "gonum-s/op")
	b.ReportMetric(dist.Seconds()/local.Seconds(), "ratio")
	b.ReportMetric(MaxAbsDiff(got, want)/tolerance(x, y), "err/bound")
	b.ReportMetric(rep.Send.Seconds(), "send-s")
	b.ReportMetric(rep.Compute.Seconds(), "compute-s")
	b.ReportMetric(rep.Combine.Seconds(), "combine-s")
}

// BenchmarkStrassenVsGonum compares local Strassen with gonum's Mul on the
// same kernel (see [Kernel]): one, two and three Strassen levels above
// the kernel. OpenBLAS runs at one thread so that CPU times compare the
// work (gonum's pure Go uses GOMAXPROCS goroutines either way). ratio is
// wall time over Mul's, cpu-ratio CPU time over Mul's (the figure load
// disturbs least).
func BenchmarkStrassenVsGonum(b *testing.B) {
	defer SetKernelThreads(SetKernelThreads(1))
	for _, n := range []int{512, 1024, 2048} {
		for _, cutoff := range []int{n / 8, n / 4, n / 2} {
			b.Run(fmt.Sprintf("n=%d/cutoff=%d", n, cutoff), func(b *testing.B) {
				rng := rand.New(rand.NewPCG(2, uint64(n)))
				x, y := randDense(rng, n, n), randDense(rng, n, n)
				want := mat.NewDense(n, n, nil)
				var s, g, sc, gc time.Duration
				for b.Loop() {
					c0, t0 := benchutil.CPUTime(), time.Now()
					if _, err := Strassen(x, y, cutoff); err != nil {
						b.Fatal(err)
					}
					s += time.Since(t0)
					sc += benchutil.CPUTime() - c0
					c0, t0 = benchutil.CPUTime(), time.Now()
					want.Mul(x, y)
					g += time.Since(t0)
					gc += benchutil.CPUTime() - c0
				}
				b.ReportMetric(s.Seconds()/g.Seconds(), "ratio")
				b.ReportMetric(sc.Seconds()/gc.Seconds(), "cpu-ratio")
			})
		}
	}
}

// BenchmarkCodec encodes and decodes a 1024×1024 result frame through memory
// and reports the throughput (target ≥ 1 GB/s).
func BenchmarkCodec(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := &ResultMsg{ID: 1, C: randDense(rng, 1024, 1024)}
	var buf bytes.Buffer
	enc := NewEncoder(&buf)
	if err := enc.Encode(m); err != nil {
		b.Fatal(err)
	}
	size := int64(buf.Len())
	r := bytes.NewReader(buf.Bytes())
	b.Run("encode", func(b *testing.B) {
		enc := NewEncoder(io.Discard)
		b.SetBytes(size)
		for b.Loop() {
			if err := enc.Encode(m); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
	b.Run("decode", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			r.Reset(buf.Bytes())
			if _, err := NewDecoder(r, DefaultLimits()).Decode(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(size)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GB/s")
	})
}

// BenchmarkCodecVsGonum sets this package's matrix codec against gonum's
// own binary form (mat.Dense MarshalBinaryTo and UnmarshalBinaryFrom), in
// the same run, for the block sizes the grid sends: the seven products of
// n = 1024 and 2048 are 512×512 and 1024×1024 blocks. Both write through
// the same 64 KiB bufio.Writer and read through the same bufio.Reader.
// x-gonum is gonum's time over ours (above 1: ours is faster).
func BenchmarkCodecVsGonum(b *testing.B) {
	for _, n := range []int{512, 1024} {
		rng := rand.New(rand.NewPCG(5, uint64(n)))
		m := randDense(rng, n, n)
		var ours, theirs bytes.Buffer
		if err := NewEncoder(&ours).Encode(&ResultMsg{ID: 1, C: m}); err != nil {
			b.Fatal(err)
		}
		if _, err := m.MarshalBinaryTo(&theirs); err != nil {
			b.Fatal(err)
		}
		size := float64(8 * n * n)
		b.Run(fmt.Sprintf("encode/n=%d", n), func(b *testing.B) {
			enc := NewEncoder(io.Discard)
			gw := bufio.NewWriterSize(io.Discard, chunk)
			var to, tg time.Duration
			for b.Loop() {
				t0 := time.Now()
				if err := enc.Encode(&ResultMsg{ID: 1, C: m}); err != nil {
					b.Fatal(err)
				}
				to += time.Since(t0)
				t0 = time.Now()
				if _, err := m.MarshalBinaryTo(gw); err != nil {
					b.Fatal(err)
				}
				if err := gw.Flush(); err != nil {
					b.Fatal(err)
				}
				tg += time.Since(t0)
			}
			b.ReportMetric(size*float64(b.N)/to.Seconds()/1e9, "ours-GB/s")
			b.ReportMetric(size*float64(b.N)/tg.Seconds()/1e9, "gonum-GB/s")
			b.ReportMetric(tg.Seconds()/to.Seconds(), "x-gonum")
		})
		b.Run(fmt.Sprintf("decode/n=%d", n), func(b *testing.B) {
			ro, rg := bytes.NewReader(ours.Bytes()), bytes.NewReader(theirs.Bytes())
			var to, tg time.Duration
			for b.Loop() {
				ro.Reset(ours.Bytes())
				t0 := time.Now()
				if _, err := NewDecoder(ro, DefaultLimits()).Decode(); err != nil {
					b.Fatal(err)
				}
				to += time.Since(t0)
				rg.Reset(theirs.Bytes())
				t0 = time.Now()
				var d mat.Dense
				if _, err := d.UnmarshalBinaryFrom(bufio.NewReaderSize(rg, chunk)); err != nil {
					b.Fatal(err)
				}
				tg += time.Since(t0)
			}
			b.ReportMetric(size*float64(b.N)/to.Seconds()/1e9, "ours-GB/s")
			b.ReportMetric(size*float64(b.N)/tg.Seconds()/1e9, "gonum-GB/s")
			b.ReportMetric(tg.Seconds()/to.Seconds(), "x-gonum")
		})
	}
}
