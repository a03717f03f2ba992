package index

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/netlab-go/netlab/pdu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	from   = netip.MustParseAddrPort("127.0.0.1:40000")
	addrA  = netip.MustParseAddrPort("127.0.0.1:5001")
	addrB  = netip.MustParseAddrPort("127.0.0.1:5002")
	addrC  = netip.MustParseAddrPort("127.0.0.1:5003")
	other  = netip.MustParseAddrPort("127.0.0.1:40001") // same host, another socket
	remote = netip.MustParseAddrPort("10.1.2.3:40000")
)

func reg(peer, content string, a netip.AddrPort) pdu.PDU {
	return pdu.PDU{Type: pdu.Register, Peer: peer, Content: content, Addr: a}
}
func search(content string) pdu.PDU { return pdu.PDU{Type: pdu.Search, Peer: "x", Content: content} }
func dereg(peer, content string) pdu.PDU {
	return pdu.PDU{Type: pdu.Deregister, Peer: peer, Content: content}
}
func ack(peer string) pdu.PDU        { return pdu.PDU{Type: pdu.Ack, Peer: peer} }
func found(a netip.AddrPort) pdu.PDU { return pdu.PDU{Type: pdu.Search, Reply: true, Addr: a} }
func fail(text string) pdu.PDU       { return pdu.PDU{Type: pdu.Error, Text: text} }
func listed(names ...string) pdu.PDU {
	return pdu.PDU{Type: pdu.List, Reply: true, Names: names}
}

type exchange struct {
	req  pdu.PDU
	from netip.AddrPort
	want []pdu.PDU
}

