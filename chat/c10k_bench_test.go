//go:build linux

package chat

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/benchutil"
	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/stretchr/testify/require"
)

// c10kClientCount is the C10K benchmark's number of concurrent clients.
const c10kClientCount = 10000

// BenchmarkTCPChatC10K runs the chat Server with 10,000 concurrent clients
// on loopback. The clients live in a helper process (this test binary
// started again), connected from 625 source addresses 127.1.x.y, 16 each,
// so that the server's default MaxPerAddr (16) holds; only MaxClients is
// raised above its default of 256. The benchmark raises RLIMIT_NOFILE
// itself when it can and otherwise skips (fails with
// NETLAB_REQUIRE_TOOLS=1), saying how many open files it needs. It needs
// Linux: the clients are read by a few epoll loops, not 10,000 goroutines,
// so that they take as little of the server's CPU as they can, and each
// delivery's latency runs from the wall clock the sender read just before
// its write to the kernel's receive timestamp of the segment that carried
// the line (SO_TIMESTAMPNS), which on loopback is when the server's write
// ran: the clients' own scheduling delays are not in it.
//
// It is slow, about two minutes: logging in 10,000 clients takes seconds,
// every op is 10,000 deliveries, and broadcast_offered_20k sends one op
// every half second whatever -benchtime says. A short run (about 20 s;
// give the saturated run at least 100 ops, more than the 32 it keeps in
// flight):
//
//	go test ./chat -run '^$' -bench 'TCPChatC10K/broadcast_sat' -benchtime 100x
//
// and the run that the package documentation quotes (with
// BenchmarkBroadcastEnqueue, the queues' share of a delivery, in the same
// run):
//
//	go test ./chat -run '^$' -bench 'TCPChatC10K|BroadcastEnqueue' -benchtime 50x
//
// Every sub-benchmark reports deliveries per second (msgs/s), measured
// from the first send until the last delivery was read; p50, p90, p99 and
// the slowest delivery (max_ms), and read_p99_ms, the p99 of the latency
// until a client read the line rather than until the kernel received it
// (the difference is what the load generator's own delays would have
// added); the cores the server process and the
// client process used (benchutil.Cores: on a shared machine, what each
// got) and server_runq_wait/cpu, how long the server's threads waited for a
// core for each second they ran (from /proc/self/task/*/schedstat); the
// server's CPU time per delivered message and per write system
// call, and the lines each write carried; the CPU time of both processes
// per server write over the bare loopback write (cpu_per_write/bare); and
// sweep_floor_ms, the least time in which writes at this run's server CPU
// per write could reach all 10,000 sockets with every core of the machine
// the server's alone. Every line waits for such a sweep, so no latency
// quantile of a broadcast can be below it. The sub-benchmarks:
//
//   - bare_loopback_write: the baseline, in the same run. One op is 10,000
//     plain writes of a 100-byte line to loopback sockets read in the same
//     process; it reports their CPU time per write, both ends included: the
//     least a delivery costs when it needs a system call of its own.
//   - broadcast_saturated: one op is a /all from one client to all 10,000
//     (senders rotate over the clients), 32 broadcasts in flight as fast as
//     they drain: the server's capacity. Its latency is mostly queueing.
//     It also reports the memory the server holds per idle logged-in
//     client (heap and goroutine stacks, from runtime.MemStats before and
//     after the clients connected; the kernel's socket buffers are not in
//     it) and the server's goroutines per client.
//   - broadcast_saturated_w4: the same with 4 broadcasts in flight: still
//     as fast as they drain, but with shallower queues, so fewer lines
//     share a write; rate/capacity compares it with broadcast_saturated.
//   - broadcast_offered_20k, _200k and _500k: the same broadcasts paced at
//     2, 20 and 50 per second, offered loads of 20,000, 200,000 and 500,000
//     deliveries/s; p50 and p99 are the latency at that load, reported
//     beside the capacity and offered/capacity. At 20k the server is
//     mostly idle, and p99 is about the time one broadcast takes to reach
//     all 10,000 sockets.
//   - private_saturated: one op is a round in which every client sends a
//     /msg to the next client (10,000 senders, 10,000 receivers), two rounds
//     in flight: the capacity for messages that each reach one client. It
//     also reports the memory per client once every client is idle again
//     after all the runs (idle_after_B/client).
func BenchmarkTCPChatC10K(b *testing.B) {
	const n, perAddr = c10kClientCount, DefaultMaxPerAddr
	if err := raiseNoFile(n + 256); err != nil {
		testenv.Missing(b, "RLIMIT_NOFILE", err.Error())
	}
	probe, err := net.Listen("tcp", c10kSource(n-1, perAddr).String()+":0")
	if err != nil {
		testenv.Missing(b, "the loopback addresses 127.1.0.1 to "+c10kSource(n-1, perAddr).String(),
			"Linux routes all of 127.0.0.0/8 to lo; elsewhere add them as aliases of the loopback interface ("+err.Error()+")")
	}
	probe.Close()
	srv := startServer(b, func(c *ServerConfig) { c.MaxClients = n + 64 })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	goroutines := runtime.NumGoroutine()

	start := time.Now()
	h := startC10KHelper(b, srv.Addr().String(), n, perAddr)
	require.Eventually(b, func() bool { return srv.Stats().Online == n }, time.Minute, 10*time.Millisecond)
	b.Logf("%d clients logged in from %d addresses in %v", n, (n+perAddr-1)/perAddr, time.Since(start).Round(time.Millisecond))
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	heapBytes := (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / n
	stackBytes := (float64(after.StackInuse) - float64(before.StackInuse)) / n
	perClient := float64(runtime.NumGoroutine()-goroutines) / n

	var bareWrite float64 // CPU ns per loopback write of one line, both ends
	b.Run("bare_loopback_write", func(b *testing.B) {
		bareWrite = bareLoopbackWrites(b)
	})
	var capacity float64
	b.Run("broadcast_saturated", func(b *testing.B) {
		r := h.run(b, srv, fmt.Sprintf("all %d 32 0", b.N))
		r.report(b, bareWrite)
		capacity = r.rate
		b.ReportMetric(heapBytes+stackBytes, "idle_B/client")
		b.ReportMetric(heapBytes, "idle_heap_B/client")
		b.ReportMetric(stackBytes, "idle_stack_B/client")
		b.ReportMetric(perClient, "goroutines/client")
	})
	b.Run("broadcast_saturated_w4", func(b *testing.B) {
		r := h.run(b, srv, fmt.Sprintf("all %d 4 0", b.N))
		r.report(b, bareWrite)
		if capacity > 0 {
			b.ReportMetric(r.rate/capacity, "rate/capacity")
		}
	})
	for _, offered := range []float64{20000, 200000, 500000} { // deliveries per second
		b.Run(fmt.Sprintf("broadcast_offered_%.0fk", offered/1000), func(b *testing.B) {
			interval := time.Duration(float64(time.Second) * n / offered)
			r := h.run(b, srv, fmt.Sprintf("all %d 0 %d", b.N, interval))
			r.report(b, bareWrite)
			// The offered rate as measured (the pacer may fall behind),
			// not the constant it aims at.
			b.ReportMetric(r.offered, "offered_msgs/s")
			b.ReportMetric(r.rate/r.offered, "delivered/offered")
			if capacity > 0 {
				b.ReportMetric(capacity, "capacity_msgs/s")
				b.ReportMetric(r.offered/capacity, "offered/capacity")
			}
		})
	}
	b.Run("private_saturated", func(b *testing.B) {
		r := h.run(b, srv, fmt.Sprintf("msg %d 2", b.N))
		r.report(b, bareWrite)
		b.ReportMetric(float64(r.senders), "senders")
		// The clients are idle again: what each costs now that every
		// queue has carried a burst (queues keep up to 64 slots).
		var now runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&now)
		grown := float64(now.HeapAlloc+now.StackInuse) - float64(before.HeapAlloc+before.StackInuse)
		b.ReportMetric(grown/n, "idle_after_B/client")
	})
}

