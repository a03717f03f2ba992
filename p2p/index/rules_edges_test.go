package index

import (
	"net/netip"
	"testing"

	"github.com/netlab-go/netlab/pdu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRulesSearchBalancesUses: the least-used holder is chosen; among
// equally used ones the newest; each answer counts as a use, so two
// holders alternate.
func TestRulesSearchBalancesUses(t *testing.T) {
	r, err := NewRules(NewMemRegistry(), RulesConfig{NamesPerReply: 10})
	require.NoError(t, err)
	for _, q := range []pdu.PDU{reg("alice", "song", addrA), reg("bob", "song", addrB)} {
		require.Equal(t, []pdu.PDU{ack(q.Peer)}, r.Handle(&q, from, nil))
	}
	var got []netip.AddrPort
	for range 4 {
		s := search("song")
		out := r.Handle(&s, from, nil)
		require.Len(t, out, 1)
		got = append(got, out[0].Addr)
	}
	assert.Equal(t, []netip.AddrPort{addrB, addrA, addrB, addrA}, got)

	c, ok := choose([]Registration{{Peer: "old", Uses: 2, Seq: 1}, {Peer: "new", Uses: 3, Seq: 2}})
	require.True(t, ok)
	assert.Equal(t, "old", c.Peer, "fewer uses beat a newer registration")
	c, _ = choose([]Registration{{Peer: "new", Uses: 1, Seq: 5}, {Peer: "old", Uses: 1, Seq: 4}})
	assert.Equal(t, "new", c.Peer, "equal uses: the newest, wherever it is")
	_, ok = choose(nil)
	assert.False(t, ok)
}

// TestRulesCountsOnlyWhatTheyAdmitted: withdrawing a registration the rules
// did not admit (put in the registry directly) does not free room below
// zero; the caps stay exact.
func TestRulesCountsOnlyWhatTheyAdmitted(t *testing.T) {
	m := NewMemRegistry()
	require.NoError(t, m.Add(Registration{Peer: "p", Content: "pre", Addr: addrA, Source: from, Seq: 1}))
	rules, err := NewRules(m, RulesConfig{NamesPerReply: 10, MaxPerSource: 1, MaxRegistrations: 1})
	require.NoError(t, err)
	d := dereg("p", "pre")
	require.Equal(t, []pdu.PDU{ack("p")}, rules.Handle(&d, from, nil))

	q := reg("p", "a", addrA)
	require.Equal(t, []pdu.PDU{ack("p")}, rules.Handle(&q, from, nil))
	q2 := reg("q", "b", netip.AddrPortFrom(remote.Addr(), 5000))
	assert.Equal(t, []pdu.PDU{fail(MsgFull)}, rules.Handle(&q2, remote, nil), "one registration in all")
	q3 := reg("p", "c", addrA)
	assert.Equal(t, []pdu.PDU{fail(MsgTooMany)}, rules.Handle(&q3, from, nil))

	// Withdraw and register again: the counts went back to zero exactly.
	d = dereg("p", "a")
	require.Equal(t, []pdu.PDU{ack("p")}, rules.Handle(&d, from, nil))
	assert.Equal(t, []pdu.PDU{ack("q")}, rules.Handle(&q2, remote, nil))
	assert.Equal(t, []pdu.PDU{fail(MsgFull)}, rules.Handle(&q3, from, nil))
}

// TestRulesListStartsAfterItsName: a page starts after the given name,
// whether or not that name is registered, and holds NamesPerReply names.
func TestRulesListStartsAfterItsName(t *testing.T) {
	rules, err := NewRules(NewMemRegistry(), RulesConfig{NamesPerReply: 2})
	require.NoError(t, err)
	for _, c := range []string{"b", "d", "f", "h"} {
		q := reg("p", c, addrA)
		require.Equal(t, []pdu.PDU{ack("p")}, rules.Handle(&q, from, nil))
	}
	for _, tc := range []struct {
		start string
		want  []string
	}{{"", []string{"b", "d"}}, {"b", []string{"d", "f"}}, {"c", []string{"d", "f"}}, {"f", []string{"h"}}, {"h", []string{}}} {
		l := pdu.PDU{Type: pdu.List, Content: tc.start}
		out := rules.Handle(&l, from, nil)
		require.Len(t, out, 1)
		assert.Equal(t, tc.want, out[0].Names, "after %q", tc.start)
	}
}

// TestRulesWithdrawKeepsTheRestCounted: withdrawing one of a source's
// registrations leaves the others counted against MaxPerSource.
func TestRulesWithdrawKeepsTheRestCounted(t *testing.T) {
	rules, err := NewRules(NewMemRegistry(), RulesConfig{NamesPerReply: 10, MaxPerSource: 2})
	require.NoError(t, err)
	r := func(content string) pdu.PDU {
		q := reg("p", content, addrA)
		return rules.Handle(&q, from, nil)[0]
	}
	require.Equal(t, ack("p"), r("a"))
	require.Equal(t, ack("p"), r("b"))
	d := dereg("p", "a")
	require.Equal(t, []pdu.PDU{ack("p")}, rules.Handle(&d, from, nil))
	assert.Equal(t, ack("p"), r("c"), "one of two left: room for one")
	assert.Equal(t, fail(MsgTooMany), r("d"), "b and c count")
}
