//go:build linux

package chat

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

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
//	helper: ok <delivered> <elapsed_ns> <sending_ns> <p50_ns> <p99_ns> <cpu_ns> <senders> <p90_ns> <max_ns> <read_p99_ns>
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
		fmt.Printf("ok %d %d %d %d %d %d %d %d %d %d\n", r.delivered, r.elapsed, r.sending, r.p50, r.p99,
			benchutil.CPUTime().Nanoseconds(), h.senderCount(), r.p90, r.max, r.readP99)
	}
	return 0
}

type c10kResult struct {
	delivered        int64
	elapsed, sending time.Duration
	p50, p90, p99    time.Duration
	max              time.Duration // the bucket of the slowest delivery
	readP99          time.Duration // p99 of the latency until a poller read the line
}

// c10kClients is N raw connections read by a few epoll loops, not by N
// goroutines: the clients share the server's two cores, so they read each
// socket with one recvmsg of up to 64 KiB per readiness event and no
// goroutine switch, and leave the CPU to the server.
//
// A delivery's latency is measured by the kernel, not by the reader: the
// sender stamps each line with the wall clock just before its write, and
// each socket has SO_TIMESTAMPNS, so every recvmsg carries the time at which
// the last segment it read entered the socket, which on loopback is when
// the server's write system call ran. The clients' own scheduling delay is
// therefore left out, and a read that covers several of the server's writes
// charges all their lines the time of the last (an overestimate).
type c10kClients struct {
	fds       []int        // client i's socket, non-blocking, read only by the pollers
	carry     [][]byte     // client i's partial line, between two reads
	pollers   []c10kPoller // each reads the clients i with i%len(pollers) == its index
	delivered atomic.Int64
	hist      latHist // sent until the kernel received it
	readHist  latHist // sent until a poller read it: what the clients' own delays add
	wg        sync.WaitGroup
	stop      [2]int // a pipe: closing stop[1] ends the pollers
	sent      []bool // which clients have sent (controller only)
	pad       string
}

// c10kPoller is one epoll instance and its goroutine.
type c10kPoller struct{ epfd int }

// c10kPollers is how many epoll loops read the clients: one per core.
var c10kPollers = max(1, runtime.GOMAXPROCS(0))

func dialC10K(addr string, n, perAddr int) (*c10kClients, error) {
	h := &c10kClients{fds: make([]int, n), carry: make([][]byte, n), sent: make([]bool, n),
		pollers: make([]c10kPoller, c10kPollers), pad: strings.Repeat("x", 40), stop: [2]int{-1, -1}}
	for i := range h.fds {
		h.fds[i] = -1
	}
	if err := h.startPollers(); err != nil {
		h.close()
		return nil, err
	}
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
				// Polled at once: the clients that log in later are
				// announced to this one.
				errs[w] = h.login(addr, i, perAddr)
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

func (h *c10kClients) startPollers() error {
	if err := syscall.Pipe2(h.stop[:], syscall.O_CLOEXEC); err != nil {
		return fmt.Errorf("pipe: %w", err)
	}
	for p := range h.pollers {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return fmt.Errorf("epoll_create1: %w", err)
		}
		h.pollers[p].epfd = epfd
		ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: -1}
		if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, h.stop[0], &ev); err != nil {
			return fmt.Errorf("epoll_ctl: %w", err)
		}
		h.wg.Add(1)
		go h.poll(p)
	}
	return nil
}

