package capture

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/netlab-go/netlab/internal/calls"
)

// ErrClosed is matched (errors.Is) by what [Live.Run] returns when called
// after [Live.Close] or after an earlier Run has returned; net.ErrClosed
// matches it too.
var ErrClosed = errors.New("capture: closed")

// closedError is what Run returns on a closed capture of iface: it matches
// both [ErrClosed] and net.ErrClosed.
func closedError(iface string) error {
	return calls.ClosedError(ErrClosed, "capture: live capture on "+iface+" is closed")
}

// ErrLiveUnsupported is returned by [OpenLive] where there is no AF_PACKET
// socket (any system but Linux).
var ErrLiveUnsupported = errors.New("capture: live capture needs Linux")

// LiveConfig configures a live capture. Interface is required; a zero
// SnapLen or PollInterval means its default, the value in
// [DefaultLiveConfig].
type LiveConfig struct {
	// Interface is the network interface, such as "eth0" or "lo".
	Interface string
	// SnapLen is how many bytes of each frame to keep; default 262144, so
	// that whole frames are kept even with segmentation offload.
	SnapLen int
	// Promiscuous asks for frames not addressed to this host too.
	Promiscuous bool
	// Output, when set, receives every captured frame as a pcap file.
	Output io.Writer
	// PollInterval is how often Run checks whether its context ended
	// while no frame arrives; default 100ms.
	PollInterval time.Duration
}

// DefaultLiveConfig returns a configuration for an interface with the
// defaults described on [LiveConfig].
func DefaultLiveConfig(iface string) LiveConfig {
	return LiveConfig{Interface: iface, SnapLen: defaultMaxPacket, PollInterval: 100 * time.Millisecond}
}

func (c *LiveConfig) validate() error {
	if c.Interface == "" {
		return errors.New("capture: LiveConfig.Interface is empty")
	}
	if c.SnapLen == 0 {
		c.SnapLen = defaultMaxPacket
	}
	if c.SnapLen < minMaxPacketLimit || c.SnapLen > 1<<20 {
		return fmt.Errorf("capture: LiveConfig.SnapLen %d is outside [%d, %d]", c.SnapLen, minMaxPacketLimit, 1<<20)
	}
	if c.PollInterval == 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	if c.PollInterval < time.Millisecond {
		return fmt.Errorf("capture: LiveConfig.PollInterval %v is below 1ms", c.PollInterval)
	}
	return nil
}
