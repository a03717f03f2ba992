//go:build !linux

package capture

import "context"

// Live is a live capture; on this system [OpenLive] always fails.
type Live struct{}

// OpenLive returns [ErrLiveUnsupported]: live capture needs Linux.
func OpenLive(cfg LiveConfig) (*Live, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return nil, ErrLiveUnsupported
}

// Run returns [ErrLiveUnsupported].
func (l *Live) Run(ctx context.Context, fn func(Packet)) error { return ErrLiveUnsupported }

// Close does nothing.
func (l *Live) Close() error { return nil }
