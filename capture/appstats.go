package capture

import (
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// factKind says what an appFact describes.
type factKind uint8

const (
	factHTTPReq factKind = iota + 1
	factHTTPResp
	factHTTPOther
	factDNS
	factTLSHello
)

// appFact is what the HTTP, DNS and TLS statistics need of one message.
type appFact struct {
	kind   factKind
	v6     bool
	server [16]byte // HTTP: the server's address
	method string
	uri    string // HTTP request target; TLS: the ALPN protocols
	host   string // HTTP Host header; TLS: the server name (SNI)
	status int
	reason string
	dns    dnsFact
}

type dnsFact struct {
	qr, hasQ       bool
	opcode, rcode  uint8
	qtype, qclass  uint16
	qname          string
	id             uint16
	src, dst       [16]byte // the addresses and ports the message went between
	sport, dport   uint16
	qd, an, ns, ar uint16
	size           int
	v6             bool
}

// appStats counts the application messages into tshark's stats trees.
type appStats struct {
	httpPackets  StatTree                  // -z http,tree
	httpRequests StatTree                  // -z http_req,tree
	httpServers  StatTree                  // -z http_srv,tree
	dns          StatTree                  // -z dns,tree
	dnsNames     StatTree                  // netlab's: DNS queries by name and response code
	tls          StatTree                  // netlab's: TLS ClientHellos by server name and ALPN
	pending      map[dnsKey]dnsTransaction // IPv6 transactions
	pending4     dnsTable4                 // IPv4 transactions, nearly all
	servers      map[addrKey]*httpServer   // HTTP servers, up to maxServers of them
	dnsRow       dnsRows
}

// dnsRows are the rows of -z dns,tree that every DNS message counts in,
// found once rather than by name on every message.
type dnsRows struct {
	tot, rcode, opcodes, qr, qtype, class        *StatNode
	payload, qnameLen                            *StatNode
	levels                                       [5]*StatNode // by number of labels: 1, 2, 3, 4 or more
	questions, authorities, answers, additionals *StatNode
	rrt, unsolicited, retransmissions            *StatNode
	names                                        *StatNode
}

type dnsKey struct {
	client, server [16]byte
	cport, sport   uint16
	id             uint16
}

type dnsTransaction struct {
	query    int64 // when the first query was seen
	answered bool
}

func newAppStats() *appStats {
	s := &appStats{pending: map[dnsKey]dnsTransaction{}, servers: map[addrKey]*httpServer{}}
	s.httpPackets.Title = "HTTP/Packet Counter"
	s.httpRequests.Title = "HTTP/Requests"
	s.httpServers.Title = "HTTP/Load Distribution"
	s.dns.Title = "DNS"
	s.dnsNames.Title = "DNS/Queries by name (netlab)"
	s.tls.Title = "TLS/ClientHello by server name (netlab)"
	return s
}

func (s *appStats) httpRoots() {
	if len(s.httpPackets.Roots) == 0 {
		tot := s.httpPackets.root("Total HTTP Packets").fixed("Other HTTP Packets", "HTTP Response Packets", "HTTP Request Packets")
		resp := tot.child("HTTP Response Packets")
		resp.fixed("???: broken", "5xx: Server Error", "4xx: Client Error", "3xx: Redirection", "2xx: Success", "1xx: Informational")
		s.httpRequests.root("HTTP Requests by HTTP Host")
		s.httpServers.root("HTTP Requests by Server").fixed("HTTP Requests by Server Address", "HTTP Requests by HTTP Host")
		s.httpServers.root("HTTP Responses by Server Address")
	}
}

func (s *appStats) dnsRoots() *StatNode {
	if s.dnsRow.tot == nil {
		s.dns.root("Total Packets").fixed("rcode", "opcodes", "Query/Response", "Query Type", "Class")
		s.dns.root("Payload size")
		qs := s.dns.root("Query Stats").fixed("Qname Len", "Label Stats")
		qs.child("Label Stats").fixed("4th Level or more", "3rd Level", "2nd Level", "1st Level")
		s.dns.root("Response Stats").fixed("no. of questions", "no. of authorities", "no. of answers", "no. of additionals")
		svc := s.dns.root("Service Stats").fixed("request-response time (msec)", "no. of unsolicited responses", "no. of retransmissions")
		svc.child("request-response time (msec)").floats = true
		s.dnsNames.root("Queries by name")
		tot, rs := s.dns.root("Total Packets"), s.dns.root("Response Stats")
		ls := qs.child("Label Stats")
		s.dnsRow = dnsRows{tot: tot, rcode: tot.child("rcode"), qr: tot.child("Query/Response"), opcodes: tot.child("opcodes"), qtype: tot.child("Query Type"),
			class: tot.child("Class"), payload: s.dns.root("Payload size"), qnameLen: qs.child("Qname Len"),
			levels:    [5]*StatNode{nil, ls.child("1st Level"), ls.child("2nd Level"), ls.child("3rd Level"), ls.child("4th Level or more")},
			questions: rs.child("no. of questions"), authorities: rs.child("no. of authorities"), answers: rs.child("no. of answers"),
			additionals: rs.child("no. of additionals"), rrt: svc.child("request-response time (msec)"),
			unsolicited: svc.child("no. of unsolicited responses"), retransmissions: svc.child("no. of retransmissions"),
			names: s.dnsNames.root("Queries by name")}
	}
	return s.dnsRow.tot
}

// setBase sets the capture's first frame, from which bursts are timed.
func (s *appStats) setBase(base int64) {
	for _, t := range []*StatTree{&s.httpPackets, &s.httpRequests, &s.httpServers, &s.dns, &s.dnsNames, &s.tls} {
		t.base = base
	}
}

// add counts fact f of a frame at ts; flow is the frame's TCP or UDP
// conversation (nil: none), which keeps its HTTP server (serverOf).
func (s *appStats) add(f *appFact, ts int64, flow *convEntry) {
	switch f.kind {
	case factHTTPReq, factHTTPResp, factHTTPOther:
		s.httpRoots()
		s.httpRequests.tickTime(ts) // its rates are over every HTTP message, as in tshark
		s.httpServers.tickTime(ts)
		tot := s.httpPackets.Roots[0].tick(&s.httpPackets, ts)
		switch f.kind {
		case factHTTPReq:
			tot.child("HTTP Request Packets").tick(&s.httpPackets, ts).child(f.method).tick(&s.httpPackets, ts)
			sv := s.serverOf(f, flow)
			host := f.host
			if host == "" {
				host = sv.addr
			}
			s.httpRequests.Roots[0].tick(&s.httpRequests, ts).child(host).tick(&s.httpRequests, ts).child(f.uri).tick(&s.httpRequests, ts)
			// The rows of one server among thousands are found once and
			// kept with it (the same child calls, in the same order, when
			// they are not known yet), not looked up by name every time.
			srv := &s.httpServers
			byServer := srv.Roots[0].tick(srv, ts)
			byAddr := byServer.child("HTTP Requests by Server Address").tick(srv, ts)
			if sv.byAddr == nil {
				sv.byAddr = byAddr.child(sv.addr)
			}
			sv.byAddr.tick(srv, ts)
			if sv.addrHost == nil || sv.host != host {
				sv.host, sv.addrHost, sv.hostAddr = host, sv.byAddr.child(host), nil
			}
			sv.addrHost.tick(srv, ts)
			byHost := byServer.child("HTTP Requests by HTTP Host").tick(srv, ts).child(host).tick(srv, ts)
			if sv.hostAddr == nil {
				sv.hostAddr = byHost.child(sv.addr)
			}
			sv.hostAddr.tick(srv, ts)
		case factHTTPResp:
			resp := tot.child("HTTP Response Packets").tick(&s.httpPackets, ts)
			okKO := "OK"
			if f.status >= 400 {
				okKO = "KO"
			}
			srv := &s.httpServers
			sv := s.serverOf(f, flow)
			srv.Roots[1].tick(srv, ts)
			if sv.resp == nil {
				sv.resp = srv.Roots[1].child(sv.addr)
			}
			sv.resp.tick(srv, ts).child(okKO).tick(srv, ts)
			text := http.StatusText(f.status)
			if f.status < 100 || f.status > 599 || text == "" {
				resp.child("???: broken").tick(&s.httpPackets, ts)
				break
			}
			class := resp.child([...]string{"1xx: Informational", "2xx: Success", "3xx: Redirection", "4xx: Client Error", "5xx: Server Error"}[f.status/100-1])
			class.tick(&s.httpPackets, ts).child(strconv.Itoa(f.status)+" "+text).tick(&s.httpPackets, ts)
		default:
			tot.child("Other HTTP Packets").tick(&s.httpPackets, ts)
		}
	case factDNS:
		s.addDNS(&f.dns, ts)
	case factTLSHello:
		name := f.host
		if name == "" {
			name = "(no server name)"
		}
		alpn := f.uri
		if alpn == "" {
			alpn = "(no ALPN)"
		}
		s.tls.root("ClientHellos").tick(&s.tls, ts).child(name).tick(&s.tls, ts).child(alpn).tick(&s.tls, ts)
	}
}

// httpServer is an HTTP server's address as text and its rows in -z
// http_srv,tree, each found the first time it is needed.
type httpServer struct {
	key      addrKey
	addr     string
	byAddr   *StatNode // HTTP Requests by Server Address > addr
	resp     *StatNode // HTTP Responses by Server Address > addr
	host     string    // the Host of this server's last request, and its rows:
	addrHost *StatNode // HTTP Requests by Server Address > addr > host
	hostAddr *StatNode // HTTP Requests by HTTP Host > host > addr
}

// maxServers bounds the HTTP servers kept in appStats.servers (about 150
// bytes each); past it they are forgotten and found again as they come.
const maxServers = 1 << 16

// server returns the HTTP server of f, its address formatted once.
func (s *appStats) server(f *appFact) *httpServer {
	k := addrKey{f.server, f.v6}
	if sv := s.servers[k]; sv != nil {
		return sv
	}
	var a string
	if f.v6 {
		a = netip.AddrFrom16(f.server).String()
	} else {
		a = netip.AddrFrom4([4]byte(f.server[:4])).String()
	}
	if len(s.servers) >= maxServers {
		clear(s.servers)
	}
	sv := &httpServer{key: k, addr: a}
	s.servers[k] = sv
	return sv
}

// serverOf is server through the conversation flow of f's frame (nil:
// none), which keeps the server its last message found: with thousands
// of servers the map is a cache miss, and the conversation is at hand
// (prefetchCounts loaded it, and the server's rows).
func (s *appStats) serverOf(f *appFact, flow *convEntry) *httpServer {
	if flow == nil {
		return s.server(f)
	}
	if sv := flow.srv; sv != nil && sv.key == (addrKey{f.server, f.v6}) {
		return sv
	}
	flow.srv = s.server(f)
	return flow.srv
}

type addrKey struct {
	a  [16]byte
	v6 bool
}

var dnsRcodes = map[uint8]string{0: "No error", 1: "Format error", 2: "Server failure", 3: "No such name",
	4: "Not implemented", 5: "Refused", 6: "Name is in use", 7: "RRset exists", 8: "RRset does not exist",
	9: "Not authoritative", 10: "Name out of zone"}

var dnsOpcodes = map[uint8]string{0: "Standard query", 1: "Inverse query", 2: "Server status request", 4: "Zone change notification", 5: "Dynamic update"}

var dnsTypes = map[uint16]string{1: "A (Host Address)", 2: "NS (authoritative Name Server)", 5: "CNAME (Canonical NAME for an alias)",
	6: "SOA (Start Of a zone of Authority)", 12: "PTR (domain name PoinTeR)", 13: "HINFO (host information)",
	15: "MX (Mail eXchange)", 16: "TXT (Text strings)", 28: "AAAA (IPv6 Address)", 33: "SRV (Server Selection)",
	35: "NAPTR (Naming Authority Pointer)", 41: "OPT", 43: "DS", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY",
	64: "SVCB (General Purpose Service Endpoints)", 65: "HTTPS (HTTPS Specific Service Endpoints)", 255: "ANY (Request for all records)"}

var dnsClasses = map[uint16]string{1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"}

func nameOr(m map[uint8]string, v uint8) string {
	if s, ok := m[v]; ok {
		return s
	}
	return "Unknown (" + strconv.Itoa(int(v)) + ")"
}

// dnsRcodeNames and dnsOpcodeNames are nameOr of every value, made once.
var dnsRcodeNames, dnsOpcodeNames = allNames(dnsRcodes), allNames(dnsOpcodes)

// dnsTypeNames are the names of the query types below 256, Unknown ones
// included, and dnsClassNames those of the known classes below 256 (""
// for the others): an index instead of a map lookup per DNS message.
var dnsTypeNames, dnsClassNames = func() (types, classes [256]string) {
	for v := range types {
		if types[v] = dnsTypes[uint16(v)]; types[v] == "" {
			types[v] = "Unknown (" + strconv.Itoa(v) + ")"
		}
		classes[v] = dnsClasses[uint16(v)]
	}
	return types, classes
}()

// dnsTypeName is the row of query type v in -z dns,tree.
func dnsTypeName(v uint16) string {
	if v < uint16(len(dnsTypeNames)) {
		return dnsTypeNames[v]
	}
	if s, ok := dnsTypes[v]; ok {
		return s
	}
	return "Unknown (" + strconv.Itoa(int(v)) + ")"
}

// dnsClassName is the row of query class v (its top bit, "unicast
// response" in mDNS, aside) in -z dns,tree.
func dnsClassName(v uint16) string {
	c := v & 0x7fff
	if c < uint16(len(dnsClassNames)) && dnsClassNames[c] != "" {
		return dnsClassNames[c]
	}
	if s, ok := dnsClasses[c]; ok {
		return s
	}
	return "Unknown (" + strconv.Itoa(int(v)) + ")"
}

func allNames(m map[uint8]string) *[256]string {
	var out [256]string
	for v := range out {
		out[v] = nameOr(m, uint8(v))
	}
	return &out
}

func (s *appStats) addDNS(d *dnsFact, ts int64) {
	t := &s.dns
	s.dnsRoots()
	r := &s.dnsRow
	r.tot.tick(t, ts)
	r.rcode.tick(t, ts).child(dnsRcodeNames[d.rcode]).tick(t, ts)
	r.opcodes.tick(t, ts).child(dnsOpcodeNames[d.opcode]).tick(t, ts)
	qr := "Query"
	if d.qr {
		qr = "Response"
	}
	r.qr.tick(t, ts).child(qr).tick(t, ts)
	if d.hasQ {
		r.qtype.tick(t, ts).child(dnsTypeName(d.qtype)).tick(t, ts)
		r.class.tick(t, ts).child(dnsClassName(d.qclass)).tick(t, ts)
	}
	r.payload.value(t, ts, float64(d.size))
	if !d.qr && d.hasQ {
		r.qnameLen.value(t, ts, float64(len(d.qname)))
		r.levels[min(strings.Count(d.qname, ".")+1, 4)].tick(t, ts)
	}
	if d.qr {
		// tshark 4.0 counts every response twice in these rows.
		for range 2 {
			r.questions.value(t, ts, float64(d.qd))
			r.authorities.value(t, ts, float64(d.ns))
			r.answers.value(t, ts, float64(d.an))
			r.additionals.value(t, ts, float64(d.ar))
		}
	}

	// A transaction is an ID between a client and a server, as in
	// Wireshark: a response answers the first query of its transaction
	// (the time from it is the response time), a second response to it is
	// a retransmission, a response to no query is unsolicited. A query
	// repeated before the answer is the same transaction.
	switch tr, ok := s.transaction(d, ts); {
	case !d.qr:
	case ok && !tr.answered:
		// tshark keeps the time as a 32-bit float, and prints it so.
		r.rrt.value(t, ts, float64(float32(float64(ts-tr.query)/1e6)))
	case ok:
		r.retransmissions.tick(t, ts)
	default:
		r.unsolicited.tick(t, ts)
	}

	if d.hasQ {
		n := r.names.tick(&s.dnsNames, ts).child(d.qname).tick(&s.dnsNames, ts)
		if d.qr {
			n.child(dnsRcodeNames[d.rcode]).tick(&s.dnsNames, ts)
		} else {
			n.child("(query)").tick(&s.dnsNames, ts)
		}
	}
}

// maxDNSTransactions bounds the DNS transactions kept: past it the old
// ones are forgotten.
const maxDNSTransactions = 1 << 16

// transaction records DNS message d in its transaction and returns the
// transaction as it was before d, and whether there was one. The IPv4
// ones, nearly all, are keyed by 16 bytes in an open-addressing table
// (one probe, which the counting goroutine prefetches: with thousands of
// transactions each lookup is a cache miss); the IPv6 ones in a map.
func (s *appStats) transaction(d *dnsFact, ts int64) (dnsTransaction, bool) {
	if !d.v6 {
		return s.record4(dnsKey4(d), d.qr, ts)
	}
	k := dnsKey{id: d.id, client: d.src, server: d.dst, cport: d.sport, sport: d.dport}
	if d.qr {
		k.client, k.server, k.cport, k.sport = d.dst, d.src, d.dport, d.sport
	}
	tr, ok := s.pending[k]
	switch {
	case !d.qr:
		if !ok || tr.answered {
			s.forgetIfFull()
			s.pending[k] = dnsTransaction{query: ts}
		}
	case ok && !tr.answered:
		s.pending[k] = dnsTransaction{query: tr.query, answered: true}
	}
	return tr, ok
}

// dnsKey4 is the transaction key of an IPv4 DNS message: client and
// server addresses, ports and ID.
func dnsKey4(d *dnsFact) [2]uint64 {
	client, server, cport, sport := d.src, d.dst, d.sport, d.dport
	if d.qr {
		client, server, cport, sport = d.dst, d.src, d.dport, d.sport
	}
	return [2]uint64{uint64(be32(client[:4]))<<32 | uint64(be32(server[:4])), uint64(cport)<<32 | uint64(sport)<<16 | uint64(d.id)}
}

// record4 is transaction for an IPv4 message with key k.
func (s *appStats) record4(k [2]uint64, response bool, ts int64) (dnsTransaction, bool) {
	t := &s.pending4
	sl := t.slot(k)
	if sl == nil { // an empty table
		if response {
			return dnsTransaction{}, false
		}
		t.slots = make([]dnsSlot4, 1024)
		sl = t.slot(k)
	}
	tr, ok := dnsTransaction{query: sl.query, answered: sl.answered}, sl.used
	switch {
	case !response:
		if !ok || tr.answered {
			if s.forgetIfFull() {
				sl = t.slot(k)
			}
			if !sl.used {
				t.n++
			}
			*sl = dnsSlot4{k: k, query: ts, used: true}
			if t.n*2 > len(t.slots) {
				t.grow()
			}
		}
	case ok && !tr.answered:
		sl.answered = true
	}
	return tr, ok
}

// forgetIfFull forgets every transaction when there are
// maxDNSTransactions of them, and reports whether it did.
func (s *appStats) forgetIfFull() bool {
	if len(s.pending)+s.pending4.n < maxDNSTransactions {
		return false
	}
	clear(s.pending)
	clear(s.pending4.slots)
	s.pending4.n = 0
	return true
}

// dnsTable4 is an open-addressing table of IPv4 DNS transactions, a power
// of two long and at most half full (at most 2*maxDNSTransactions slots
// of 32 bytes); nothing is ever deleted from it but all at once.
type dnsTable4 struct {
	slots []dnsSlot4
	n     int
}

type dnsSlot4 struct {
	k              [2]uint64
	query          int64
	answered, used bool
}

// slot returns the slot of key k, or the empty slot where it would go;
// nil when the table has no slots yet.
func (t *dnsTable4) slot(k [2]uint64) *dnsSlot4 {
	if len(t.slots) == 0 {
		return nil
	}
	mask := uint64(len(t.slots) - 1)
	for i := slotOf(k, mask); ; i = (i + 1) & mask {
		if sl := &t.slots[i]; !sl.used || sl.k == k {
			return sl
		}
	}
}

func (t *dnsTable4) grow() {
	old := t.slots
	t.slots = make([]dnsSlot4, 2*len(old))
	for i := range old {
		if old[i].used {
			*t.slot(old[i].k) = old[i]
		}
	}
}

// decodeDNS runs gopacket's DNS decoder, which panics on some malformed
// resource records (a slice bound past the message in
// DNSResourceRecord.decode, gopacket 1.1.19) instead of returning an error:
// a capture is untrusted input, so the panic becomes an error and the frame
// counts as malformed.
func decodeDNS(d *layers.DNS, b []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("capture: DNS message of %d bytes: malformed (decoder: %v)", len(b), r)
		}
	}()
	return d.DecodeFromBytes(b, gopacket.NilDecodeFeedback)
}
