package capture

import (
	"bufio"
	"context"
	"encoding/binary"
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

	"github.com/google/gopacket"
	"github.com/netlab-go/netlab/internal/benchutil"
)

// cpuTime is the process's CPU time (all threads), for the frames per
// CPU-second that a shared machine's wall clock hides.
var cpuTime = benchutil.CPUTime

// benchDir holds the generated captures; TestMain removes it.
var (
	benchDirOnce sync.Once
	benchDir     string
	benchFiles   = map[string]string{}
	benchMu      sync.Mutex
	tsharkRates  = map[string][2]float64{}
)

func removeBenchFiles() {
	if benchDir != "" && os.Getenv(benchDirEnv) == "" {
		os.RemoveAll(benchDir)
	}
}

// benchDirEnv names a folder in which the generated captures are kept from
// one run to the next (the 1 GB ones take a while to write); without it
// they go to a temporary folder removed at the end of the run.
const benchDirEnv = "NETLAB_CAPTURE_BENCH_DIR"

func initBenchDir(b *testing.B) {
	benchDirOnce.Do(func() {
		if d := os.Getenv(benchDirEnv); d != "" {
			if err := os.MkdirAll(d, 0o755); err != nil {
				b.Fatal(err)
			}
			benchDir = d
			return
		}
		d, err := os.MkdirTemp("", "netlab-capture-bench-")
		if err != nil {
			b.Fatal(err)
		}
		benchDir = d
	})
}

// kept reports whether a previous run left capture path in benchDirEnv.
func kept(path string) bool {
	if os.Getenv(benchDirEnv) == "" {
		return false
	}
	st, err := os.Stat(path)
	return err == nil && st.Size() > 0
}

// benchFile generates (once per run) a capture of frames frames with
// payloads up to payload bytes.
func benchFile(b *testing.B, frames, payload int) string {
	return genFile(b, fmt.Sprintf("gen-%d-%d.pcap", frames, payload), func(w io.Writer) error {
		_, err := Generate(w, GenerateConfig{Hosts: 50, Frames: frames, PayloadSize: payload, Seed: 1, Gap: time.Microsecond})
		return err
	})
}

// genFile returns the path of the generated capture called name, written
// by write once per run (or kept from an earlier run, see benchDirEnv).
func genFile(b *testing.B, name string, write func(io.Writer) error) string {
	b.Helper()
	benchMu.Lock()
	defer benchMu.Unlock()
	initBenchDir(b)
	path := filepath.Join(benchDir, name)
	if _, ok := benchFiles[name]; ok || kept(path) {
		return path
	}
	f, err := os.Create(path + ".part")
	if err != nil {
		b.Fatal(err)
	}
	err = write(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(path+".part", path) // whole, or not kept
	}
	if err != nil {
		b.Fatal(err)
	}
	benchFiles[name] = path
	return path
}

func fileSize(b *testing.B, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return st.Size()
}

