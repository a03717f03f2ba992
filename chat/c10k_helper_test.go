package chat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"math/bits"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/netlab-go/netlab/internal/benchutil"
)

// The C10K clients run in a process of their own (this test binary started
// again with c10kHelperEnv set), for two reasons: 10,000 connections take
// 20,000 file descriptors when both ends live in one process, more than many
// systems allow one process; and apart, the server's CPU time and memory are
// the benchmark process's alone, with nothing of the clients mixed in.
//
// The helper speaks a line protocol on stdin/stdout with the benchmark:
//
//	helper: ready <cpu_ns>                    all clients logged in
//	bench:  all <m> <window> <interval_ns>    m broadcasts (/all)
//	bench:  msg <rounds> <window>             rounds of one /msg per client
//	helper: ok <delivered> <elapsed_ns> <sending_ns> <p50_ns> <p99_ns> <cpu_ns> <senders>
//	bench:  quit                              (or stdin closed) close all and exit
//
// Every line of m broadcasts is sent by another client (client k·7919 mod
// N), and every client receives every broadcast. In a round of private
// messages every client sends one "/msg" to the next client, so every
// client sends and receives. window bounds the broadcasts (or rounds) in
// flight: one more is sent only when all but window of the earlier ones
// have been delivered everywhere. interval_ns, when not 0, paces the
// broadcasts on a fixed schedule instead (an offered load).
const (
	c10kHelperEnv = "NETLAB_CHAT_C10K_HELPER" // "<server addr> <clients> <clients per source address>"
	c10kStride    = 7919                      // a prime: consecutive broadcasts come from far-apart clients
)

// c10kSource is the source address of client i: perAddr clients share each
// of 127.1.0.1, 127.1.0.2, ... (all of 127/8 is loopback on Linux).
func c10kSource(i, perAddr int) net.IP {
	a := i / perAddr
	return net.IPv4(127, 1+byte(a/(250*250)), byte(a/250%250), byte(a%250+1))
}

// c10kHelperMain runs the client side of BenchmarkTCPChatC10K and returns
// the process's exit code.
func c10kHelperMain() int {
	fields := strings.Fields(os.Getenv(c10kHelperEnv))
	fail := func(format string, a ...any) int {
		fmt.Fprintf(os.Stderr, "chat c10k helper: "+format+"\n", a...)
		return 1
	}
	if len(fields) != 3 {
		return fail("%s=%q: want <addr> <clients> <per address>", c10kHelperEnv, os.Getenv(c10kHelperEnv))
	}
	n, err1 := strconv.Atoi(fields[1])
	perAddr, err2 := strconv.Atoi(fields[2])
	if err := errors.Join(err1, err2); err != nil || n < 2 || perAddr < 1 {
		return fail("bad %s=%q", c10kHelperEnv, os.Getenv(c10kHelperEnv))
	}
	if err := raiseNoFile(uint64(n) + 64); err != nil {
		return fail("%v", err)
	}
	h, err := dialC10K(fields[0], n, perAddr)
	if err != nil {
		return fail("%v", err)
	}
	defer h.close()
	fmt.Printf("ready %d\n", benchutil.CPUTime().Nanoseconds())
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		arg := func(i int) int64 {
			if i >= len(f) {
				return 0
			}
			v, _ := strconv.ParseInt(f[i], 10, 64)
			return v
		}
		var r c10kResult
		switch {
		case len(f) == 0:
			continue
		case f[0] == "quit":
			return 0
		case f[0] == "all":
			r, err = h.broadcast(int(arg(1)), int(arg(2)), time.Duration(arg(3)))
		case f[0] == "msg":
			r, err = h.private(int(arg(1)), int(arg(2)))
		default:
			err = fmt.Errorf("unknown command %q", in.Text())
		}
		if err != nil {
			return fail("%v", err)
		}
		fmt.Printf("ok %d %d %d %d %d %d %d\n", r.delivered, r.elapsed, r.sending, r.p50, r.p99,
			benchutil.CPUTime().Nanoseconds(), h.senderCount())
	}
	return 0
}

type c10kResult struct {
	delivered        int64
	elapsed, sending time.Duration
	p50, p99         time.Duration
}