func TestRules(t *testing.T) {
	cases := []struct {
		name  string
		slots int
		steps []exchange
	}{
		{"register then duplicate", 10, []exchange{
			{reg("alice", "song", addrA), from, []pdu.PDU{ack("alice")}},
			{reg("alice", "song", addrA), from, []pdu.PDU{ack("alice")}}, // resent: its A was lost
			{reg("alice", "song", addrB), from, []pdu.PDU{fail(MsgDuplicate)}},
			{reg("alice", "song", addrA), other, []pdu.PDU{fail(MsgDuplicate)}},
			{reg("alice", "film", addrA), from, []pdu.PDU{ack("alice")}},
			{reg("bob", "song", addrB), from, []pdu.PDU{ack("bob")}},
		}},
		{"search unknown and known", 10, []exchange{
			{search("song"), from, []pdu.PDU{fail(MsgNotFound)}},
			{reg("alice", "song", addrA), from, []pdu.PDU{ack("alice")}},
			{search("song"), from, []pdu.PDU{found(addrA)}},
			{search("song"), from, []pdu.PDU{found(addrA)}},
		}},
		{"least used, then most recently registered", 10, []exchange{
			{reg("alice", "song", addrA), from, []pdu.PDU{ack("alice")}},
			{reg("bob", "song", addrB), from, []pdu.PDU{ack("bob")}},
			{reg("carol", "song", addrC), from, []pdu.PDU{ack("carol")}},
			// all unused: the most recent (carol) first, then bob, then alice
			{search("song"), from, []pdu.PDU{found(addrC)}},
			{search("song"), from, []pdu.PDU{found(addrB)}},
			{search("song"), from, []pdu.PDU{found(addrA)}},
			// all used once: round again in the same order
			{search("song"), from, []pdu.PDU{found(addrC)}},
			// a new registration is least used: it goes first
			{dereg("alice", "song"), from, []pdu.PDU{ack("alice")}},
			{reg("alice", "song", addrA), from, []pdu.PDU{ack("alice")}},
			{search("song"), from, []pdu.PDU{found(addrA)}},
			// alice and bob used once, carol twice: alice is the more recent
			{search("song"), from, []pdu.PDU{found(addrA)}},
			{search("song"), from, []pdu.PDU{found(addrB)}},
		}},
		{"deregister", 10, []exchange{
			{dereg("alice", "song"), from, []pdu.PDU{fail(MsgNotRegistered)}},
			{reg("alice", "song", addrA), from, []pdu.PDU{ack("alice")}},
			{dereg("bob", "song"), from, []pdu.PDU{fail(MsgNotRegistered)}},
			{dereg("alice", "song"), from, []pdu.PDU{ack("alice")}},
			{search("song"), from, []pdu.PDU{fail(MsgNotFound)}},
			{dereg("alice", "song"), from, []pdu.PDU{fail(MsgNotRegistered)}},
		}},
		{"list distinct names, one page per request", 2, []exchange{
			{pdu.PDU{Type: pdu.List}, from, []pdu.PDU{listed()}},
			{reg("alice", "b", addrA), from, []pdu.PDU{ack("alice")}},
			{reg("bob", "b", addrB), from, []pdu.PDU{ack("bob")}},
			{reg("alice", "a", addrA), from, []pdu.PDU{ack("alice")}},
			{pdu.PDU{Type: pdu.List}, from, []pdu.PDU{listed("a", "b")}},
			{pdu.PDU{Type: pdu.List, Content: "b"}, from, []pdu.PDU{listed()}},
			{reg("bob", "c", addrB), from, []pdu.PDU{ack("bob")}},
			{pdu.PDU{Type: pdu.List, Peer: "carol"}, from, []pdu.PDU{listed("a", "b")}},
			{pdu.PDU{Type: pdu.List, Peer: "carol", Content: "b"}, from, []pdu.PDU{listed("c")}},
			{pdu.PDU{Type: pdu.List, Content: "a0"}, from, []pdu.PDU{listed("b", "c")}}, // a start that is not a name
			{pdu.PDU{Type: pdu.List, Content: "zzz"}, from, []pdu.PDU{listed()}},
		}},
		{"unspecified address takes the sender's IP", 10, []exchange{
			{reg("alice", "song", netip.MustParseAddrPort("0.0.0.0:5001")), remote, []pdu.PDU{ack("alice")}},
			{search("song"), from, []pdu.PDU{found(netip.MustParseAddrPort("10.1.2.3:5001"))}},
		}},
		{"an advertised address is the sender's", 10, []exchange{
			{reg("mallory", "doc", netip.MustParseAddrPort("10.1.2.3:22")), from, []pdu.PDU{fail(MsgAddrMismatch)}},
			{search("doc"), from, []pdu.PDU{fail(MsgNotFound)}},
			{reg("alice", "doc", netip.MustParseAddrPort("[::ffff:10.1.2.3]:5001")), remote, []pdu.PDU{ack("alice")}},
		}},
		{"only the registering address withdraws", 10, []exchange{
			{reg("alice", "doc", addrA), from, []pdu.PDU{ack("alice")}},
			{dereg("alice", "doc"), other, []pdu.PDU{fail(MsgNotOwner)}},
			{dereg("alice", "doc"), remote, []pdu.PDU{fail(MsgNotOwner)}},
			{search("doc"), other, []pdu.PDU{found(addrA)}},
			{dereg("alice", "doc"), from, []pdu.PDU{ack("alice")}},
		}},
		{"S in the content-first layout", 10, []exchange{
			{reg("alice", "song", addrA), from, []pdu.PDU{ack("alice")}},
			{pdu.PDU{Type: pdu.Search, Peer: "song", Content: "bob"}, from, []pdu.PDU{found(addrA)}},
			{pdu.PDU{Type: pdu.Search, Content: "song"}, from, []pdu.PDU{found(addrA)}},
			{pdu.PDU{Type: pdu.Search, Peer: "film", Content: "bob"}, from, []pdu.PDU{fail(MsgNotFound)}},
			// Both readings name content: the peer-first one wins.
			{reg("bob", "bob", addrB), from, []pdu.PDU{ack("bob")}},
			{pdu.PDU{Type: pdu.Search, Peer: "song", Content: "bob"}, from, []pdu.PDU{found(addrB)}},
		}},
		{"answers are not answered, other types are refused", 10, []exchange{
			{ack("alice"), from, nil},
			{fail("boom"), from, nil},
			{pdu.PDU{Type: pdu.Download, Content: "song"}, from, []pdu.PDU{fail("unexpected PDU type 'D' at the index server")}},
			{pdu.PDU{Type: pdu.Content}, from, []pdu.PDU{fail("unexpected PDU type 'C' at the index server")}},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rules, err := NewRules(NewMemRegistry(), RulesConfig{NamesPerReply: tc.slots})
			require.NoError(t, err)
			for i, step := range tc.steps {
				got := rules.Handle(&step.req, step.from, nil)
				require.Equal(t, step.want, normalise(got), "step %d: %c %s/%s", i, rune(step.req.Type), step.req.Peer, step.req.Content)
			}
		})
	}
}