// c10kHelper is the benchmark's end of the helper process.
type c10kHelper struct {
	cmd     *exec.Cmd
	in      io.WriteCloser
	out     *bufio.Scanner
	lastCPU time.Duration // the helper's CPU time at its last report
}

// startC10KHelper starts the client process and waits until all n clients
// have logged in.
func startC10KHelper(b testing.TB, addr string, n, perAddr int) *c10kHelper {
	exe, err := os.Executable()
	require.NoError(b, err)
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s %d %d", c10kHelperEnv, addr, n, perAddr))
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	require.NoError(b, err)
	out, err := cmd.StdoutPipe()
	require.NoError(b, err)
	require.NoError(b, cmd.Start())
	h := &c10kHelper{cmd: cmd, in: in, out: bufio.NewScanner(out)}
	b.Cleanup(func() {
		_, _ = io.WriteString(in, "quit\n")
		_ = in.Close()
		if err := cmd.Wait(); err != nil {
			b.Errorf("C10K client process: %v", err)
		}
	})
	f := h.reply(b)
	require.Equal(b, "ready", f[0], "the client process's first line")
	h.lastCPU = time.Duration(atoi(b, f[1]))
	return h
}

// reply reads the helper's next line, split into fields.
func (h *c10kHelper) reply(b testing.TB) []string {
	if !h.out.Scan() {
		b.Fatalf("C10K client process ended (%v); its stderr is above", h.out.Err())
	}
	f := strings.Fields(h.out.Text())
	require.NotEmpty(b, f)
	return f
}

