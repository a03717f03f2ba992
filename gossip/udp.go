package gossip

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// UDPConfig configures a [UDPTransport]. A zero Addr, MaxDatagram or
// Buffer means its default, the value in [DefaultUDPConfig].
type UDPConfig struct {
	// Addr is the local host:port to bind; port 0 picks a free port.
	Addr string
	// MaxDatagram is the largest datagram sent or accepted, in bytes. Larger
	// incoming datagrams are dropped and counted; Send refuses larger ones
	// with [ErrTooLarge]. 1400 keeps a datagram inside one Ethernet frame.
	MaxDatagram int
	// Buffer is the receive queue in datagrams; when the consumer is slower,
	// arriving datagrams are dropped and counted.
	Buffer int
	// Broadcast enables sending to broadcast addresses (SO_BROADCAST).
	Broadcast bool
	// Logger receives debug messages; nil is silent.
	Logger *slog.Logger
}

// DefaultUDPConfig binds 127.0.0.1 on a free port with 1400-byte datagrams.
func DefaultUDPConfig() UDPConfig {
	return UDPConfig{Addr: "127.0.0.1:0", MaxDatagram: 1400, Buffer: 1024}
}

// UDPStats counts a [UDPTransport]'s traffic.
type UDPStats struct {
	PacketsSent, BytesSent, PacketsReceived, BytesReceived uint64
	Oversize                                               uint64 // incoming datagrams above MaxDatagram, dropped
	Overflow                                               uint64 // incoming datagrams dropped because the queue was full
}

// UDPTransport is a [Transport] over a UDP socket. The socket is bound by
// [NewUDP], a reader goroutine fills the Packets channel, and Close releases
// both.
type UDPTransport struct {
	cfg    UDPConfig
	conn   *net.UDPConn
	ch     chan Packet
	wg     sync.WaitGroup
	once   sync.Once
	closed atomic.Bool

	sent, sentBytes, recv, recvBytes, oversize, overflow atomic.Uint64
}

var _ Transport = (*UDPTransport)(nil)

// NewUDP binds the socket and starts receiving.
func NewUDP(cfg UDPConfig) (*UDPTransport, error) {
	d := DefaultUDPConfig()
	cfg.Addr = cmp.Or(cfg.Addr, d.Addr)
	cfg.MaxDatagram = cmp.Or(cfg.MaxDatagram, d.MaxDatagram)
	cfg.Buffer = cmp.Or(cfg.Buffer, d.Buffer)
	switch {
	case cfg.MaxDatagram < 1 || cfg.MaxDatagram > 65507:
		return nil, fmt.Errorf("gossip: UDPConfig.MaxDatagram %d not in [1,65507]", cfg.MaxDatagram)
	case cfg.Buffer < 1:
		return nil, fmt.Errorf("gossip: UDPConfig.Buffer %d must be at least 1", cfg.Buffer)
	}
	lc := net.ListenConfig{}
	if cfg.Broadcast {
		lc.Control = func(network, address string, c syscall.RawConn) error {
			var serr error
			if err := c.Control(func(fd uintptr) {
				serr = setBroadcast(fd)
			}); err != nil {
				return err
			}
			return serr
		}
	}
	pc, err := lc.ListenPacket(context.Background(), "udp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("gossip: UDPConfig.Addr %q: %w", cfg.Addr, err)
	}
	t := &UDPTransport{cfg: cfg, conn: pc.(*net.UDPConn), ch: make(chan Packet, cfg.Buffer)}
	t.wg.Add(1)
	go t.readLoop()
	return t, nil
}

// LocalAddr returns the bound host:port.
func (t *UDPTransport) LocalAddr() string { return t.conn.LocalAddr().String() }

// Send writes one datagram to the host:port to.
func (t *UDPTransport) Send(to string, data []byte) error {
	if t.closed.Load() {
		return ErrClosed
	}
	if len(data) > t.cfg.MaxDatagram {
		return fmt.Errorf("%w: %d bytes, limit %d", ErrTooLarge, len(data), t.cfg.MaxDatagram)
	}
	ap, err := netip.ParseAddrPort(to)
	if err != nil {
		ua, rerr := net.ResolveUDPAddr("udp", to)
		if rerr != nil {
			return fmt.Errorf("gossip: send to %q: %w", to, rerr)
		}
		ap = ua.AddrPort()
	}
	if _, err := t.conn.WriteToUDPAddrPort(data, ap); err != nil {
		return fmt.Errorf("gossip: send to %s: %w", to, err)
	}
	t.sent.Add(1)
	t.sentBytes.Add(uint64(len(data)))
	return nil
}

// Packets returns the channel of received datagrams; Close closes it.
func (t *UDPTransport) Packets() <-chan Packet { return t.ch }

// Stats returns the transport's counters.
func (t *UDPTransport) Stats() UDPStats {
	return UDPStats{
		PacketsSent: t.sent.Load(), BytesSent: t.sentBytes.Load(),
		PacketsReceived: t.recv.Load(), BytesReceived: t.recvBytes.Load(),
		Oversize: t.oversize.Load(), Overflow: t.overflow.Load(),
	}
}

// Close closes the socket, waits for the reader goroutine and closes the
// Packets channel. It may be called any number of times; calls after the
// first return nil, and Send after it returns [ErrClosed].
func (t *UDPTransport) Close() error {
	var err error
	t.once.Do(func() {
		t.closed.Store(true)
		err = t.conn.Close()
		t.wg.Wait()
		close(t.ch)
	})
	return err
}

func (t *UDPTransport) readLoop() {
	defer t.wg.Done()
	buf := make([]byte, t.cfg.MaxDatagram+1) // one spare byte detects oversize
	for {
		n, from, err := t.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if t.cfg.Logger != nil {
				t.cfg.Logger.Debug("gossip: udp read", "err", err)
			}
			if t.closed.Load() {
				return
			}
			time.Sleep(time.Millisecond) // transient error: do not spin
			continue
		}
		if n > t.cfg.MaxDatagram {
			t.oversize.Add(1)
			continue
		}
		p := Packet{From: from.String(), Data: append([]byte(nil), buf[:n]...), At: time.Now()}
		select {
		case t.ch <- p:
			t.recv.Add(1)
			t.recvBytes.Add(uint64(n))
		default:
			t.overflow.Add(1)
		}
	}
}