// tsharkRate times tshark -q -z io,phs on the file (once per run) and
// returns its frames per second on the wall clock and per CPU-second; 0
// when tshark is not installed.
func tsharkRate(b *testing.B, path string, frames int) (wall, cpu float64) {
	benchMu.Lock()
	defer benchMu.Unlock()
	if r, ok := tsharkRates[path]; ok {
		return r[0], r[1]
	}
	bin, err := exec.LookPath("tshark")
	if err != nil {
		tsharkRates[path] = [2]float64{}
		return 0, 0
	}
	start := time.Now()
	cmd := exec.Command(bin, "-n", "-r", path, "-q", "-z", "io,phs")
	if err := cmd.Run(); err != nil {
		b.Logf("tshark: %v", err)
		tsharkRates[path] = [2]float64{}
		return 0, 0
	}
	r := [2]float64{float64(frames) / time.Since(start).Seconds(),
		float64(frames) / (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()}
	tsharkRates[path] = r
	return r[0], r[1]
}

// BenchmarkHistogramAndConversations reads a generated 1,000,000-frame
// capture, builds the protocol hierarchy (the histogram's data) and all
// five conversation tables (the target, in the docs: at least
// 2,000,000 frames/s). With tshark installed it also times tshark -z
// io,phs on the same file.
func BenchmarkHistogramAndConversations(b *testing.B) {
	const frames = 1_000_000
	path := benchFile(b, frames, 200)
	size := fileSize(b, path)
	ts, _ := tsharkRate(b, path, frames)
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
	if ts > 0 {
		b.ReportMetric(ts, "tshark_frames/s")
		b.ReportMetric(rate/ts, "x_tshark")
	}
}

// BenchmarkDecodeOnly measures the decoding path alone on frames in memory:
// it must not allocate.
func BenchmarkDecodeOnly(b *testing.B) {
	path := benchFile(b, 20_000, 200)
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

// BenchmarkPeakMemory1GB generates a capture of about 1 GB and reads it
// with ReadFile, reporting the peak heap held from the OS
// (HeapSys-HeapReleased) and in use, sampled every 20 ms, and the peak
// resident set of the whole process (VmHWM, reset before reading), for a
// 1 GB capture of a few flows and one of 120,000 flows. Memory grows with
// the conversations (Config.MaxConversations per table) and the TCP
// streams being reassembled (Config.MaxStreams), not with the file.
func BenchmarkPeakMemory1GB(b *testing.B) {
	if testing.Short() {
		b.Skip("writes 1 GB files")
	}
	few := benchFile(b, 2_450_000, 1400)
	for _, m := range []struct{ name, path string }{
		{"few-flows", few},
		{"120k-flows", manyFlowsFile(b, 3_300_000, 120_000)},
	} {
		b.Run(m.name, func(b *testing.B) { peakMemory(b, m.path) })
	}
}

func peakMemory(b *testing.B, path string) {
	size := fileSize(b, path)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		debug.FreeOSMemory()                                      // return what generating the file used
		_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) // reset VmHWM (Linux)
		var peakHeld, peakInuse uint64
		sample := func() {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			peakHeld = max(peakHeld, ms.HeapSys-ms.HeapReleased)
			peakInuse = max(peakInuse, ms.HeapInuse)
		}
		// Sample the heap while ReadFile runs, as it runs: with payload
		// dissection and TCP reassembly, the default.
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			tick := time.NewTicker(20 * time.Millisecond)
			defer tick.Stop()
			for {
				sample()
				select {
				case <-tick.C:
				case <-stop:
					return
				}
			}
		}()
		a, _ := New(DefaultConfig())
		err := a.ReadFile(context.Background(), path)
		close(stop)
		<-done
		if err != nil {
			b.Fatal(err)
		}
		sample()
		b.ReportMetric(float64(size)/1e9, "GB_file")
		b.ReportMetric(float64(a.Summary().Frames), "frames")
		b.ReportMetric(float64(len(a.Conversations(ConvTCP))+len(a.Conversations(ConvUDP))), "flows")
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
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb * 1024 // 0 if it does not parse
		}
	}
	return 0
}

// manyFlowsFile writes (once per run) a pcap of frames frames spread at
// random over flows TCP and UDP flows between random addresses of
// 10.0.0.0/8, each host with its own MAC: the mix with about as many
// conversations as frames allow, which is where hash tables and cache
// misses cost. A quarter of the TCP flows carry HTTP requests on port
// 8080, so payload dissection has work to do.
func manyFlowsFile(b *testing.B, frames, flows int) string {
	return genFile(b, fmt.Sprintf("flows-%d-%d.pcap", frames, flows), func(w io.Writer) error {
		return writeManyFlows(w, frames, flows)
	})
}