func atoi(b testing.TB, s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	require.NoError(b, err)
	return v
}

// c10kRun is what one command measured.
type c10kRun struct {
	rate, offered        float64 // deliveries per second: until the last delivery; until the last send
	p50, p90, p99, max   time.Duration
	readP99              time.Duration // p99 until the client read the line, not until the kernel received it
	serverCPU, helperCPU time.Duration
	serverWait           time.Duration // the server's threads runnable but waiting for a core
	wall                 time.Duration
	delivered            int64
	senders              int
	linesPerWrite        float64 // lines the server's write system calls carried, on average
	writes               int64   // the server's write system calls
}

// run sends one command to the helper and waits for its result.
func (h *c10kHelper) run(b testing.TB, srv *Server, command string) c10kRun {
	before := srv.Stats()
	bench, _ := b.(*testing.B)
	if bench != nil {
		bench.ResetTimer()
	}
	cpu0, wait0 := benchutil.CPUTime(), runQueueWait()
	_, err := fmt.Fprintln(h.in, command)
	require.NoError(b, err)
	f := h.reply(b)
	serverCPU, serverWait := benchutil.CPUTime()-cpu0, runQueueWait()-wait0
	if bench != nil {
		bench.StopTimer()
	}
	require.Equal(b, "ok", f[0], "reply to %q", command)
	require.Len(b, f, 11)
	r := c10kRun{delivered: atoi(b, f[1]), wall: time.Duration(atoi(b, f[2])),
		p50: time.Duration(atoi(b, f[4])), p99: time.Duration(atoi(b, f[5])),
		p90: time.Duration(atoi(b, f[8])), max: time.Duration(atoi(b, f[9])), readP99: time.Duration(atoi(b, f[10])),
		serverCPU: serverCPU, serverWait: serverWait, senders: int(atoi(b, f[7]))}
	helperCPU := time.Duration(atoi(b, f[6]))
	r.helperCPU, h.lastCPU = helperCPU-h.lastCPU, helperCPU
	r.rate = float64(r.delivered) / r.wall.Seconds()
	r.offered = float64(r.delivered) / time.Duration(atoi(b, f[3])).Seconds()
	after := srv.Stats()
	require.Equal(b, before.Slow, after.Slow, "no client was disconnected as slow")
	if w := after.Writes - before.Writes; w > 0 {
		r.writes = int64(w)
		r.linesPerWrite = float64(after.Delivered-before.Delivered) / float64(w)
	}
	return r
}

