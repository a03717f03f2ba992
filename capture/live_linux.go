//go:build linux

package capture

import (
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"syscall"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"golang.org/x/sys/unix"

	"github.com/netlab-go/netlab/internal/calls"
)

// Live captures frames from a network interface through an AF_PACKET
// socket (pcapgo's EthernetHandle): no cgo, no libpcap, but root (or
// CAP_NET_RAW) is needed. On the loopback interface every packet shows up
// twice, once going out and once coming in, as with tcpdump -i lo.
//
// Its lifecycle is the one every netlab component has: [OpenLive] opens the
// socket (a zero [LiveConfig] field means its default), [Live.Run] captures
// until its context ends and has released the socket when it returns, and
// [Live.Close] is idempotent and waits for a running Run; after them, Run
// returns an error matching [ErrClosed].
type Live struct {
	cfg    LiveConfig
	handle *pcapgo.EthernetHandle
	writer *pcapgo.Writer

	life calls.Once    // Run begins once; once it has, only Run closes handle
	stop chan struct{} // closed by the first Close (or Run's release)
}

// OpenLive opens the interface now, so that a missing interface or
// permission fails here rather than in Run.
func OpenLive(cfg LiveConfig) (*Live, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	h, err := pcapgo.NewEthernetHandle(cfg.Interface)
	if err != nil {
		return nil, fmt.Errorf("capture: live capture on %s: %w", cfg.Interface, err)
	}
	// Keep whole frames: the handle's default is the interface MTU, which
	// cuts the large segments that offloading hands to the socket.
	if err := h.SetCaptureLength(cfg.SnapLen); err != nil {
		h.Close()
		return nil, fmt.Errorf("capture: LiveConfig.SnapLen: %w", err)
	}
	if cfg.Promiscuous {
		if err := h.SetPromiscuous(true); err != nil {
			h.Close()
			return nil, fmt.Errorf("capture: promiscuous mode on %s: %w", cfg.Interface, err)
		}
	}
	// A receive timeout lets Run notice that its context ended.
	fd := reflect.ValueOf(h).Elem().FieldByName("fd")
	if fd.IsValid() {
		tv := unix.NsecToTimeval(int64(cfg.PollInterval))
		_ = unix.SetsockoptTimeval(int(fd.Int()), unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	}
	l := &Live{cfg: cfg, handle: h, stop: make(chan struct{})}
	if cfg.Output != nil {
		l.writer = pcapgo.NewWriter(cfg.Output)
		if err := l.writer.WriteFileHeader(uint32(cfg.SnapLen), layers.LinkTypeEthernet); err != nil {
			h.Close()
			return nil, fmt.Errorf("capture: writing pcap header: %w", err)
		}
	}
	return l, nil
}

// Run hands every captured frame to fn (and writes it to [LiveConfig.Output]
// when set) until ctx ends or Close is called, then closes the socket and
// returns nil. The Packet's Data is only valid during the call. Run may be
// called once; called again it returns an error at once, and after Close
// (or after an earlier Run returned) an error matching [ErrClosed].
func (l *Live) Run(ctx context.Context, fn func(Packet)) error {
	name := "capture: live capture on " + l.cfg.Interface + ": Run"
	if err := l.life.Begin(closedError(l.cfg.Interface), name); err != nil {
		return err
	}
	defer l.life.End()
	defer l.release()
	for ctx.Err() == nil && !l.stopped() {
		data, ci, err := l.handle.ZeroCopyReadPacketData()
		if err != nil {
			if ctx.Err() != nil || isTimeout(err) {
				continue
			}
			return fmt.Errorf("capture: live capture on %s: %w", l.cfg.Interface, err)
		}
		if ci.Timestamp.IsZero() {
			ci.Timestamp = time.Now()
		}
		if l.writer != nil {
			if err := l.writer.WritePacket(gopacket.CaptureInfo{Timestamp: ci.Timestamp, CaptureLength: len(data), Length: ci.Length}, data); err != nil {
				return fmt.Errorf("capture: writing pcap: %w", err)
			}
		}
		fn(Packet{Data: data, Timestamp: ci.Timestamp, Length: max(ci.Length, len(data)), LinkType: layers.LinkTypeEthernet})
	}
	return nil
}

func (l *Live) stopped() bool {
	select {
	case <-l.stop:
		return true
	default:
		return false
	}
}

// release closes the socket as Run returns and marks the capture closed.
func (l *Live) release() {
	if l.life.Close() {
		close(l.stop)
	}
	l.handle.Close()
}

// isTimeout recognises the receive timeout; pcapgo formats the errno into
// its message, so the text is all there is to go on.
func isTimeout(err error) bool {
	if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EINTR) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, syscall.EAGAIN.Error()) || strings.Contains(msg, syscall.EINTR.Error())
}

// Close releases the socket. Before Run it closes it at once, and a later
// Run returns an error matching [ErrClosed]. During Run it asks Run to stop,
// which Run notices within [LiveConfig.PollInterval] and then closes the
// socket itself (another goroutine must not close a socket Run is
// reading); Close waits for that, so when it returns the socket is
// released. Close must therefore not be called from fn (it would wait for
// itself): end Run's context there instead. Close may be called any number
// of times and always returns nil.
func (l *Live) Close() error {
	if l.life.Close() {
		close(l.stop)
		if !l.life.Began() { // no Run can begin now: the socket is ours
			l.handle.Close()
		}
	}
	l.life.Wait()
	return nil
}

var _ io.Closer = (*Live)(nil)
