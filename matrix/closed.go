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

// orDefault sets *field to def when it holds its zero value.
func orDefault[T comparable](field *T, def T) {
	var zero T
	if *field == zero {
		*field = def
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	orDefault(&l.MaxDim, d.MaxDim)
	orDefault(&l.MaxElements, d.MaxElements)
	orDefault(&l.MaxControl, d.MaxControl)
	return l
}

func (c RegistryConfig) withDefaults() RegistryConfig {
	d := DefaultRegistryConfig()
	orDefault(&c.LeaseTTL, d.LeaseTTL)
	if c.MaxLeaseTTL == 0 {
		c.MaxLeaseTTL = max(d.MaxLeaseTTL, c.LeaseTTL)
	}
	orDefault(&c.HeartbeatTimeout, d.HeartbeatTimeout)
	return c
}

func (c CoordinatorConfig) withDefaults() CoordinatorConfig {
	d := DefaultCoordinatorConfig()
	orDefault(&c.Addr, d.Addr)
	c.Registry = c.Registry.withDefaults()
	orDefault(&c.SweepInterval, d.SweepInterval)
	orDefault(&c.IdleTimeout, d.IdleTimeout)
	orDefault(&c.MaxConns, d.MaxConns)
	c.Limits = c.Limits.withDefaults()
	return c
}

func (c WorkerConfig) withDefaults() WorkerConfig {
	d := DefaultWorkerConfig(c.Coordinator)
	orDefault(&c.Addr, d.Addr)
	orDefault(&c.HeartbeatInterval, d.HeartbeatInterval)
	orDefault(&c.Cutoff, d.Cutoff)
	orDefault(&c.MaxDepth, d.MaxDepth)
	orDefault(&c.AcquireTimeout, d.AcquireTimeout)
	c.Limits = c.Limits.withDefaults()
	orDefault(&c.MaxConns, d.MaxConns)
	orDefault(&c.IdleTimeout, d.IdleTimeout)
	return c
}

func (c ClientConfig) withDefaults() ClientConfig {
	d := DefaultClientConfig(c.Coordinator)
	orDefault(&c.Holder, d.Holder)
	orDefault(&c.MinDistribute, d.MinDistribute)
	orDefault(&c.Cutoff, d.Cutoff)
	orDefault(&c.AcquireTimeout, d.AcquireTimeout)
	orDefault(&c.DialTimeout, d.DialTimeout)
	orDefault(&c.TaskTimeout, d.TaskTimeout)
	c.Limits = c.Limits.withDefaults()
	return c
}

func (c LocalConfig) withDefaults() LocalConfig {
	d := DefaultLocalConfig()
	orDefault(&c.Workers, d.Workers)
	orDefault(&c.ReadyWithin, d.ReadyWithin)
	return c
}
