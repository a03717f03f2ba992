package index

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/netlab-go/netlab/pdu"
)

// The texts of the E replies the index rules send.
const (
	MsgDuplicate     = "peer name already registered for this content; choose another"
	MsgNotFound      = "content not found"
	MsgNotRegistered = "peer name not registered for this content"
)

// Rules is the index server's protocol logic as a deterministic core: given a
// decoded request and who sent it, it updates the Registry and returns the
// replies. It does no I/O and keeps no clock: registration order is a counter.
// It is safe for concurrent use; calls are serialised.
//
//	R  (peer, content) new      → A; the registration gets the next Seq
//	R  (peer, content) known    → E MsgDuplicate
//	S  content unknown          → E MsgNotFound
//	S  content known            → S reply with the address of the holder
//	                              used least, most recently registered among
//	                              equals; its use count goes up by one
//	T  (peer, content) known    → A
//	T  (peer, content) unknown  → E MsgNotRegistered
//	O                           → O replies with the distinct content names,
//	                              namesPerReply at a time, the last one short
//	A, E                        → nothing (never answer an answer)
//	anything else               → E "unexpected PDU type 'D' at the index server"
type Rules struct {
	mu            sync.Mutex
	reg           Registry
	namesPerReply int
	seq           uint64
	scratch       []Registration
}

// NewRules returns the rules over reg, answering O with at most namesPerReply
// names per reply PDU (the codec's Limits().MaxNames).
func NewRules(reg Registry, namesPerReply int) (*Rules, error) {
	if reg == nil {
		return nil, errors.New("index: rules: Registry is nil")
	}
	if namesPerReply < 1 {
		return nil, fmt.Errorf("index: rules: namesPerReply %d, want at least 1", namesPerReply)
	}
	return &Rules{reg: reg, namesPerReply: namesPerReply}, nil
}

// Handle applies the rules to req, sent from from, and appends the replies to
// out. A registration whose address is unspecified (0.0.0.0, as C peers often
// send) takes the sender's IP address.
func (r *Rules) Handle(req *pdu.PDU, from netip.AddrPort, out []pdu.PDU) []pdu.PDU {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch req.Type {
	case pdu.Register:
		return r.register(req, from, out)
	case pdu.Search:
		return r.search(req, out)
	case pdu.Deregister:
		return r.deregister(req, out)
	case pdu.List:
		return r.list(out)
	case pdu.Ack, pdu.Error:
		return out
	}
	return append(out, errorPDU(fmt.Sprintf("unexpected PDU type %q at the index server", rune(req.Type))))
}

func errorPDU(text string) pdu.PDU { return pdu.PDU{Type: pdu.Error, Text: text} }

func (r *Rules) register(req *pdu.PDU, from netip.AddrPort, out []pdu.PDU) []pdu.PDU {
	addr := req.Addr
	if addr.Addr().IsUnspecified() || !addr.Addr().IsValid() {
		addr = netip.AddrPortFrom(from.Addr(), addr.Port())
	}
	err := r.reg.Add(Registration{Peer: req.Peer, Content: req.Content, Addr: addr, Seq: r.seq + 1})
	switch {
	case errors.Is(err, ErrDuplicate):
		return append(out, errorPDU(MsgDuplicate))
	case err != nil:
		return append(out, errorPDU(err.Error()))
	}
	r.seq++
	return append(out, pdu.PDU{Type: pdu.Ack, Peer: req.Peer})
}

func (r *Rules) search(req *pdu.PDU, out []pdu.PDU) []pdu.PDU {
	r.scratch = r.reg.Holders(req.Content, r.scratch[:0])
	best, ok := choose(r.scratch)
	if !ok {
		return append(out, errorPDU(MsgNotFound))
	}
	if err := r.reg.Use(best.Peer, best.Content); err != nil {
		return append(out, errorPDU(err.Error()))
	}
	return append(out, pdu.PDU{Type: pdu.Search, Reply: true, Addr: best.Addr})
}

// choose picks the server for an S: the registration used least, and among
// equals the most recently registered.
func choose(regs []Registration) (Registration, bool) {
	if len(regs) == 0 {
		return Registration{}, false
	}
	best := regs[0]
	for _, c := range regs[1:] {
		if c.Uses < best.Uses || (c.Uses == best.Uses && c.Seq > best.Seq) {
			best = c
		}
	}
	return best, true
}

func (r *Rules) deregister(req *pdu.PDU, out []pdu.PDU) []pdu.PDU {
	err := r.reg.Remove(req.Peer, req.Content)
	switch {
	case errors.Is(err, ErrNotRegistered):
		return append(out, errorPDU(MsgNotRegistered))
	case err != nil:
		return append(out, errorPDU(err.Error()))
	}
	return append(out, pdu.PDU{Type: pdu.Ack, Peer: req.Peer})
}

// list answers O: the distinct names, namesPerReply per PDU, ending with a
// PDU that holds fewer (an empty one when the count is a multiple).
func (r *Rules) list(out []pdu.PDU) []pdu.PDU {
	names := r.reg.Contents()
	for {
		n := min(len(names), r.namesPerReply)
		out = append(out, pdu.PDU{Type: pdu.List, Reply: true, Names: names[:n:n]})
		if n < r.namesPerReply {
			return out
		}
		names = names[n:]
	}
}
