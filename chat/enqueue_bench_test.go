package chat

import (
	"fmt"
	"testing"

	"github.com/netlab-go/netlab/internal/benchutil"

	"github.com/stretchr/testify/require"
)

// BenchmarkBroadcastEnqueue measures what the server does for one
// delivery of a /all outside the kernel: the reader's loop that puts the
// line into 10,000 logged-in clients' queues, and a stand-in writer that
// takes each client from the ready list and empties its queue without a
// system call. One op is one broadcast; cpu_ns/delivery is the process's
// CPU time (both goroutines) per recipient, which the machine's load
// disturbs less than wall time.
func BenchmarkBroadcastEnqueue(b *testing.B) {
	const n = 10000
	cfg := DefaultServerConfig()
	cfg.MaxClients = n
	s, err := NewServer(cfg)
	require.NoError(b, err)
	defer s.Close()
	for i := range n {
		c := newClient(s, nil)
		_, err := s.register(c, fmt.Sprintf("u%05d", i))
		require.NoError(b, err)
	}
	done := make(chan struct{})
	go func() { // the stand-in writer
		defer close(done)
		for c := range s.ready {
			c.mu.Lock()
			clear(c.queue)
			c.queue = c.queue[:0]
			c.settle()
			c.mu.Unlock()
		}
	}()
	line := "<u00000> t=1 " + fmt.Sprintf("%040d", 0)
	b.ResetTimer()
	cpu0 := benchutil.CPUTime()
	for range b.N {
		s.broadcast(line, nil)
	}
	close(s.ready)
	<-done
	cpu := benchutil.CPUTime() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*n), "cpu_ns/delivery")
}
