package mlcluster

import (
	"errors"
	"net"
)

// ErrClosed is returned (or matched, with errors.Is) by every call on a
// component after its Close: [Client.Submit], [Client.SubmitDataset],
// [Worker.Run] after [Worker.Close], and [Coordinator.Run] after
// [Coordinator.Close].
var ErrClosed = errors.New("mlcluster: closed")

// closedError is what Run returns once its component is closed: it
// matches both [ErrClosed] and net.ErrClosed.
type closedError struct{ who string }

func (e closedError) Error() string { return "mlcluster: " + e.who + " is closed" }

func (e closedError) Is(target error) bool { return target == ErrClosed || target == net.ErrClosed }
