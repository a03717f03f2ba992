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
			{reg("alice", "song", addrB), from, []pdu.PDU{fail(MsgDuplicate)}},
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
		{"list distinct names across replies", 2, []exchange{
			{pdu.PDU{Type: pdu.List}, from, []pdu.PDU{listed()}},
			{reg("alice", "b", addrA), from, []pdu.PDU{ack("alice")}},
			{reg("bob", "b", addrB), from, []pdu.PDU{ack("bob")}},
			{reg("alice", "a", addrA), from, []pdu.PDU{ack("alice")}},
			{pdu.PDU{Type: pdu.List}, from, []pdu.PDU{listed("a", "b"), listed()}},
			{reg("bob", "c", addrB), from, []pdu.PDU{ack("bob")}},
			{pdu.PDU{Type: pdu.List, Peer: "carol"}, from, []pdu.PDU{listed("a", "b"), listed("c")}},
		}},
		{"unspecified address takes the sender's IP", 10, []exchange{
			{reg("alice", "song", netip.MustParseAddrPort("0.0.0.0:5001")), remote, []pdu.PDU{ack("alice")}},
			{search("song"), from, []pdu.PDU{found(netip.MustParseAddrPort("10.1.2.3:5001"))}},
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
			rules, err := NewRules(NewMemRegistry(), tc.slots)
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

func TestRulesListMultipleOfSlots(t *testing.T) {
	rules, err := NewRules(NewMemRegistry(), 10)
	require.NoError(t, err)
	for i := range 20 {
		rules.Handle(&pdu.PDU{Type: pdu.Register, Peer: "p", Content: fmt.Sprintf("c%02d", i), Addr: addrA}, from, nil)
	}
	got := rules.Handle(&pdu.PDU{Type: pdu.List}, from, nil)
	require.Len(t, got, 3, "20 names: two full replies and an empty one that ends the list")
	assert.Len(t, got[0].Names, 10)
	assert.Len(t, got[1].Names, 10)
	assert.Empty(t, got[2].Names)
	assert.Equal(t, "c00", got[0].Names[0])
	assert.Equal(t, "c19", got[1].Names[9])
}

func TestNewRulesValidates(t *testing.T) {
	_, err := NewRules(nil, 10)
	assert.ErrorContains(t, err, "Registry")
	_, err = NewRules(NewMemRegistry(), 0)
	assert.ErrorContains(t, err, "namesPerReply")
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