// c10kClients is N raw connections, each with a reader goroutine that
// counts the messages it receives and records their latency. Raw sockets,
// not Client: a reader does one ReadSlice and one clock reading per line,
// so that the clients leave the CPU to the server.
type c10kClients struct {
	conns     []net.Conn
	base      time.Time // timestamps in lines are nanoseconds since base
	delivered atomic.Int64
	hist      latHist
	wg        sync.WaitGroup
	sent      []bool // which clients have sent (controller only)
	pad       string
}

func dialC10K(addr string, n, perAddr int) (*c10kClients, error) {
	h := &c10kClients{conns: make([]net.Conn, n), base: time.Now(), sent: make([]bool, n),
		pad: strings.Repeat("x", 40)}
	next := atomic.Int64{}
	errs := make([]error, 32)
	var wg sync.WaitGroup
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || errs[w] != nil {
					return
				}
				var r *bufio.Reader
				if r, errs[w] = h.login(addr, i, perAddr); errs[w] == nil {
					// Read at once: the clients that log in later are
					// announced to this one.
					h.wg.Add(1)
					go h.read(i, r)
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		h.close()
		return nil, err
	}
	return h, nil
}

// login connects client i from its source address and logs it in as
// c<i>, leaving the connection in h.conns[i].
func (h *c10kClients) login(addr string, i, perAddr int) (*bufio.Reader, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: c10kSource(i, perAddr)}, Timeout: 30 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("client %d: %w", i, err)
	}
	h.conns[i] = conn
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	r := bufio.NewReaderSize(conn, 4096)
	greet, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(greet, "* netlab chat") {
		return nil, fmt.Errorf("client %d: greeting %q: %v", i, greet, err)
	}
	if _, err := fmt.Fprintf(conn, "c%05d\n", i); err != nil {
		return nil, fmt.Errorf("client %d: %w", i, err)
	}
	for { // notices of other clients joining may come first
		welcome, err := r.ReadString('\n')
		if err != nil || strings.HasPrefix(welcome, "!") {
			return nil, fmt.Errorf("client %d: waiting for the welcome: %q: %v", i, welcome, err)
		}
		if strings.HasPrefix(welcome, "* welcome") {
			break
		}
	}
	_ = conn.SetDeadline(time.Time{})
	return r, nil
}

func (h *c10kClients) close() {
	for _, c := range h.conns {
		if c != nil {
			c.Close()
		}
	}
	h.wg.Wait()
}

// read counts the lines "<cNNNNN> t=<ns> ..." and "*cNNNNN* t=<ns> ..."
// and records their latency; everything else (joins, leaves) is ignored.
func (h *c10kClients) read(i int, r *bufio.Reader) {
	defer h.wg.Done()
	shard := &h.hist.shards[i%len(h.hist.shards)]
	var n int64
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				continue
			}
			return
		}
		if len(line) > 1 && (line[0] == '<' || line[0] == '*' && line[1] != ' ') {
			if k := bytes.Index(line, []byte(" t=")); k > 0 {
				if sent, ok := parseNanos(fieldAt(line[k+3:])); ok {
					shard.add(time.Since(h.base) - time.Duration(sent))
					n++
				}
			}
		}
		if n > 0 && r.Buffered() == 0 { // one atomic add per read, not per line
			h.delivered.Add(n)
			n = 0
		}
	}
}

// fieldAt returns b up to its first space or newline.
func fieldAt(b []byte) []byte {
	for j, c := range b {
		if c == ' ' || c == '\n' {
			return b[:j]
		}
	}
	return b
}

func (h *c10kClients) senderCount() int {
	n := 0
	for _, s := range h.sent {
		if s {
			n++
		}
	}
	return n
}

// nextSender is the client that sends broadcast k.
func (h *c10kClients) nextSender(k int) int { return k * c10kStride % len(h.conns) }

var broadcastCount int // broadcasts sent so far, so that senders keep rotating across runs

