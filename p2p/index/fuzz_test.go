package index

import (
	"net/netip"
	"testing"

	"github.com/netlab-go/netlab/pdu"
)

// FuzzAnswer feeds the index server's answer (decode, then the rules) a
// sequence of datagrams from anyone, each preceded in the fuzz input by a
// length byte, with both codecs. Whatever arrives, every reply must encode
// within a datagram and decode again as a reply, since a reply that does not
// encode is never sent; a datagram that does not decode gets exactly one E; an
// A or an E gets no answer; any other request gets exactly one reply (the
// index amplifies nothing). Datagrams come alternately from the peers'
// own host and from another one.
func FuzzAnswer(f *testing.F) {
	reqs := []pdu.PDU{
		reg("alice", "song", addrA), reg("bob", "song", netip.MustParseAddrPort("0.0.0.0:5002")), reg("alice", "song", addrA),
		search("song"), search("film"), {Type: pdu.List, Peer: "carol"},
		dereg("alice", "song"), dereg("alice", "song"), ack("x"), fail("boom"),
	}
	for _, c := range codecs {
		var seq []byte
		for _, r := range reqs {
			b, err := c.Append(nil, &r)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(append([]byte{byte(len(b))}, b...))
			seq = append(append(seq, byte(len(b))), b...)
		}
		f.Add(seq)
	}
	f.Add([]byte{3, 'X', 0, 0})
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, c := range codecs {
			rules, err := NewRules(NewMemRegistry(), RulesConfig{NamesPerReply: c.Limits().MaxNames})
			if err != nil {
				t.Fatal(err)
			}
			var req pdu.PDU
			for rest := in; len(rest) > 0; {
				n := min(int(rest[0]), len(rest)-1)
				b := rest[1 : 1+n]
				rest = rest[1+n:]
				sender := from
				if len(b)%2 == 1 {
					sender = remote
				}
				replies, decErr := answer(rules, c, b, sender, &req, nil)
				switch {
				case decErr == nil && req.Type != pdu.Ack && req.Type != pdu.Error && len(replies) != 1:
					t.Fatalf("%s: %c answered with %d replies", c.Name(), rune(req.Type), len(replies))
				case decErr != nil && (len(replies) != 1 || replies[0].Type != pdu.Error):
					t.Fatalf("%s: %x does not decode (%v) but the answer is %+v", c.Name(), b, decErr, replies)
				case decErr == nil && (req.Type == pdu.Ack || req.Type == pdu.Error) && len(replies) > 0:
					t.Fatalf("%s: %c answered with %+v", c.Name(), rune(req.Type), replies)
				}
				for i := range replies {
					out, err := c.Append(nil, &replies[i])
					if err != nil {
						t.Fatalf("%s: reply %+v to %x does not encode: %v", c.Name(), replies[i], b, err)
					}
					if len(out) > c.Limits().MaxDatagram {
						t.Fatalf("%s: reply of %d bytes, datagrams hold %d", c.Name(), len(out), c.Limits().MaxDatagram)
					}
					var back pdu.PDU
					if err := c.Decode(out, pdu.Reply, &back); err != nil {
						t.Fatalf("%s: reply %x does not decode: %v", c.Name(), out, err)
					}
				}
			}
		}
	})
}