// bareLoopbackWrites is the baseline for the cost of a write system call:
// b.N times 10,000 writes of a 100-byte line (one op delivers as many lines as
// the other sub-benchmarks' ops), spread over 100 loopback connections
// whose other ends are read and discarded in this process. It reports the
// CPU time per write, both ends included (what the server's write and a
// client's read cost together), and returns it in nanoseconds.
func bareLoopbackWrites(b *testing.B) float64 {
	const conns = 100
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	defer ln.Close()
	var wg sync.WaitGroup
	writers := make([]net.Conn, conns)
	for i := range writers {
		writers[i], err = net.Dial("tcp", ln.Addr().String())
		require.NoError(b, err)
		defer writers[i].Close()
		r, err := ln.Accept()
		require.NoError(b, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.Close()
			_, _ = io.Copy(io.Discard, r)
		}()
	}
	line := append(bytes.Repeat([]byte("x"), 99), '\n')
	b.ResetTimer()
	cpu0, start := benchutil.CPUTime(), time.Now()
	writes := b.N * c10kClientCount
	for i := range writes {
		if _, err := writers[i%conns].Write(line); err != nil {
			b.Fatal(err)
		}
	}
	for _, w := range writers {
		_ = w.(*net.TCPConn).CloseWrite()
	}
	wg.Wait() // every byte read
	cpu, wall := benchutil.CPUTime()-cpu0, time.Since(start)
	b.StopTimer()
	perWrite := float64(cpu.Nanoseconds()) / float64(writes)
	b.ReportMetric(perWrite, "cpu_ns/write")
	b.ReportMetric(benchutil.Cores(cpu, wall), "cores")
	return perWrite
}

func (r c10kRun) report(b *testing.B, bare float64) {
	b.ReportMetric(r.rate, "msgs/s")
	b.ReportMetric(float64(r.p50.Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(r.p90.Microseconds())/1000, "p90_ms")
	b.ReportMetric(float64(r.p99.Microseconds())/1000, "p99_ms")
	b.ReportMetric(float64(r.max.Microseconds())/1000, "max_ms")
	b.ReportMetric(float64(r.readP99.Microseconds())/1000, "read_p99_ms")
	b.ReportMetric(benchutil.Cores(r.serverCPU, r.wall), "server_cores")
	b.ReportMetric(benchutil.Cores(r.helperCPU, r.wall), "client_cores")
	if r.serverCPU > 0 {
		b.ReportMetric(float64(r.serverWait)/float64(r.serverCPU), "server_runq_wait/cpu")
	}
	b.ReportMetric(float64(r.serverCPU.Nanoseconds())/float64(r.delivered), "server_ns/msg")
	b.ReportMetric(r.linesPerWrite, "lines/write")
	if r.writes > 0 {
		// Every line waits for the sweep over all clients' sockets that
		// writes it: at the server's CPU per write in this run, that sweep
		// takes at least this long even with every core of the machine.
		perWrite := float64(r.serverCPU.Nanoseconds()) / float64(r.writes)
		b.ReportMetric(perWrite/1000, "server_us/write")
		b.ReportMetric(c10kClientCount*perWrite/float64(runtime.NumCPU())/1e6, "sweep_floor_ms")
	}
	if r.writes > 0 && bare > 0 {
		// What one of the server's writes costs, both processes together,
		// over the bare loopback write measured in the same run.
		perWrite := float64((r.serverCPU + r.helperCPU).Nanoseconds()) / float64(r.writes)
		b.ReportMetric(perWrite/bare, "cpu_per_write/bare")
	}
}

// runQueueWait is how long this process's threads have waited, in all,
// runnable but without a core (the second field of Linux's
// /proc/self/task/*/schedstat): on a shared machine, the time the server
// had work and no CPU to do it.
func runQueueWait() time.Duration {
	files, _ := filepath.Glob("/proc/self/task/*/schedstat")
	var total time.Duration
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			continue // the thread exited
		}
		if f := strings.Fields(string(b)); len(f) >= 2 {
			ns, _ := strconv.ParseInt(f[1], 10, 64)
			total += time.Duration(ns)
		}
	}
	return total
}
