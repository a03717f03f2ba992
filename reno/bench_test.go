package reno

import (
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/benchutil"
)

// benchConfig is the reference flow: 100 Mb/s, 50 ms RTT, a
// one-BDP drop-tail buffer (so there are losses and recoveries), NewReno.
func benchConfig(d time.Duration) Config {
	cfg := DefaultConfig()
	cfg.Link.Bandwidth = 100e6
	cfg.Link.Delay = 25 * time.Millisecond
	cfg.Link.Buffer = 417 // one bandwidth-delay product of 1500-byte segments
	cfg.Flows[0] = FlowConfig{Variant: VariantNewReno, MSS: 1500}
	cfg.Duration = d
	return cfg
}

// BenchmarkSimulatedPackets reports simulated packets (data segments plus
// ACKs) per wall-clock second, single-threaded, for NewReno, SACK and CUBIC
// on the reference flow (issue 18 asks for at least 5M/s).
func BenchmarkSimulatedPackets(b *testing.B) {
	for _, v := range []Variant{VariantNewReno, VariantSACK, VariantCubic} {
		b.Run(string(v), func(b *testing.B) {
			cfg := benchConfig(20 * time.Second)
			cfg.Flows[0].Variant = v
			var pkts int64
			for b.Loop() {
				pkts += runSim(b, cfg).Packets
			}
			b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
		})
	}
}

// BenchmarkHundredSecondFlow simulates 100 s of one flow at 100 Mb/s with a
// 50 ms RTT and reports simulated time per wall-clock time.
func BenchmarkHundredSecondFlow(b *testing.B) {
	cfg := benchConfig(100 * time.Second)
	var res *Result
	for b.Loop() {
		res = runSim(b, cfg)
	}
	wall := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(wall, "wall-s/run")
	b.ReportMetric(100/wall, "sim-s/wall-s")
	b.ReportMetric(float64(res.Packets), "pkts/run")
	b.ReportMetric(res.Utilization, "utilization")
}

// BenchmarkCubicGigabit simulates 100 s of a CUBIC flow (with SACK and
// HyStart++) over 1 Gb/s with a 100 ms RTT and a one-BDP buffer, and
// reports simulated seconds per wall-clock second (issue 18 asks for the
// 100 s in under 2 s of wall time, a ratio of at least 50) and packets per
// second.
func BenchmarkCubicGigabit(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Link.Bandwidth = 1e9
	cfg.Link.Delay = 50 * time.Millisecond
	cfg.Link.Buffer = 8333 // 1500-byte segments
	cfg.Flows[0] = FlowConfig{Control: nil, Variant: VariantCubic, MSS: 1500, SACK: true}
	cfg.Duration = 100 * time.Second
	var res *Result
	var pkts int64
	cpu0 := benchutil.CPUTime()
	for b.Loop() {
		c := cfg
		c.Flows = []FlowConfig{cfg.Flows[0]}
		c.Flows[0].Control = &Cubic{HyStart: true}
		res = runSim(b, c)
		pkts += res.Packets
	}
	wall := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(wall, "wall-s/run")
	cpu := (benchutil.CPUTime() - cpu0).Seconds() / float64(b.N)
	b.ReportMetric(100/wall, "sim-s/wall-s")
	// On a shared machine the wall clock counts other processes' time too;
	// the process's own CPU time is the fairer figure.
	b.ReportMetric(100/cpu, "sim-s/cpu-s")
	b.ReportMetric(float64(pkts)/b.Elapsed().Seconds(), "pkts/s")
	b.ReportMetric(res.Utilization, "utilization")
}

// BenchmarkTraceStreamMemory streams the full trace to a writer for a 10 s
// and a 100 s flow and reports the bytes allocated by each: with streaming
// they stay flat (the ratio stays near 1 while the trace is 10x longer).
func BenchmarkTraceStreamMemory(b *testing.B) {
	measure := func(d time.Duration) (alloc uint64, mallocs uint64) {
		cfg := benchConfig(d)
		cfg.TraceCSV = io.Discard
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		runSim(b, cfg)
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc, after.Mallocs - before.Mallocs
	}
	var short, long, shortN, longN uint64
	for b.Loop() {
		s, sn := measure(10 * time.Second)
		l, ln := measure(100 * time.Second)
		short, long, shortN, longN = short+s, long+l, shortN+sn, longN+ln
	}
	n := uint64(b.N)
	b.ReportMetric(float64(short/n), "B-10s")
	b.ReportMetric(float64(long/n), "B-100s")
	b.ReportMetric(float64(shortN/n), "allocs-10s")
	b.ReportMetric(float64(longN/n), "allocs-100s")
	b.ReportMetric(float64(long)/float64(short), "ratio-100s/10s")
}

// BenchmarkKeptTraceMemory is the baseline for the one above: keeping the
// trace in memory grows with the flow.
func BenchmarkKeptTraceMemory(b *testing.B) {
	cfg := benchConfig(10 * time.Second)
	cfg.KeepTrace = true
	b.ReportAllocs()
	for b.Loop() {
		runSim(b, cfg)
	}
}