func writeManyFlows(w io.Writer, frames, flows int) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	hdr := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0}
	bw.Write(hdr)
	type flow struct {
		src, dst   uint32
		sport, dpt uint16
		udp, http  bool
		seq        uint32
	}
	rng := uint64(88172645463325252)
	next := func() uint64 { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng }
	fl := make([]flow, flows)
	for i := range fl {
		r := next()
		fl[i] = flow{src: 0x0a000000 | uint32(r)&0xffffff, dst: 0x0a000000 | uint32(r>>24)&0xffffff,
			sport: uint16(1024 + r>>48%60000), dpt: uint16(1024 + r>>32%60000), udp: r%3 == 0, http: r%4 == 1}
		if fl[i].http && !fl[i].udp {
			fl[i].dpt = 8080
		}
	}
	req := []byte("GET /index.html HTTP/1.1\r\nHost: bench.example\r\nUser-Agent: netlab\r\n\r\n")
	frame := make([]byte, 0, 1600)
	rec := make([]byte, 16)
	for i := 0; i < frames; i++ {
		x := &fl[next()%uint64(flows)]
		payload := 100 + int(next()%400)
		if x.http && !x.udp {
			payload = len(req)
		}
		frame = frame[:0]
		frame = append(frame, 2, 0, byte(x.dst>>16), byte(x.dst>>8), byte(x.dst), 1, 2, 0, byte(x.src>>16), byte(x.src>>8), byte(x.src), 1, 8, 0)
		l4 := 20
		proto := byte(6)
		if x.udp {
			l4, proto = 8, 17
		}
		tot := 20 + l4 + payload
		frame = append(frame, 0x45, 0, byte(tot>>8), byte(tot), 0, 0, 0x40, 0, 64, proto, 0, 0,
			byte(x.src>>24), byte(x.src>>16), byte(x.src>>8), byte(x.src), byte(x.dst>>24), byte(x.dst>>16), byte(x.dst>>8), byte(x.dst))
		frame = append(frame, byte(x.sport>>8), byte(x.sport), byte(x.dpt>>8), byte(x.dpt))
		if x.udp {
			frame = append(frame, byte((8+payload)>>8), byte(8+payload), 0, 0)
		} else {
			s := x.seq
			x.seq += uint32(payload)
			frame = append(frame, byte(s>>24), byte(s>>16), byte(s>>8), byte(s), 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0)
		}
		if x.http && !x.udp {
			frame = append(frame, req...)
		} else {
			for j := 0; j < payload; j++ {
				frame = append(frame, byte(j))
			}
		}
		binary.LittleEndian.PutUint32(rec[0:], uint32(1700000000+i/1000000))
		binary.LittleEndian.PutUint32(rec[4:], uint32(i%1000000))
		binary.LittleEndian.PutUint32(rec[8:], uint32(len(frame)))
		binary.LittleEndian.PutUint32(rec[12:], uint32(len(frame)))
		bw.Write(rec)
		if _, err := bw.Write(frame); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// BenchmarkTrafficMix reads two 1 GB captures, each with and without
// payload dissection and TCP reassembly (Config.NoPayloads), builds the
// protocol hierarchy and the five conversation tables, and reports
// frames/s on the wall clock and per CPU-second (all threads, GC
// included; on a shared machine the wall clock includes waiting for a
// core). Baselines measured in the same run on the same file: a bare read
// (Reader.Next, no decoding), a read and decode without counting, from
// which it reports where a frame's CPU time goes (ns_read, ns_decode,
// ns_count, ns_payloads), gopacket's own decoding loop
// (gopacket.NewPacket, lazy off, every frame), and tshark -z io,phs where
// tshark is installed. A last run locks each of ReadFrom's three stages
// to a thread and reports each one's CPU time per frame (ns_stage_read,
// ns_stage_decode, ns_stage_count) and the frames/s that two idle cores
// would allow with them (2core_bound_frames/s: the stages' work shared
// evenly over the two, but no faster than the slowest stage; the garbage
// collector's own workers not counted). It writes 1 GB files (kept in
// NETLAB_CAPTURE_BENCH_DIR) and takes minutes; -short skips it.
//
//   - few-flows: the generated LAN capture (50 hosts, 2.45M frames of up
//     to 1400 bytes of payload);
//   - 120k-flows: 3.3M frames spread at random over 120,000 TCP and UDP
//     flows between random addresses (about 120k conversations in every
//     table), a quarter of the TCP ones HTTP requests on port 8080.
func BenchmarkTrafficMix(b *testing.B) {
	if testing.Short() {
		b.Skip("writes 1 GB files")
	}
	few := benchFile(b, 2_450_000, 1400)
	mixes := []struct {
		name, path string
		frames     int
	}{
		{"few-flows", few, 2_450_000},
		{"120k-flows", manyFlowsFile(b, 3_300_000, 120_000), 3_300_000},
	}
	for _, m := range mixes {
		b.Run(m.name, func(b *testing.B) {
			ts, tsCPU := tsharkRate(b, m.path, m.frames)
			var raw, dec, gp, on, off benchRate
			for i := 0; i < b.N; i++ {
				raw.add(measure(func() uint64 { return rawRead(b, m.path) }))
				dec.add(measure(func() uint64 { return decodeOnly(b, m.path) }))
				gp.add(measure(func() uint64 { return gopacketLoop(b, m.path) }))
				for _, noPayloads := range []bool{true, false} {
					cfg := DefaultConfig()
					cfg.NoPayloads = noPayloads
					r := measure(func() uint64 { return analyzeFile(b, cfg, m.path) })
					if noPayloads {
						off.add(r)
					} else {
						on.add(r)
					}
				}
			}
			b.ReportMetric(on.wall(), "frames/s")
			b.ReportMetric(on.cpu(), "frames/cpu-s")
			b.ReportMetric(off.wall(), "frames/s_no_payloads")
			b.ReportMetric(off.cpu(), "frames/cpu-s_no_payloads")
			b.ReportMetric(on.cpu()/off.cpu(), "payloads_vs_none_cpu")
			b.ReportMetric(raw.cpu(), "read_only_frames/cpu-s")
			b.ReportMetric(on.cpu()/raw.cpu(), "x_read_only_cpu")
			b.ReportMetric(dec.cpu(), "read_decode_frames/cpu-s")
			// Where a frame's CPU time goes, each step the difference of
			// two of the loops above: reading it, decoding it (with the
			// flow table's lookup), counting it into the tables, and
			// dissecting its payload (with TCP reassembly).
			b.ReportMetric(1e9/raw.cpu(), "ns_read")
			b.ReportMetric(1e9/dec.cpu()-1e9/raw.cpu(), "ns_decode")
			b.ReportMetric(1e9/off.cpu()-1e9/dec.cpu(), "ns_count")
			b.ReportMetric(1e9/on.cpu()-1e9/off.cpu(), "ns_payloads")
			b.ReportMetric(gp.cpu(), "gopacket_frames/cpu-s")
			b.ReportMetric(on.cpu()/gp.cpu(), "x_gopacket_cpu")
			// Each of ReadFrom's three stages on its own thread, in CPU
			// ns per frame (GC assists included, the GC's own workers
			// not), and the frames/s two idle cores would allow: the
			// work shared evenly, but no faster than the slowest stage.
			if st, n := stageCPU(b, m.path); n > 0 {
				per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(n) }
				rd, dc, ct := per(st["read"]), per(st["decode"]), per(st["count"])
				b.ReportMetric(rd, "ns_stage_read")
				b.ReportMetric(dc, "ns_stage_decode")
				b.ReportMetric(ct, "ns_stage_count")
				b.ReportMetric(1e9/max((rd+dc+ct)/2, rd, dc, ct), "2core_bound_frames/s")
			}
			if ts > 0 {
				b.ReportMetric(ts, "tshark_frames/s")
				b.ReportMetric(tsCPU, "tshark_frames/cpu-s")
				b.ReportMetric(on.wall()/ts, "x_tshark")
				b.ReportMetric(on.cpu()/tsCPU, "x_tshark_cpu")
			}
		})
	}
}

