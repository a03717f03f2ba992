package mlcluster

import (
	"errors"

	"github.com/netlab-go/netlab/internal/calls"
)

// ErrClosed is returned (or matched, with errors.Is) by every call on a
// component after its Close: [Client.Submit], [Client.SubmitDataset],
// [Worker.Run] after [Worker.Close], and [Coordinator.Run] after
// [Coordinator.Close].
var ErrClosed = errors.New("mlcluster: closed")

// closedError is what Run returns once its component (who) is closed: it
// matches both [ErrClosed] and net.ErrClosed.
func closedError(who string) error {
	return calls.ClosedError(ErrClosed, "mlcluster: "+who+" is closed")
}
