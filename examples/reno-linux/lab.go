package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"
)

// Lab is two network namespaces, "sender" and "receiver", joined by two TUN
// devices and a userspace forwarder in this process that acts as the
// bottleneck link of package reno: a drop-tail FIFO of Buffer packets served
// at Bandwidth, a fixed one-way delay of RTT/2 each way, and data packets
// lost with probability Loss (ACKs never).
//
//	sender ns                     this process                    receiver ns
//	10.77.0.1 [rlS] --IP--> read, lose p, queue, serialise, delay --> [rlR] 10.77.0.2
//	               <--IP--  read,                           delay <--
//
// TUN devices without a virtio header get packets already cut to the MTU
// (no TSO/GSO super-frames), so the forwarder sees what the wire would.
type Lab struct {
	Bandwidth float64       // bits per second of IP packets
	RTT       time.Duration // two-way propagation delay
	Buffer    int           // packets queued behind the one in service
	Loss      float64       // probability a data packet (TCP payload > 0) is lost
	// Periodic drops exactly one data packet in every 1/Loss instead of
	// flipping a coin for each (reno.LossPeriodic).
	Periodic bool
	Seed     uint64

	nsS, nsR string
	tunS     *os.File
	tunR     *os.File
	stats    labStats
	mu       sync.Mutex
}

type labStats struct {
	dataPackets, lost, overflow, acks int64
}

const (
	addrS = "10.77.0.1"
	addrR = "10.77.0.2"
)

