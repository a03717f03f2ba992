package reno

import (
	"context"
	"io"
	"runtime"
	"testing"
	"time"
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

func runBench(b *testing.B, cfg Config) *Result {
	sim, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	res, err := sim.Run(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// BenchmarkSimulatedPackets reports simulated packets (data segments plus
// ACKs) per wall-clock second, single-threaded; the target is 5M/s.
func BenchmarkSimulatedPackets(b *testing.B) {
	cfg := benchConfig(20 * time.Second)
	var pkts int64
	b.ResetTimer()
	for b.Loop() {
		pkts += runBench(b, cfg).Packets
	}
	rate := float64(pkts) / b.Elapsed().Seconds()
	b.ReportMetric(rate, "pkts/s")
	b.ReportMetric(rate/5e6, "x-target-5M")
}

// BenchmarkHundredSecondFlow simulates 100 s of one flow at 100 Mb/s with a
// 50 ms RTT; the target is under 1 s of wall time.
func BenchmarkHundredSecondFlow(b *testing.B) {
	cfg := benchConfig(100 * time.Second)
	var res *Result
	for b.Loop() {
		res = runBench(b, cfg)
	}
	wall := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(wall, "wall-s/run")
	b.ReportMetric(1/wall, "x-faster-than-target")
	b.ReportMetric(float64(res.Packets), "pkts/run")
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
		runBench(b, cfg)
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
		runBench(b, cfg)
	}
}
