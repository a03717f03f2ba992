package chat

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fanout is a chat server with 1,000 logged-in raw clients on loopback whose
// readers record the delivery latency of timestamped /all messages.
type fanout struct {
	srv       *Server
	conns     []net.Conn
	delivered atomic.Int64
	measuring atomic.Bool
	mu        []sync.Mutex
	lat       [][]time.Duration
}

func newFanout(b *testing.B, clients int) *fanout {
	f := &fanout{
		srv: startServer(b, func(c *ServerConfig) {
			c.MaxClients = clients + 10
			c.MaxPerAddr = clients + 10
			c.QueueLen = 1024
		}),
		conns: make([]net.Conn, clients),
		mu:    make([]sync.Mutex, clients),
		lat:   make([][]time.Duration, clients),
	}
	var wg sync.WaitGroup
	for i := range clients {
		conn, err := net.Dial("tcp", f.srv.Addr().String())
		require.NoError(b, err)
		f.conns[i] = conn
		r := bufio.NewReaderSize(conn, 64<<10)
		_, err = r.ReadString('\n') // greeting
		require.NoError(b, err)
		_, err = fmt.Fprintf(conn, "u%04d\n", i)
		require.NoError(b, err)
		wg.Add(1)
		go func() {
			defer wg.Done()
			f.read(i, r)
		}()
	}
	b.Cleanup(func() {
		for _, c := range f.conns {
			c.Close()
		}
		wg.Wait()
	})
	require.Eventually(b, func() bool { return f.srv.Stats().Online == clients }, 60*time.Second, 10*time.Millisecond)
	return f
}

// read counts "<u0000> t=<unix nanoseconds> ..." lines and their latency.
func (f *fanout) read(i int, r *bufio.Reader) {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		k := bytes.Index(line, []byte("> t="))
		if k < 0 || line[0] != '<' {
			continue
		}
		rest := line[k+4:]
		if sp := bytes.IndexByte(rest, ' '); sp > 0 {
			rest = rest[:sp]
		}
		sent, ok := parseNanos(rest)
		if !ok {
			continue
		}
		if f.measuring.Load() {
			f.mu[i].Lock()
			f.lat[i] = append(f.lat[i], time.Duration(time.Now().UnixNano()-sent))
			f.mu[i].Unlock()
		}
		f.delivered.Add(1)
	}
}

// parseNanos reads decimal digits without allocating: the load generator
// should leave the CPU to the server.
func parseNanos(b []byte) (int64, bool) {
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, len(b) > 0
}

var fanoutPad = bytes.Repeat([]byte("x"), 40)

func (f *fanout) send(b *testing.B) {
	if _, err := fmt.Fprintf(f.conns[0], "/all t=%d %s\n", time.Now().UnixNano(), fanoutPad); err != nil {
		b.Fatal(err)
	}
}

// measure sends b.N broadcasts, each after wait(i) returns, waits for every
// delivery and reports rate and latency against the targets.
func (f *fanout) measure(b *testing.B, wait func(i int)) {
	clients := int64(len(f.conns))
	// One warm-up round so measuring starts from a drained server.
	f.send(b)
	require.Eventually(b, func() bool { return f.delivered.Load() >= clients }, 30*time.Second, time.Millisecond)
	f.delivered.Store(0)
	for i := range f.lat {
		f.mu[i].Lock()
		f.lat[i] = make([]time.Duration, 0, b.N)
		f.mu[i].Unlock()
	}
	f.measuring.Store(true)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		wait(i)
		f.send(b)
	}
	want := int64(b.N) * clients
	deadline := time.Now().Add(60 * time.Second)
	for f.delivered.Load() < want && time.Now().Before(deadline) {
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	f.measuring.Store(false)
	if got := f.delivered.Load(); got < want {
		b.Fatalf("%d of %d messages delivered (slow clients dropped: %d)", got, want, f.srv.Stats().Slow)
	}
	var all []time.Duration
	for i := range f.lat {
		f.mu[i].Lock()
		all = append(all, f.lat[i]...)
		f.mu[i].Unlock()
	}
	slices.Sort(all)
	p := func(q float64) time.Duration { return all[int(q*float64(len(all)-1))] }
	rate := float64(want) / elapsed.Seconds()
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(float64(p(0.50).Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(p(0.99).Microseconds())/1000, "p99_ms")
	b.ReportMetric(rate/200000, "rate/target")
	b.ReportMetric(float64(p(0.99))/float64(50*time.Millisecond), "p99/target")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkTCPFanout measures /all fan-out with 1,000 clients on loopback:
// one client sends timestamped messages and every client (the sender
// included) receives each one. Targets: at least 200,000 delivered messages
// per second with p99 delivery latency at most 50 ms.
//
//   - at_target_rate sends 200 broadcasts per second (200,000 deliveries/s)
//     on a fixed schedule, so its latencies are those at the target load;
//   - saturated keeps 32 broadcasts in flight as fast as they drain, so its
//     rate is the server's capacity (and its latency is mostly queueing:
//     32,000 messages in flight).
func BenchmarkTCPFanout(b *testing.B) {
	const clients = 1000
	f := newFanout(b, clients)
	b.Run("at_target_rate", func(b *testing.B) {
		interval := time.Second * clients / 200000
		start := time.Now()
		f.measure(b, func(i int) {
			if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
				time.Sleep(d)
			}
		})
	})
	b.Run("saturated", func(b *testing.B) {
		const window = 32
		f.measure(b, func(i int) {
			for int64(i-window)*clients > f.delivered.Load() {
				time.Sleep(50 * time.Microsecond)
			}
		})
	})
}

// BenchmarkDiscoveryNamespaceLAN measures how long Discover takes to find
// all five peers of a namespace LAN by broadcast (target: 1 s).
func BenchmarkDiscoveryNamespaceLAN(b *testing.B) {
	const hosts = 5
	l := newLAN(b, hosts)
	l.startPeers(b)
	var worst, total time.Duration
	within := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var res DiscoverResult
		var took time.Duration
		require.NoError(b, l.hosts[0].do(func() error {
			cfg := DefaultDiscoverConfig()
			cfg.Name = "bench"
			cfg.ARP = false // broadcast only, however warm the ARP cache is
			cfg.Wait = 3 * time.Second
			cfg.StopAfter = hosts
			start := time.Now()
			var err error
			res, err = Discover(context.Background(), cfg)
			took = time.Since(start)
			return err
		}))
		require.Len(b, res.Peers, hosts)
		total += took
		worst = max(worst, took)
		if took <= time.Second {
			within++
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/discovery")
	b.ReportMetric(float64(worst.Microseconds())/1000, "worst_ms")
	b.ReportMetric(float64(within)/float64(b.N), "within_1s_frac")
	b.ReportMetric(float64(total)/float64(b.N)/float64(time.Second), "mean/target")
}
