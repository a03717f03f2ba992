package capture

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchDir holds the generated captures; TestMain removes it.
var (
	benchDirOnce sync.Once
	benchDir     string
	benchFiles   = map[string]string{}
	benchMu      sync.Mutex
	tsharkRates  = map[string]float64{}
)

func removeBenchFiles() {
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
}

// benchFile generates (once per run) a capture of frames frames with
// payloads up to payload bytes, in a temporary folder.
func benchFile(b *testing.B, frames, payload int) (string, GenerateStats) {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	benchDirOnce.Do(func() {
		d, err := os.MkdirTemp("", "netlab-capture-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = d
	})
	name := fmt.Sprintf("gen-%d-%d.pcap", frames, payload)
	path := filepath.Join(benchDir, name)
	if _, ok := benchFiles[name]; ok {
		return path, GenerateStats{}
	}
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	st, err := Generate(f, GenerateConfig{Hosts: 50, Frames: frames, PayloadSize: payload, Seed: 1, Gap: time.Microsecond})
	if err == nil {
		err = f.Close()
	}
	if err != nil {
		b.Fatal(err)
	}
	benchFiles[name] = path
	return path, st
}

func fileSize(b *testing.B, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}

// tsharkRate times tshark -q -z io,phs on the file (once per run); 0 when
// tshark is not installed.
func tsharkRate(b *testing.B, path string, frames int) float64 {
	benchMu.Lock()
	defer benchMu.Unlock()
	if r, ok := tsharkRates[path]; ok {
		return r
	}
	bin, err := exec.LookPath("tshark")
	if err != nil {
		tsharkRates[path] = 0
		return 0
	}
	start := time.Now()
	if err := exec.Command(bin, "-n", "-r", path, "-q", "-z", "io,phs").Run(); err != nil {
		b.Logf("tshark: %v", err)
		tsharkRates[path] = 0
		return 0
	}
	r := float64(frames) / time.Since(start).Seconds()
	tsharkRates[path] = r
	return r
}

// BenchmarkHistogramAndConversations reads a generated 1,000,000-frame
// capture, builds the protocol hierarchy (the histogram's data) and all
// five conversation tables. Target: at least 2,000,000 frames/s. With
// tshark installed it also times tshark -z io,phs on the same file.
func BenchmarkHistogramAndConversations(b *testing.B) {
	const frames = 1_000_000
	path, _ := benchFile(b, frames, 200)
	size := fileSize(b, path)
	ts := tsharkRate(b, path, frames)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	cpu0 := cpuTime()
	var wire uint64
	for i := 0; i < b.N; i++ {
		a, err := New(DefaultConfig())
		if err != nil {
			b.Fatal(err)
		}
		if err := a.ReadFile(context.Background(), path); err != nil {
			b.Fatal(err)
		}
		if got := a.Summary().Frames; got != frames {
			b.Fatalf("read %d frames, want %d", got, frames)
		}
		wire = a.Summary().Bytes
		_ = a.Hierarchy().Totals()
		for _, k := range ConvKinds() {
			_ = a.Conversations(k)
		}
	}
	secs := time.Since(start).Seconds()
	cpu := (cpuTime() - cpu0).Seconds()
	rate := float64(frames) * float64(b.N) / secs
	// On a shared machine wall time includes waiting for a core; the
	// frames per CPU-second (all threads, GC included) show the cost.
	if cpu > 0 {
		b.ReportMetric(float64(frames)*float64(b.N)/cpu, "frames/cpu-s")
	}
	b.ReportMetric(rate, "frames/s")
	b.ReportMetric(float64(wire)*float64(b.N)/secs, "wirebytes/s")
	b.ReportMetric(float64(size)*float64(b.N)/secs, "filebytes/s")
	b.ReportMetric(rate/2_000_000, "x_target")
	if ts > 0 {
		b.ReportMetric(ts, "tshark_frames/s")
		b.ReportMetric(rate/ts, "x_tshark")
	}
}

// BenchmarkDecodeOnly measures the decoding path alone on frames in memory:
// it must not allocate.
func BenchmarkDecodeOnly(b *testing.B) {
	path, _ := benchFile(b, 20_000, 200)
	r, err := OpenFile(path, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var pkts []Packet
	for {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		p.Data = append([]byte(nil), p.Data...)
		pkts = append(pkts, p)
	}
	a, _ := New(DefaultConfig())
	for _, p := range pkts {
		a.Add(p) // warm up: conversations exist, buffers have grown
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.Add(pkts[i%len(pkts)])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}

// BenchmarkPeakMemory1GB generates a capture of about 1 GB and reads it,
// reporting the peak heap held from the OS (HeapSys-HeapReleased) and in
// use, sampled every 65536 frames, and the peak resident set of the whole
// process (VmHWM, reset before reading). Target: at most 50 MB.
func BenchmarkPeakMemory1GB(b *testing.B) {
	if testing.Short() {
		b.Skip("writes a 1 GB file")
	}
	path, _ := benchFile(b, 2_450_000, 1400)
	size := fileSize(b, path)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		debug.FreeOSMemory()                                      // return what generating the file used
		_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // reset VmHWM (Linux)
		var ms runtime.MemStats
		var peakHeld, peakInuse uint64
		sample := func() {
			runtime.ReadMemStats(&ms)
			peakHeld = max(peakHeld, ms.HeapSys-ms.HeapReleased)
			peakInuse = max(peakInuse, ms.HeapInuse)
		}
		sample()
		a, _ := New(DefaultConfig())
		r, err := OpenFile(path, 0)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for {
			p, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			a.Add(p)
			if n++; n%65536 == 0 {
				sample()
			}
		}
		r.Close()
		sample()
		b.ReportMetric(float64(size)/1e9, "GB_file")
		b.ReportMetric(float64(n), "frames")
		b.ReportMetric(float64(peakHeld)/1e6, "peak_heap_held_MB")
		b.ReportMetric(float64(peakInuse)/1e6, "peak_heap_inuse_MB")
		if hwm := vmHWM(); hwm > 0 {
			b.ReportMetric(hwm/1e6, "peak_rss_MB")
		}
	}
}

// vmHWM reads the peak resident set size from /proc/self/status, in bytes.
func vmHWM() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}