// normalise turns empty name lists into nil-free empty slices for comparison.
func normalise(ps []pdu.PDU) []pdu.PDU {
	for i := range ps {
		if ps[i].Type == pdu.List && len(ps[i].Names) == 0 {
			ps[i].Names = nil
		}
	}
	return ps
}

func TestRulesListPagesOfAMultipleOfSlots(t *testing.T) {
	rules, err := NewRules(NewMemRegistry(), RulesConfig{NamesPerReply: 10})
	require.NoError(t, err)
	for i := range 20 {
		rules.Handle(&pdu.PDU{Type: pdu.Register, Peer: "p", Content: fmt.Sprintf("c%02d", i), Addr: addrA}, from, nil)
	}
	got := rules.Handle(&pdu.PDU{Type: pdu.List}, from, nil)
	require.Len(t, got, 1, "one datagram per request")
	assert.Equal(t, []string{"c00", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09"}, got[0].Names)
	got = rules.Handle(&pdu.PDU{Type: pdu.List, Content: "c09"}, from, nil)
	require.Len(t, got, 1)
	assert.Equal(t, "c10", got[0].Names[0])
	assert.Equal(t, "c19", got[0].Names[9])
	got = rules.Handle(&pdu.PDU{Type: pdu.List, Content: "c19"}, from, nil)
	require.Len(t, got, 1)
	assert.Empty(t, got[0].Names, "an empty page ends a list of 20")
}

// TestRulesCaps: a flood of registrations from one source stops at
// MaxPerSource, and all sources together at MaxRegistrations; withdrawing
// makes room again.
func TestRulesCaps(t *testing.T) {
	rules, err := NewRules(NewMemRegistry(), RulesConfig{NamesPerReply: 10, MaxPerSource: 3, MaxRegistrations: 5})
	require.NoError(t, err)
	r := func(src netip.AddrPort, content string) pdu.PDU {
		req := reg("p", content, netip.AddrPortFrom(src.Addr(), 5000))
		return rules.Handle(&req, src, nil)[0]
	}
	other2 := netip.MustParseAddrPort("127.0.0.1:40002") // same IP as from: same source
	assert.Equal(t, ack("p"), r(from, "a"))
	assert.Equal(t, ack("p"), r(other, "b"))
	assert.Equal(t, ack("p"), r(other2, "c"))
	assert.Equal(t, fail(MsgTooMany), r(from, "d"), "a fourth from 127.0.0.1")
	assert.Equal(t, ack("p"), r(remote, "d"))
	assert.Equal(t, ack("p"), r(netip.MustParseAddrPort("10.9.9.9:1"), "e"))
	assert.Equal(t, fail(MsgFull), r(netip.MustParseAddrPort("10.9.9.8:1"), "f"), "the sixth in total")
	d := dereg("p", "a")
	assert.Equal(t, []pdu.PDU{ack("p")}, rules.Handle(&d, from, nil))
	assert.Equal(t, ack("p"), r(from, "f"), "room again")
}

// TestRulesFlood: 5,000 registrations from one source leave at most
// DefaultMaxPerSource in the registry.
func TestRulesFlood(t *testing.T) {
	reg := NewMemRegistry()
	rules, err := NewRules(reg, RulesConfig{NamesPerReply: 10})
	require.NoError(t, err)
	refused := 0
	for i := range 5000 {
		req := pdu.PDU{Type: pdu.Register, Peer: "m", Content: fmt.Sprintf("c%d", i), Addr: addrA}
		if rules.Handle(&req, from, nil)[0].Type == pdu.Error {
			refused++
		}
	}
	assert.Len(t, reg.Contents(), DefaultMaxPerSource)
	assert.Equal(t, 5000-DefaultMaxPerSource, refused)
}

func TestNewRulesValidates(t *testing.T) {
	_, err := NewRules(nil, RulesConfig{NamesPerReply: 10})
	assert.EqualError(t, err, "index: rules: Registry is nil")
	_, err = NewRules(NewMemRegistry(), RulesConfig{NamesPerReply: 0})
	assert.EqualError(t, err, "index: RulesConfig.NamesPerReply is 0, want at least 1")
	_, err = NewRules(NewMemRegistry(), RulesConfig{NamesPerReply: 1, MaxPerSource: -1})
	assert.ErrorContains(t, err, "RulesConfig.MaxPerSource")
}

func TestMemRegistry(t *testing.T) {
	m := NewMemRegistry()
	require.NoError(t, m.Add(Registration{Peer: "a", Content: "x", Addr: addrA, Seq: 1}))
	require.ErrorIs(t, m.Add(Registration{Peer: "a", Content: "x"}), ErrDuplicate)
	require.NoError(t, m.Add(Registration{Peer: "b", Content: "x", Addr: addrB, Seq: 2}))
	require.NoError(t, m.Use("b", "x"))
	require.ErrorIs(t, m.Use("c", "x"), ErrNotRegistered)
	hs := m.Holders("x", nil)
	require.Len(t, hs, 2)
	assert.Equal(t, "a", hs[0].Peer, "oldest first")
	assert.Equal(t, uint64(1), hs[1].Uses)
	hs[0].Peer = "mutated"
	assert.Equal(t, "a", m.Holders("x", nil)[0].Peer, "Holders returns copies")
	assert.Equal(t, []string{"x"}, m.Contents())
	require.NoError(t, m.Remove("a", "x"))
	require.NoError(t, m.Remove("b", "x"))
	require.ErrorIs(t, m.Remove("b", "x"), ErrNotRegistered)
	assert.Empty(t, m.Contents())
}

func TestRulesSearchNamesEveryHolder(t *testing.T) {
	for _, c := range []struct {
		perReply int
		want     []netip.AddrPort // Others
	}{
		{0, nil}, // the default: the lab's one address
		{pdu.FramedMaxHolders, []netip.AddrPort{addrA, addrB}}, // every other holder, oldest first
		{2, []netip.AddrPort{addrA}},                           // capped
	} {
		r, err := NewRules(NewMemRegistry(), RulesConfig{NamesPerReply: 10, HoldersPerReply: c.perReply})
		require.NoError(t, err)
		for _, q := range []pdu.PDU{reg("alice", "song", addrA), reg("bob", "song", addrB), reg("carol", "song", addrC)} {
			require.Equal(t, []pdu.PDU{ack(q.Peer)}, r.Handle(&q, from, nil))
		}
		s := search("song")
		out := r.Handle(&s, from, nil)
		require.Len(t, out, 1)
		assert.Equal(t, addrC, out[0].Addr, "the chosen holder comes first")
		assert.Equal(t, c.want, out[0].Others, "HoldersPerReply %d", c.perReply)
	}
}
