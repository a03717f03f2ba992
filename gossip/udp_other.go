//go:build !unix

package gossip

import "errors"

func setBroadcast(fd uintptr) error {
	return errors.New("gossip: UDPConfig.Broadcast is not supported on this platform")
}
