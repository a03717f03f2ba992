package chat

import (
	"errors"

	"github.com/netlab-go/netlab/internal/calls"
	"github.com/netlab-go/netlab/internal/defaults"
)

// ErrClosed is matched (errors.Is) by every call on a component after its
// Close: [Server.Run] after [Server.Close], [Client.Send] (and All, Msg,
// Who, Quit) after [Client.Close], [UDPPeer.Send], [UDPPeer.Broadcast],
// [UDPPeer.Announce] and [UDPPeer.Run] after [UDPPeer.Close].
var ErrClosed = errors.New("chat: closed")

// closedError is what a call (what, as "Server.Run") on a closed component
// returns: it matches both [ErrClosed] and net.ErrClosed.
func closedError(what string) error {
	return calls.ClosedError(ErrClosed, "chat: "+what+" after Close")
}

// The zero value of an optional field of a config means its default, as in
// net/http: withDefaults fills every zero field in from the Default…Config
// function (internal/defaults), and validate refuses what remains invalid
// with an error naming the field.

func (c ServerConfig) withDefaults() ServerConfig {
	return defaults.Fill(c, DefaultServerConfig())
}

func (c PeerConfig) withDefaults() PeerConfig {
	return defaults.Fill(c, DefaultPeerConfig())
}
