package index

import (
	"cmp"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/netlab-go/netlab/pdu"
)

// The texts of the E replies the index rules send.
const (
	MsgDuplicate     = "peer name already registered for this content; choose another"
	MsgNotFound      = "content not found"
	MsgNotRegistered = "peer name not registered for this content"
	MsgNotOwner      = "registered from another address; only that address can de-register it"
	MsgAddrMismatch  = "the advertised address must be the sender's IP address"
	MsgTooMany       = "too many registrations from this address"
	MsgFull          = "the index is full"
)

// RulesConfig bounds what the [Rules] accept. The zero value of a field means
// its default.
type RulesConfig struct {
	// NamesPerReply is the most content names in one O reply: the codec's
	// Limits().MaxNames. Required.
	NamesPerReply int
	// MaxPerSource caps the registrations from one source IP address.
	// Default [DefaultMaxPerSource].
	MaxPerSource int
	// MaxRegistrations caps the registrations in total. Default
	// [DefaultMaxRegistrations].
	MaxRegistrations int
	// HoldersPerReply is the most holder addresses one S reply names: the
	// chosen holder and up to HoldersPerReply-1 others (Framed's
	// pdu.FramedMaxHolders). Default 1, the lab's single address (Classic).
	HoldersPerReply int
	// AllowOtherAddr lets an R advertise an address whose IP is not the
	// sender's. The default refuses it, so that nobody can point
	// downloaders at a host that did not ask to be listed.
	AllowOtherAddr bool
}

// Defaults of [RulesConfig].
const (
	DefaultMaxPerSource     = 256
	DefaultMaxRegistrations = 1 << 16
)

// Rules is the index server's protocol logic as a deterministic core: given a
// decoded request and who sent it, it updates the [Registry] and returns the
// replies. It does no I/O and keeps no clock: registration order is a counter.
// It is safe for concurrent use; calls are serialised.
//
// The lab protocol has no credentials, so the source address of the
// datagram (IP address and UDP port) is a peer's identity: a registration
// belongs to the address that sent its R, and only that address can
// withdraw it with T. A peer keeps one UDP socket to the index for its
// whole life for that reason (see [Peer]).
//
//	R  (peer, content) new      -> A; the registration gets the next Seq
//	R  resent (same source,     -> A again (the first A was lost)
//	   same address)
//	R  (peer, content) known    -> E MsgDuplicate
//	R  address not the sender's -> E MsgAddrMismatch (unless AllowOtherAddr)
//	R  over a cap               -> E MsgTooMany or MsgFull
//	S  content unknown          -> E MsgNotFound
//	S  content known            -> S reply with the address of the holder
//	                              used least, most recently registered among
//	                              equals; its use count goes up by one; with
//	                              HoldersPerReply > 1 (Framed), the other
//	                              holders' addresses follow, oldest first
//	T  (peer, content) unknown  -> E MsgNotRegistered
//	T  from another source      -> E MsgNotOwner
//	T  from the registering one -> A
//	O  (page start s)           -> one O reply: the first namesPerReply
//	                              distinct names that sort after s
//	A, E                        -> nothing (never answer an answer)
//	anything else               -> E "unexpected PDU type 'D' at the index server"
//
// An S that names two contents is read peer-first (netlab's layout); when
// no one holds the content so read, the first name is tried as the content
// (the content-first layout of other lab clients). Only when both names are
// registered contents does the peer-first reading win unseen.
//
// Every request gets exactly one reply datagram, so the index amplifies no
// request into many (the [Server] adds a per-source byte budget).
type Rules struct {
	mu      sync.Mutex
	reg     Registry
	cfg     RulesConfig
	seq     uint64
	scratch []Registration
	perSrc  map[netip.Addr]int
	total   int
}

// NewRules returns the rules over reg.
func NewRules(reg Registry, cfg RulesConfig) (*Rules, error) {
	if reg == nil {
		return nil, errors.New("index: rules: Registry is nil")
	}
	if cfg.NamesPerReply < 1 {
		return nil, fmt.Errorf("index: RulesConfig.NamesPerReply is %d, want at least 1", cfg.NamesPerReply)
	}
	cfg.MaxPerSource = cmp.Or(cfg.MaxPerSource, DefaultMaxPerSource)
	cfg.MaxRegistrations = cmp.Or(cfg.MaxRegistrations, DefaultMaxRegistrations)
	cfg.HoldersPerReply = cmp.Or(cfg.HoldersPerReply, 1)
	if cfg.MaxPerSource < 0 || cfg.MaxRegistrations < 0 {
		return nil, fmt.Errorf("index: RulesConfig.MaxPerSource %d and MaxRegistrations %d: want at least 1", cfg.MaxPerSource, cfg.MaxRegistrations)
	}
	return &Rules{reg: reg, cfg: cfg, perSrc: make(map[netip.Addr]int)}, nil
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
		return r.deregister(req, from, out)
	case pdu.List:
		return r.list(req.Content, out)
	case pdu.Ack, pdu.Error:
		return out
	}
	return append(out, errorPDU(fmt.Sprintf("unexpected PDU type %q at the index server", rune(req.Type))))
}