// stageCPU reads path with ReadFile, each stage of ReadFrom locked to a
// thread of its own, and returns the CPU time of each stage's thread and
// the frames read; no frames where threads' CPU times are not known.
func stageCPU(b *testing.B, path string) (map[string]time.Duration, uint64) {
	if benchutil.ThreadCPUTime() == 0 {
		return nil, 0
	}
	var mu sync.Mutex
	cpu := map[string]time.Duration{}
	stageTimer = func(stage string) func() {
		runtime.LockOSThread()
		t0 := benchutil.ThreadCPUTime()
		return func() {
			d := benchutil.ThreadCPUTime() - t0
			runtime.UnlockOSThread()
			mu.Lock()
			cpu[stage] += d
			mu.Unlock()
		}
	}
	defer func() { stageTimer = nil }()
	n := analyzeFile(b, DefaultConfig(), path)
	return cpu, n
}

// benchRate adds up frames, wall time and CPU time over runs.
type benchRate struct {
	frames      uint64
	walls, cpus time.Duration
}

func (r *benchRate) add(o benchRate) {
	r.frames += o.frames
	r.walls += o.walls
	r.cpus += o.cpus
}

func (r benchRate) wall() float64 { return float64(r.frames) / r.walls.Seconds() }
func (r benchRate) cpu() float64  { return float64(r.frames) / r.cpus.Seconds() }