// Available reports why the lab cannot run here, or nil: it needs Linux,
// root, the ip command, /dev/net/tun and the congestion controls asked for.
func Available(ccs []string) error {
	if runtime.GOOS != "linux" {
		return errors.New("needs Linux (network namespaces and TUN devices)")
	}
	if os.Geteuid() != 0 {
		return errors.New("needs root to create network namespaces and TUN devices (run it with sudo)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return errors.New("needs the ip command (Debian package iproute2)")
	}
	if _, err := os.Stat("/dev/net/tun"); err != nil {
		return fmt.Errorf("needs /dev/net/tun: %v", err)
	}
	avail, err := os.ReadFile("/proc/sys/net/ipv4/tcp_available_congestion_control")
	if err != nil {
		return fmt.Errorf("cannot read the kernel's congestion controls: %v", err)
	}
	have := strings.Fields(string(avail))
	for _, cc := range ccs {
		found := false
		for _, h := range have {
			found = found || h == cc
		}
		if !found {
			return fmt.Errorf("the kernel has no %q congestion control (it has %s; try modprobe tcp_%s)", cc, strings.Join(have, ", "), cc)
		}
	}
	return nil
}

func ipcmd(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Open creates the namespaces and devices. Close removes them.
func (l *Lab) Open() (err error) {
	id := fmt.Sprintf("rl%d%d", os.Getpid(), rand.IntN(1000))
	l.nsS, l.nsR = id+"s", id+"r"
	defer func() {
		if err != nil {
			l.Close()
		}
	}()
	for _, ns := range []string{l.nsS, l.nsR} {
		if err := ipcmd("netns", "add", ns); err != nil {
			return err
		}
		if err := ipcmd("-n", ns, "link", "set", "lo", "up"); err != nil {
			return err
		}
		// No cached ssthresh from an earlier connection to the same peer.
		if err := nsSysctl(ns, "net/ipv4/tcp_no_metrics_save", "1"); err != nil {
			return err
		}
	}
	if l.tunS, err = openTun(id+"S", l.nsS, addrS, addrR); err != nil {
		return err
	}
	if l.tunR, err = openTun(id+"R", l.nsR, addrR, addrS); err != nil {
		return err
	}
	return nil
}

// Close removes the namespaces (and with them the devices) and closes the
// device files. It may be called more than once.
func (l *Lab) Close() {
	for _, f := range []*os.File{l.tunS, l.tunR} {
		if f != nil {
			f.Close()
		}
	}
	l.tunS, l.tunR = nil, nil
	for _, ns := range []string{l.nsS, l.nsR} {
		if ns != "" {
			_ = exec.Command("ip", "netns", "del", ns).Run()
		}
	}
	l.nsS, l.nsR = "", ""
}

func nsSysctl(ns, key, value string) error {
	return inNS(ns, func() error {
		return os.WriteFile("/proc/sys/"+key, []byte(value), 0)
	})
}

// openTun creates a TUN device in this namespace, moves it into ns and gives
// it a point-to-point address.
func openTun(name, ns, local, peer string) (*os.File, error) {
	fd, err := syscall.Open("/dev/net/tun", syscall.O_RDWR|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	var ifr [40]byte
	copy(ifr[:16], name)
	binary.NativeEndian.PutUint16(ifr[16:], syscall.IFF_TUN|syscall.IFF_NO_PI)
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TUNSETIFF, uintptr(unsafe.Pointer(&ifr[0]))); e != 0 {
		syscall.Close(fd)
		return nil, fmt.Errorf("TUNSETIFF %s: %v", name, e)
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		syscall.Close(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	for _, args := range [][]string{
		{"link", "set", "dev", name, "netns", ns},
		{"-n", ns, "addr", "add", local, "peer", peer, "dev", name},
		{"-n", ns, "link", "set", "dev", name, "up"},
	} {
		if err := ipcmd(args...); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// inNS runs fn on an OS thread that has entered network namespace ns, so the
// sockets fn opens belong to it. The thread is thrown away afterwards.
func inNS(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		f, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if _, _, e := syscall.RawSyscall(sysSetns(), f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
			errc <- fmt.Errorf("setns %s: %v", ns, e)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

func sysSetns() uintptr {
	switch runtime.GOARCH {
	case "arm64", "riscv64", "loong64":
		return 268
	case "386":
		return 346
	case "arm":
		return 375
	}
	return 308 // amd64
}

// Result is one transfer measured through the lab.
type Result struct {
	Goodput   float64 // bits per second of TCP payload received after the warm-up
	Bytes     int64
	Data      int64 // data packets forwarded or dropped
	Lost      int64 // dropped by the loss coin
	Overflow  int64 // dropped by the full buffer
	Retrans   int64 // retransmitted segments, from TCP_INFO
	MeasuredT time.Duration
}

// Transfer sends bulk data from the sender namespace to the receiver for d
// with congestion control cc, and measures the receiver's goodput after
// warmup.
func (l *Lab) Transfer(ctx context.Context, cc string, d, warmup time.Duration) (Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	l.stats = labStats{}
	var wg sync.WaitGroup
	fwdErr := make(chan error, 2)
	rng := rand.New(rand.NewPCG(l.Seed, l.Seed^0x5bd1e995))
	wg.Add(2)
	go func() { defer wg.Done(); fwdErr <- l.forward(ctx, l.tunS, l.tunR, true, rng) }()
	go func() { defer wg.Done(); fwdErr <- l.forward(ctx, l.tunR, l.tunS, false, nil) }()
	defer func() {
		cancel()
		// Wake the readers: a short deadline makes their Read return.
		l.tunS.SetReadDeadline(time.Now())
		l.tunR.SetReadDeadline(time.Now())
		wg.Wait()
		l.tunS.SetReadDeadline(time.Time{})
		l.tunR.SetReadDeadline(time.Time{})
	}()

	var ln net.Listener
	if err := inNS(l.nsR, func() (err error) {
		ln, err = net.Listen("tcp", addrR+":0")
		return err
	}); err != nil {
		return Result{}, err
	}
	defer ln.Close()
	type recv struct {
		bytes, counted int64
		err            error
	}
	got := make(chan recv, 1)
	start := time.Now()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- recv{err: err}
			return
		}
		defer c.Close()
		buf := make([]byte, 256<<10)
		var r recv
		from, to := start.Add(warmup), start.Add(d)
		for {
			n, err := c.Read(buf)
			r.bytes += int64(n)
			// Only what arrives in the measured window counts: after it
			// the sender's buffer would still drain into the receiver.
			if now := time.Now(); !now.Before(from) && now.Before(to) {
				r.counted += int64(n)
			}
			if err != nil {
				if !errors.Is(err, io.EOF) {
					r.err = err
				}
				break
			}
		}
		got <- r
	}()

	var conn net.Conn
	dialer := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptString(int(fd), syscall.IPPROTO_TCP, syscall.TCP_CONGESTION, cc)
		})
		if err != nil {
			return err
		}
		if serr != nil {
			return fmt.Errorf("TCP_CONGESTION %s: %w", cc, serr)
		}
		return nil
	}}
	if err := inNS(l.nsS, func() (err error) {
		dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
		defer dcancel()
		conn, err = dialer.DialContext(dctx, "tcp", ln.Addr().String())
		return err
	}); err != nil {
		return Result{}, err
	}
	chunk := make([]byte, 64<<10)
	end := start.Add(d)
	var werr error
	for time.Now().Before(end) && ctx.Err() == nil {
		conn.SetWriteDeadline(end)
		if _, werr = conn.Write(chunk); werr != nil {
			break
		}
	}
	measured := d - warmup
	retrans := tcpRetrans(conn)
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // reset: do not drain the send buffer into the receiver
	}
	conn.Close()
	cancelTimer := time.AfterFunc(5*time.Second, func() { ln.Close() })
	defer cancelTimer.Stop()
	var r recv
	select {
	case r = <-got:
	case <-ctx.Done():
		return Result{}, ctx.Err()
	}
	if werr != nil && !errors.Is(werr, os.ErrDeadlineExceeded) {
		return Result{}, fmt.Errorf("send: %w", werr)
	}
	if r.err != nil && !errors.Is(r.err, net.ErrClosed) && !errors.Is(r.err, syscall.ECONNRESET) {
		return Result{}, fmt.Errorf("receive: %w", r.err)
	}
	l.mu.Lock()
	st := l.stats
	l.mu.Unlock()
	return Result{
		Goodput: float64(r.counted) * 8 / measured.Seconds(), Bytes: r.bytes,
		Data: st.dataPackets, Lost: st.lost, Overflow: st.overflow, Retrans: retrans, MeasuredT: measured,
	}, nil
}

// tcpRetrans reads tcpi_total_retrans from TCP_INFO (offset 100 in struct
// tcp_info).
func tcpRetrans(c net.Conn) int64 {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return -1
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return -1
	}
	var info [232]byte
	var n int64 = -1
	_ = rc.Control(func(fd uintptr) {
		l := uint32(len(info))
		_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, fd, syscall.IPPROTO_TCP, syscall.TCP_INFO,
			uintptr(unsafe.Pointer(&info[0])), uintptr(unsafe.Pointer(&l)), 0)
		if e == 0 && l >= 104 {
			n = int64(binary.NativeEndian.Uint32(info[100:]))
		}
	})
	return n
}