// broadcast sends m timestamped /all lines and waits until every client has
// received every one.
func (h *c10kClients) broadcast(m, window int, interval time.Duration) (c10kResult, error) {
	n := int64(len(h.conns))
	h.hist.reset()
	h.delivered.Store(0)
	start := time.Now()
	for k := range m {
		if interval > 0 {
			if d := time.Until(start.Add(time.Duration(k) * interval)); d > 0 {
				time.Sleep(d)
			}
		} else {
			for int64(k-window)*n > h.delivered.Load() {
				time.Sleep(20 * time.Microsecond)
			}
		}
		i := h.nextSender(broadcastCount)
		broadcastCount++
		h.sent[i] = true
		if _, err := fmt.Fprintf(h.conns[i], "/all t=%d %s\n", time.Since(h.base).Nanoseconds(), h.pad); err != nil {
			return c10kResult{}, fmt.Errorf("client %d: %w", i, err)
		}
	}
	return h.wait(start, int64(m)*n)
}

// private runs rounds in which every client sends one /msg to the next
// client, at most window rounds in flight.
func (h *c10kClients) private(rounds, window int) (c10kResult, error) {
	n := len(h.conns)
	h.hist.reset()
	h.delivered.Store(0)
	start := time.Now()
	const senders = 4 // writing 10,000 sockets from one goroutine would be the bottleneck
	for k := range rounds {
		for int64(k-window)*int64(n) > h.delivered.Load() {
			time.Sleep(20 * time.Microsecond)
		}
		var wg sync.WaitGroup
		errs := make([]error, senders)
		for s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				buf := make([]byte, 0, 128)
				for i := s; i < n; i += senders {
					buf = fmt.Appendf(buf[:0], "/msg c%05d t=%d %s\n", (i+1)%n, time.Since(h.base).Nanoseconds(), h.pad)
					if _, err := h.conns[i].Write(buf); err != nil {
						errs[s] = fmt.Errorf("client %d: %w", i, err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return c10kResult{}, err
		}
	}
	for i := range h.sent {
		h.sent[i] = true
	}
	return h.wait(start, int64(rounds)*int64(n))
}

// wait waits until want messages have been delivered (or a minute without
// progress) and returns the rate and latencies.
func (h *c10kClients) wait(start time.Time, want int64) (c10kResult, error) {
	sending := time.Since(start)
	last, lastAt := int64(-1), time.Now()
	for {
		got := h.delivered.Load()
		if got >= want {
			break
		}
		if got != last {
			last, lastAt = got, time.Now()
		} else if time.Since(lastAt) > time.Minute {
			return c10kResult{}, fmt.Errorf("%d of %d messages delivered, none for a minute", got, want)
		}
		time.Sleep(100 * time.Microsecond)
	}
	elapsed := time.Since(start)
	return c10kResult{delivered: want, elapsed: elapsed, sending: sending,
		p50: h.hist.quantile(0.50), p99: h.hist.quantile(0.99)}, nil
}

// latHist is a log-linear latency histogram (16 buckets per power of two
// of microseconds, so within 6%), sharded so that the readers of 10,000
// clients on several cores do not all update the same cache lines.
type latHist struct {
	shards [16]histShard
}

type histShard struct {
	b [1024]atomic.Uint64
}

func histBucket(d time.Duration) int {
	us := uint64(max(d, 0) / time.Microsecond)
	if us < 16 {
		return int(us)
	}
	e := bits.Len64(us) // at least 5
	return 16 + (e-5)*16 + int(us>>(e-5)) - 16
}

// histLow is the smallest duration in bucket i.
func histLow(i int) time.Duration {
	if i < 16 {
		return time.Duration(i) * time.Microsecond
	}
	e := (i-16)/16 + 5
	m := uint64((i-16)%16 + 16)
	return time.Duration(m<<(e-5)) * time.Microsecond
}

func (s *histShard) add(d time.Duration) { s.b[histBucket(d)].Add(1) }

func (h *latHist) reset() {
	for i := range h.shards {
		for j := range h.shards[i].b {
			h.shards[i].b[j].Store(0)
		}
	}
}

// quantile returns the middle of the bucket that holds quantile q.
func (h *latHist) quantile(q float64) time.Duration {
	var counts [1024]uint64
	var total uint64
	for i := range h.shards {
		for j := range counts {
			c := h.shards[i].b[j].Load()
			counts[j] += c
			total += c
		}
	}
	if total == 0 {
		return 0
	}
	rank := uint64(q * float64(total-1))
	var seen uint64
	for j, c := range counts {
		if seen+c > rank {
			return (histLow(j) + histLow(j+1)) / 2
		}
		seen += c
	}
	return histLow(len(counts) - 1)
}
