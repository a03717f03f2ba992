package matrix

import (
	"fmt"
	"time"

	"gonum.org/v1/gonum/mat"
)

// MsgType is the first byte of every frame.
type MsgType byte

// The message types. Control frames (all but Task and Result) are small and
// bounded by [Limits.MaxControl].
const (
	MsgRegister  MsgType = 'R' // worker → coordinator: add me to the table
	MsgHeartbeat MsgType = 'H' // worker → coordinator: I am alive (answered with OK)
	MsgAcquire   MsgType = 'A' // client → coordinator: lease me N peers
	MsgStatus    MsgType = 'S' // coordinator → client: you are still waiting
	MsgGrant     MsgType = 'G' // coordinator → client: here is your lease
	MsgRelease   MsgType = 'L' // client → coordinator: I am done with the lease
	MsgRenew     MsgType = 'N' // client → coordinator: extend my lease
	MsgDrop      MsgType = 'D' // client → coordinator: this peer of my lease failed
	MsgOK        MsgType = 'K' // any: done
	MsgError     MsgType = 'E' // any: failed, with a reason
	MsgTask      MsgType = 'T' // client → worker: multiply A·B
	MsgResult    MsgType = 'C' // worker → client: the product C
)

// String names the message type, as error messages do.
func (t MsgType) String() string {
	switch t {
	case MsgRegister:
		return "register"
	case MsgHeartbeat:
		return "heartbeat"
	case MsgAcquire:
		return "acquire"
	case MsgStatus:
		return "status"
	case MsgGrant:
		return "grant"
	case MsgRelease:
		return "release"
	case MsgRenew:
		return "renew"
	case MsgDrop:
		return "drop"
	case MsgOK:
		return "ok"
	case MsgError:
		return "error"
	case MsgTask:
		return "task"
	case MsgResult:
		return "result"
	}
	return fmt.Sprintf("type 0x%02x", byte(t))
}

// Message is one decoded frame: a *[RegisterMsg], *[HeartbeatMsg], *[AcquireMsg],
// *[StatusMsg], *[GrantMsg], *[ReleaseMsg], *[RenewMsg], *[DropMsg], *[OKMsg], *[ErrorMsg],
// *[TaskMsg] or *[ResultMsg].
type Message interface {
	Type() MsgType
}

// RegisterMsg adds the worker listening at Addr to the coordinator's table.
type RegisterMsg struct{ Addr string }

// HeartbeatMsg tells the coordinator the registered worker is alive.
type HeartbeatMsg struct{}

// AcquireMsg asks for N peers under a lease of TTL (0: the coordinator's
// default). Holder names the requester in the table.
type AcquireMsg struct {
	N      int
	TTL    time.Duration
	Holder string
}

// StatusMsg reports a waiting request's place in the FIFO queue.
type StatusMsg struct{ Status }

// GrantMsg carries a granted or renewed lease.
type GrantMsg struct{ Lease }

// ReleaseMsg gives a lease's peers back.
type ReleaseMsg struct{ LeaseID uint64 }

// DropMsg tells the coordinator that Peer, a peer of lease LeaseID, failed
// a task (it crashed, answered wrongly or missed its deadline): the peer
// leaves the lease and the table, and is granted again only after it
// registers again.
type DropMsg struct {
	LeaseID uint64
	Peer    string
}

// RenewMsg extends a lease by TTL (0: the coordinator's default) from now.
type RenewMsg struct {
	LeaseID uint64
	TTL     time.Duration
}

// OKMsg acknowledges a request.
type OKMsg struct{}

// ErrorMsg refuses a request; Text says why.
type ErrorMsg struct{ Text string }

// TaskMsg asks a worker for A·B. Depth counts how many times the work has
// already been distributed (1 for a client's task).
type TaskMsg struct {
	ID    uint64
	Depth int
	A, B  *mat.Dense
}

// ResultMsg returns the product of task ID.
type ResultMsg struct {
	ID uint64
	C  *mat.Dense
}

// Type implements [Message].
func (*RegisterMsg) Type() MsgType { return MsgRegister }

// Type implements [Message].
func (*HeartbeatMsg) Type() MsgType { return MsgHeartbeat }

// Type implements [Message].
func (*AcquireMsg) Type() MsgType { return MsgAcquire }

// Type implements [Message].
func (*StatusMsg) Type() MsgType { return MsgStatus }

// Type implements [Message].
func (*GrantMsg) Type() MsgType { return MsgGrant }

// Type implements [Message].
func (*ReleaseMsg) Type() MsgType { return MsgRelease }

// Type implements [Message].
func (*RenewMsg) Type() MsgType { return MsgRenew }

// Type implements [Message].
func (*DropMsg) Type() MsgType { return MsgDrop }

// Type implements [Message].
func (*OKMsg) Type() MsgType { return MsgOK }

// Type implements [Message].
func (*ErrorMsg) Type() MsgType { return MsgError }

// Type implements [Message].
func (*TaskMsg) Type() MsgType { return MsgTask }

// Type implements [Message].
func (*ResultMsg) Type() MsgType { return MsgResult }
