package chat

import (
	"errors"
	"net"
)

// ErrClosed is matched (errors.Is) by every call on a component after its
// Close: [Server.Run] after [Server.Close], [Client.Send] (and All, Msg,
// Who, Quit) after [Client.Close], [UDPPeer.Send], [UDPPeer.Broadcast],
// [UDPPeer.Announce] and [UDPPeer.Run] after [UDPPeer.Close].
var ErrClosed = errors.New("chat: closed")

// closedError is what a call on a closed component returns: it matches
// both [ErrClosed] and net.ErrClosed.
type closedError struct{ what string }

func (e closedError) Error() string { return "chat: " + e.what + " after Close" }

func (e closedError) Is(target error) bool { return target == ErrClosed || target == net.ErrClosed }

// The zero value of an optional field of a config means its default, as in
// net/http: withDefaults fills every such field in from the Default…Config
// function, and validate refuses what remains invalid with an error naming
// the field.

func (c ServerConfig) withDefaults() ServerConfig {
	d := DefaultServerConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&c.MaxClients, d.MaxClients)
	setInt(&c.MaxPerAddr, d.MaxPerAddr)
	setInt(&c.MaxLineBytes, d.MaxLineBytes)
	setInt(&c.QueueLen, d.QueueLen)
	setInt(&c.MaxAnnounce, d.MaxAnnounce)
	setInt(&c.NickAttempts, d.NickAttempts)
	if c.NickTimeout == 0 {
		c.NickTimeout = d.NickTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = d.WriteTimeout
	}
	if c.ShutdownGrace == 0 {
		c.ShutdownGrace = d.ShutdownGrace
	}
	return c
}

func (c PeerConfig) withDefaults() PeerConfig {
	d := DefaultPeerConfig()
	if c.Name == "" {
		c.Name = d.Name
	}
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.MaxDatagram == 0 {
		c.MaxDatagram = d.MaxDatagram
	}
	if c.QueueLen == 0 {
		c.QueueLen = d.QueueLen
	}
	return c
}
