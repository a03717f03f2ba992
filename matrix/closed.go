package matrix

import (
	"errors"
)

// ErrClosed is returned (or matched, with errors.Is) by every call on a
// component after its Close: [Client.Multiply] and the other client calls,
// and [Coordinator.Run] or [Worker.Run] after [Coordinator.Close] or
// [Worker.Close].
var ErrClosed = errors.New("matrix: closed")

// The zero value of an optional field of a config means its default, as in
// net/http: withDefaults fills in every such field from the Default…Config
// function; what remains invalid (a negative duration, say) is refused by
// validate with an error that names the field.

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxDim == 0 {
		l.MaxDim = d.MaxDim
	}
	if l.MaxElements == 0 {
		l.MaxElements = d.MaxElements
	}
	if l.MaxControl == 0 {
		l.MaxControl = d.MaxControl
	}
	return l
}

func (c RegistryConfig) withDefaults() RegistryConfig {
	d := DefaultRegistryConfig()
	if c.LeaseTTL == 0 {
		c.LeaseTTL = d.LeaseTTL
	}
	if c.MaxLeaseTTL == 0 {
		c.MaxLeaseTTL = max(d.MaxLeaseTTL, c.LeaseTTL)
	}
	if c.HeartbeatTimeout == 0 {
		c.HeartbeatTimeout = d.HeartbeatTimeout
	}
	return c
}

func (c CoordinatorConfig) withDefaults() CoordinatorConfig {
	d := DefaultCoordinatorConfig()
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	c.Registry = c.Registry.withDefaults()
	if c.SweepInterval == 0 {
		c.SweepInterval = d.SweepInterval
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.MaxConns == 0 {
		c.MaxConns = d.MaxConns
	}
	c.Limits = c.Limits.withDefaults()
	return c
}

func (c WorkerConfig) withDefaults() WorkerConfig {
	d := DefaultWorkerConfig(c.Coordinator)
	if c.Addr == "" {
		c.Addr = d.Addr
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = d.HeartbeatInterval
	}
	if c.Cutoff == 0 {
		c.Cutoff = d.Cutoff
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = d.MaxDepth
	}
	if c.AcquireTimeout == 0 {
		c.AcquireTimeout = d.AcquireTimeout
	}
	c.Limits = c.Limits.withDefaults()
	if c.MaxConns == 0 {
		c.MaxConns = d.MaxConns
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	return c
}

func (c ClientConfig) withDefaults() ClientConfig {
	d := DefaultClientConfig(c.Coordinator)
	if c.Holder == "" {
		c.Holder = d.Holder
	}
	if c.MinDistribute == 0 {
		c.MinDistribute = d.MinDistribute
	}
	if c.Cutoff == 0 {
		c.Cutoff = d.Cutoff
	}
	if c.AcquireTimeout == 0 {
		c.AcquireTimeout = d.AcquireTimeout
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = d.DialTimeout
	}
	if c.TaskTimeout == 0 {
		c.TaskTimeout = d.TaskTimeout
	}
	c.Limits = c.Limits.withDefaults()
	return c
}

func (c LocalConfig) withDefaults() LocalConfig {
	d := DefaultLocalConfig()
	if c.Workers == 0 {
		c.Workers = d.Workers
	}
	if c.ReadyWithin == 0 {
		c.ReadyWithin = d.ReadyWithin
	}
	return c
}
