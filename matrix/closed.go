package matrix

import (
	"errors"

	"github.com/netlab-go/netlab/internal/defaults"
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

func (l Limits) withDefaults() Limits { return defaults.Fill(l, DefaultLimits()) }

func (c RegistryConfig) withDefaults() RegistryConfig {
	d := DefaultRegistryConfig()
	d.MaxLeaseTTL = max(d.MaxLeaseTTL, c.LeaseTTL) // a longer lease raises the maximum
	return defaults.Fill(c, d)
}

func (c CoordinatorConfig) withDefaults() CoordinatorConfig {
	out := defaults.Fill(c, DefaultCoordinatorConfig())
	out.Registry, out.Limits = c.Registry.withDefaults(), c.Limits.withDefaults()
	return out
}

func (c WorkerConfig) withDefaults() WorkerConfig {
	out := defaults.Fill(c, DefaultWorkerConfig(c.Coordinator))
	out.Limits = c.Limits.withDefaults()
	return out
}

func (c ClientConfig) withDefaults() ClientConfig {
	out := defaults.Fill(c, DefaultClientConfig(c.Coordinator))
	out.Limits = c.Limits.withDefaults()
	return out
}

// withDefaults leaves Coordinator and Worker as they are: StartLocal fills
// in the worker's coordinator, and each component its own defaults.
func (c LocalConfig) withDefaults() LocalConfig {
	d := DefaultLocalConfig()
	d.Coordinator, d.Worker = CoordinatorConfig{}, WorkerConfig{}
	return defaults.Fill(c, d)
}