func errorPDU(text string) pdu.PDU { return pdu.PDU{Type: pdu.Error, Text: text} }

func (r *Rules) register(req *pdu.PDU, from netip.AddrPort, out []pdu.PDU) []pdu.PDU {
	addr := req.Addr
	src := from.Addr().Unmap()
	if addr.Addr().IsUnspecified() || !addr.Addr().IsValid() {
		addr = netip.AddrPortFrom(src, addr.Port())
	}
	if !r.cfg.AllowOtherAddr && addr.Addr().Unmap() != src {
		return append(out, errorPDU(MsgAddrMismatch))
	}
	r.scratch = r.reg.Holders(req.Content, r.scratch[:0])
	for _, h := range r.scratch {
		if h.Peer != req.Peer {
			continue
		}
		if h.Source == from && h.Addr == addr {
			return append(out, pdu.PDU{Type: pdu.Ack, Peer: req.Peer}) // a resent R
		}
		return append(out, errorPDU(MsgDuplicate))
	}
	switch {
	case r.perSrc[src] >= r.cfg.MaxPerSource:
		return append(out, errorPDU(MsgTooMany))
	case r.total >= r.cfg.MaxRegistrations:
		return append(out, errorPDU(MsgFull))
	}
	err := r.reg.Add(Registration{Peer: req.Peer, Content: req.Content, Addr: addr, Source: from, Seq: r.seq + 1})
	switch {
	case errors.Is(err, ErrDuplicate):
		return append(out, errorPDU(MsgDuplicate))
	case err != nil:
		return append(out, errorPDU(err.Error()))
	}
	r.seq++
	r.perSrc[src]++
	r.total++
	return append(out, pdu.PDU{Type: pdu.Ack, Peer: req.Peer})
}

func (r *Rules) search(req *pdu.PDU, out []pdu.PDU) []pdu.PDU {
	r.scratch = r.reg.Holders(req.Content, r.scratch[:0])
	if len(r.scratch) == 0 && req.Peer != "" {
		r.scratch = r.reg.Holders(req.Peer, r.scratch) // the content-first layout
	}
	best, ok := choose(r.scratch)
	if !ok {
		return append(out, errorPDU(MsgNotFound))
	}
	if err := r.reg.Use(best.Peer, best.Content); err != nil {
		return append(out, errorPDU(err.Error()))
	}
	rep := pdu.PDU{Type: pdu.Search, Reply: true, Addr: best.Addr}
	for _, h := range r.scratch {
		if len(rep.Others)+1 >= r.cfg.HoldersPerReply {
			break
		}
		if h.Addr != best.Addr && !slices.Contains(rep.Others, h.Addr) {
			rep.Others = append(rep.Others, h.Addr)
		}
	}
	return append(out, rep)
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

func (r *Rules) deregister(req *pdu.PDU, from netip.AddrPort, out []pdu.PDU) []pdu.PDU {
	r.scratch = r.reg.Holders(req.Content, r.scratch[:0])
	i := slices.IndexFunc(r.scratch, func(h Registration) bool { return h.Peer == req.Peer })
	if i < 0 {
		return append(out, errorPDU(MsgNotRegistered))
	}
	if r.scratch[i].Source != from {
		return append(out, errorPDU(MsgNotOwner))
	}
	err := r.reg.Remove(req.Peer, req.Content)
	switch {
	case errors.Is(err, ErrNotRegistered):
		return append(out, errorPDU(MsgNotRegistered))
	case err != nil:
		return append(out, errorPDU(err.Error()))
	}
	if src := r.scratch[i].Source.Addr().Unmap(); r.perSrc[src] > 0 {
		r.perSrc[src]--
		if r.perSrc[src] == 0 {
			delete(r.perSrc, src)
		}
		r.total--
	}
	return append(out, pdu.PDU{Type: pdu.Ack, Peer: req.Peer})
}

// list answers O with one page: the first namesPerReply distinct names that
// sort after start. A page with fewer names is the last one.
func (r *Rules) list(start string, out []pdu.PDU) []pdu.PDU {
	names := r.reg.Contents()
	if start != "" {
		i, found := slices.BinarySearch(names, start)
		if found {
			i++
		}
		names = names[i:]
	}
	n := min(len(names), r.cfg.NamesPerReply)
	return append(out, pdu.PDU{Type: pdu.List, Reply: true, Names: names[:n:n]})
}