// pkt is a packet waiting for its delivery time.
type pkt struct {
	at   time.Time
	data []byte
}

// forward moves packets from in to out: on the data path (lossy) through the
// loss coin and the bottleneck queue, on the ACK path with the delay only.
func (l *Lab) forward(ctx context.Context, in, out *os.File, lossy bool, rng *rand.Rand) error {
	oneWay := l.RTT / 2
	queue := make(chan pkt, 1<<16)
	done := make(chan struct{})
	go func() { // the delay line: deliver each packet at its time, in order
		defer close(done)
		for p := range queue {
			if wait := time.Until(p.at); wait > 0 {
				select {
				case <-time.After(wait):
				case <-ctx.Done():
					return
				}
			}
			out.Write(p.data)
		}
	}()
	defer func() { close(queue); <-done }()
	var busy time.Time      // when the bottleneck finishes its last packet
	var departs []time.Time // departure times of queued packets, FIFO
	buf := make([]byte, 65536)
	var seen int64 // data packets so far, for periodic loss
	for {
		n, err := in.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		now := time.Now()
		data := append([]byte(nil), buf[:n]...)
		if !lossy {
			l.count(func(s *labStats) { s.acks++ })
			queue <- pkt{at: now.Add(oneWay), data: data}
			continue
		}
		if payload(data) > 0 {
			l.count(func(s *labStats) { s.dataPackets++ })
			seen++
			var lose bool
			if l.Periodic {
				n := float64(seen)
				lose = math.Floor(n*l.Loss) > math.Floor((n-1)*l.Loss)
			} else {
				lose = rng.Float64() < l.Loss
			}
			if lose {
				l.count(func(s *labStats) { s.lost++ })
				continue
			}
		}
		for len(departs) > 0 && !departs[0].After(now) {
			departs = departs[1:]
		}
		if len(departs) > l.Buffer {
			l.count(func(s *labStats) { s.overflow++ })
			continue
		}
		start := now
		if busy.After(now) {
			start = busy
		}
		busy = start.Add(time.Duration(float64(n) * 8 / l.Bandwidth * 1e9))
		departs = append(departs, busy)
		queue <- pkt{at: busy.Add(oneWay), data: data}
	}
}

func (l *Lab) count(f func(*labStats)) {
	l.mu.Lock()
	f(&l.stats)
	l.mu.Unlock()
}

// payload returns the TCP payload length of an IPv4 packet, 0 for anything
// else.
func payload(p []byte) int {
	if len(p) < 20 || p[0]>>4 != 4 || p[9] != syscall.IPPROTO_TCP {
		return 0
	}
	ihl := int(p[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(p[2:]))
	if len(p) < ihl+20 || total > len(p) {
		return 0
	}
	doff := int(p[ihl+12]>>4) * 4
	return max(0, total-ihl-doff)
}