// login connects client i from its source address, logs it in as c<i>,
// and hands its socket to a poller. The connection's descriptor is
// duplicated and the net.Conn closed, so that Go's own poller no longer
// watches the socket (which would wake it for every line).
func (h *c10kClients) login(addr string, i, perAddr int) error {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: c10kSource(i, perAddr)}, Timeout: 30 * time.Second}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		return fmt.Errorf("client %d: %w", i, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
	r := bufio.NewReaderSize(conn, 4096)
	greet, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(greet, "* netlab chat") {
		return fmt.Errorf("client %d: greeting %q: %v", i, greet, err)
	}
	if _, err := fmt.Fprintf(conn, "c%05d\n", i); err != nil {
		return fmt.Errorf("client %d: %w", i, err)
	}
	for { // notices of other clients joining may come first
		welcome, err := r.ReadString('\n')
		if err != nil || strings.HasPrefix(welcome, "!") {
			return fmt.Errorf("client %d: waiting for the welcome: %q: %v", i, welcome, err)
		}
		if strings.HasPrefix(welcome, "* welcome") {
			break
		}
	}
	// What r holds beyond the welcome is join notices, which are not
	// counted; a notice cut in two leaves a tail that is not counted either.
	rc, err := conn.(*net.TCPConn).SyscallConn()
	if err != nil {
		return fmt.Errorf("client %d: %w", i, err)
	}
	fd := -1
	if cerr := rc.Control(func(s uintptr) {
		if fd, err = syscall.Dup(int(s)); err == nil {
			syscall.CloseOnExec(fd)
			err = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TIMESTAMPNS, 1)
		}
	}); cerr != nil || err != nil {
		if fd >= 0 {
			syscall.Close(fd)
		}
		return fmt.Errorf("client %d: %v", i, errors.Join(cerr, err))
	}
	h.fds[i] = fd
	// The event carries the descriptor and the client's number, so that
	// the poller reads nothing that login wrote (epoll_ctl orders the two,
	// but the race detector cannot see that).
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(fd), Pad: int32(i)}
	if err := syscall.EpollCtl(h.pollers[i%len(h.pollers)].epfd, syscall.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return fmt.Errorf("client %d: epoll_ctl: %w", i, err)
	}
	return nil
}

func (h *c10kClients) close() {
	if h.stop[1] >= 0 {
		syscall.Close(h.stop[1]) // every poller sees the pipe's end
	}
	h.wg.Wait()
	for _, p := range h.pollers {
		if p.epfd > 0 {
			syscall.Close(p.epfd)
		}
	}
	for _, fd := range append(h.fds, h.stop[0]) {
		if fd >= 0 {
			syscall.Close(fd)
		}
	}
}

// poll is poller p's loop: one recvmsg per ready socket and event.
func (h *c10kClients) poll(p int) {
	defer h.wg.Done()
	events := make([]syscall.EpollEvent, 256)
	buf := make([]byte, 64<<10)
	oob := make([]byte, syscall.CmsgSpace(16))
	shards := [2]*histShard{&h.hist.shards[p%len(h.hist.shards)], &h.readHist.shards[p%len(h.readHist.shards)]}
	for {
		k, err := syscall.EpollWait(h.pollers[p].epfd, events, -1)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			return
		}
		for _, ev := range events[:k] {
			if ev.Fd < 0 {
				return // stop
			}
			h.receive(p, int(ev.Fd), int(ev.Pad), buf, oob, shards)
		}
	}
}

// receive reads what client i's socket fd holds and records the latency of
// every timestamped line in it.
func (h *c10kClients) receive(p, fd, i int, buf, oob []byte, shards [2]*histShard) {
	n, oobn, _, _, err := syscall.Recvmsg(fd, buf, oob, 0)
	if err == syscall.EAGAIN || err == syscall.EINTR {
		return
	}
	if err != nil || n == 0 { // closed: stop watching it
		_ = syscall.EpollCtl(h.pollers[p].epfd, syscall.EPOLL_CTL_DEL, fd, nil)
		return
	}
	read := time.Now().UnixNano()
	at, ok := rxTime(oob[:oobn])
	if !ok {
		at = read
	}
	times := [2]int64{at, read}
	data := buf[:n]
	var count int64
	if c := h.carry[i]; len(c) > 0 { // the rest of a line cut by the last read
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			h.carry[i] = append(c, data...)
			return
		}
		count += h.record(append(c, data[:j+1]...), times, shards)
		h.carry[i], data = c[:0], data[j+1:]
	}
	for len(data) > 0 {
		j := bytes.IndexByte(data, '\n')
		if j < 0 {
			h.carry[i] = append(h.carry[i], data...)
			break
		}
		count += h.record(data[:j+1], times, shards)
		data = data[j+1:]
	}
	if count > 0 { // one atomic add per read, not per line
		h.delivered.Add(count)
	}
}

