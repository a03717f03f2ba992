package chat

import (
	"cmp"
	"errors"

	"github.com/netlab-go/netlab/internal/calls"
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
// net/http: withDefaults fills every such field in from the Default…Config
// function, and validate refuses what remains invalid with an error naming
// the field.

func (c ServerConfig) withDefaults() ServerConfig {
	d := DefaultServerConfig()
	c.Addr = cmp.Or(c.Addr, d.Addr)
	c.MaxClients = cmp.Or(c.MaxClients, d.MaxClients)
	c.MaxPerAddr = cmp.Or(c.MaxPerAddr, d.MaxPerAddr)
	c.MaxLineBytes = cmp.Or(c.MaxLineBytes, d.MaxLineBytes)
	c.QueueLen = cmp.Or(c.QueueLen, d.QueueLen)
	c.MaxAnnounce = cmp.Or(c.MaxAnnounce, d.MaxAnnounce)
	c.NickAttempts = cmp.Or(c.NickAttempts, d.NickAttempts)
	c.NickTimeout = cmp.Or(c.NickTimeout, d.NickTimeout)
	c.IdleTimeout = cmp.Or(c.IdleTimeout, d.IdleTimeout)
	c.WriteTimeout = cmp.Or(c.WriteTimeout, d.WriteTimeout)
	c.ShutdownGrace = cmp.Or(c.ShutdownGrace, d.ShutdownGrace)
	return c
}

func (c PeerConfig) withDefaults() PeerConfig {
	d := DefaultPeerConfig()
	c.Name = cmp.Or(c.Name, d.Name)
	c.Addr = cmp.Or(c.Addr, d.Addr)
	c.MaxDatagram = cmp.Or(c.MaxDatagram, d.MaxDatagram)
	c.QueueLen = cmp.Or(c.QueueLen, d.QueueLen)
	return c
}