// measure runs f, which returns the frames it went through, and times it.
func measure(f func() uint64) benchRate {
	start, cpu0 := time.Now(), cpuTime()
	n := f()
	return benchRate{frames: n, walls: time.Since(start), cpus: cpuTime() - cpu0}
}

// analyzeFile builds the hierarchy and every conversation table of path.
func analyzeFile(b *testing.B, cfg Config, path string) uint64 {
	a, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := a.ReadFile(context.Background(), path); err != nil {
		b.Fatal(err)
	}
	_ = a.Hierarchy().Totals()
	for _, k := range ConvKinds() {
		_ = a.Conversations(k)
	}
	return a.Summary().Frames
}

// rawRead reads every frame of path and does nothing with it: what the
// file costs before any decoding.
func rawRead(b *testing.B, path string) uint64 {
	return eachFrame(b, path, func(Packet) {})
}

// decodeOnly reads every frame of path and decodes it as the Analyzer
// does without payloads (layers, taps, the flow table's lookup), counting
// nothing, on one goroutine.
func decodeOnly(b *testing.B, path string) uint64 {
	d := newFrameDecoder(newFlowTable(DefaultConfig().MaxConversations), nil)
	return eachFrame(b, path, func(p Packet) { d.decode(p.Data, p.LinkType, p.Truncated()) })
}

// gopacketLoop decodes every frame of path with gopacket.NewPacket, the
// way a gopacket program usually does, and touches its network and
// transport flows.
func gopacketLoop(b *testing.B, path string) uint64 {
	return eachFrame(b, path, func(p Packet) {
		pkt := gopacket.NewPacket(p.Data, p.LinkType, gopacket.DecodeOptions{NoCopy: true})
		if nl := pkt.NetworkLayer(); nl != nil {
			_ = nl.NetworkFlow().FastHash()
		}
		if tl := pkt.TransportLayer(); tl != nil {
			_ = tl.TransportFlow().FastHash()
		}
	})
}

// eachFrame calls f with every frame of path and returns how many there
// were.
func eachFrame(b *testing.B, path string, f func(Packet)) uint64 {
	r, err := OpenFile(path, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var n uint64
	for {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		f(p)
		n++
	}
}