// record records the latency of one line "<cNNNNN> t=<ns> ..." or
// "*cNNNNN* t=<ns> ..." received at the wall-clock time at; it returns 1
// for such a line and 0 for anything else (joins, leaves).
func (h *c10kClients) record(line []byte, at [2]int64, shards [2]*histShard) int64 {
	if len(line) < 2 || !(line[0] == '<' || line[0] == '*' && line[1] != ' ') {
		return 0
	}
	k := bytes.Index(line, []byte(" t="))
	if k < 0 {
		return 0
	}
	sent, ok := parseNanos(fieldAt(line[k+3:]))
	if !ok {
		return 0
	}
	shards[0].add(time.Duration(at[0] - sent))
	shards[1].add(time.Duration(at[1] - sent))
	return 1
}

// rxTime returns the SCM_TIMESTAMPNS time in a recvmsg's control data, as
// Unix nanoseconds.
func rxTime(oob []byte) (int64, bool) {
	const hdr = syscall.SizeofCmsghdr
	if len(oob) < hdr+16 {
		return 0, false
	}
	m := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
	if m.Level != syscall.SOL_SOCKET || m.Type != syscall.SCM_TIMESTAMPNS {
		return 0, false
	}
	ts := (*syscall.Timespec)(unsafe.Pointer(&oob[syscall.CmsgLen(0)]))
	return ts.Nano(), true
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

// write sends p on client i's socket. The socket is non-blocking and its
// buffer is far larger than what the benchmark sends at once, so a full
// buffer means the server stopped reading: wait briefly, then give up.
func (h *c10kClients) write(i int, p []byte) error {
	deadline := time.Now().Add(30 * time.Second)
	for len(p) > 0 {
		n, err := syscall.Write(h.fds[i], p)
		switch {
		case err == syscall.EAGAIN && time.Now().Before(deadline):
			time.Sleep(100 * time.Microsecond)
			continue
		case err == syscall.EINTR:
			continue
		case err != nil:
			return fmt.Errorf("client %d: %w", i, err)
		}
		p = p[n:]
	}
	return nil
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
func (h *c10kClients) nextSender(k int) int { return k * c10kStride % len(h.fds) }

var broadcastCount int // broadcasts sent so far, so that senders keep rotating across runs

// broadcast sends m timestamped /all lines and waits until every client has
// received every one.
func (h *c10kClients) broadcast(m, window int, interval time.Duration) (c10kResult, error) {
	n := int64(len(h.fds))
	h.hist.reset()
	h.readHist.reset()
	h.delivered.Store(0)
	line := make([]byte, 0, 128)
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
		// The timestamp is taken just before the write that sends it.
		line = fmt.Appendf(line[:0], "/all t=%d %s\n", time.Now().UnixNano(), h.pad)
		if err := h.write(i, line); err != nil {
			return c10kResult{}, err
		}
	}
	return h.wait(start, int64(m)*n)
}

// private runs rounds in which every client sends one /msg to the next
// client, at most window rounds in flight.
func (h *c10kClients) private(rounds, window int) (c10kResult, error) {
	n := len(h.fds)
	h.hist.reset()
	h.readHist.reset()
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
					buf = fmt.Appendf(buf[:0], "/msg c%05d t=%d %s\n", (i+1)%n, time.Now().UnixNano(), h.pad)
					if errs[s] = h.write(i, buf); errs[s] != nil {
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
		p50: h.hist.quantile(0.50), p90: h.hist.quantile(0.90), p99: h.hist.quantile(0.99),
		max: h.hist.quantile(1), readP99: h.readHist.quantile(0.99)}, nil
}
