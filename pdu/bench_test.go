package pdu

import "testing"

// benchClassic measures one marshal plus one unmarshal of p, the work of an
// index server per request, into reused buffers.
func benchClassic(b *testing.B, dir Direction, p PDU) {
	var c Classic
	buf := make([]byte, 0, ClassicFrame)
	var out PDU
	b.ReportAllocs()
	for b.Loop() {
		var err error
		buf, err = c.Append(buf[:0], &p)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Decode(buf, dir, &out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClassicR(b *testing.B) {
	benchClassic(b, Request, PDU{Type: Register, Peer: "alice", Content: "song", Addr: addr})
}
func BenchmarkClassicS(b *testing.B) {
	benchClassic(b, Request, PDU{Type: Search, Peer: "alice", Content: "song"})
}
func BenchmarkClassicSReply(b *testing.B) {
	benchClassic(b, Reply, PDU{Type: Search, Reply: true, Addr: addr})
}
func BenchmarkClassicD(b *testing.B) {
	benchClassic(b, Request, PDU{Type: Download, Peer: "alice", Content: "song"})
}
func BenchmarkClassicC(b *testing.B) { benchClassic(b, Reply, PDU{Type: Content, Data: hundred}) }
func BenchmarkClassicF(b *testing.B) { benchClassic(b, Reply, PDU{Type: Final, Data: hundred[:42]}) }
func BenchmarkClassicO(b *testing.B) {
	benchClassic(b, Reply, PDU{Type: List, Reply: true, Names: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}})
}
func BenchmarkClassicT(b *testing.B) {
	benchClassic(b, Request, PDU{Type: Deregister, Peer: "alice", Content: "song"})
}
func BenchmarkClassicA(b *testing.B) { benchClassic(b, Reply, PDU{Type: Ack, Peer: "alice"}) }
func BenchmarkClassicE(b *testing.B) {
	benchClassic(b, Reply, PDU{Type: Error, Text: "content not found"})
}
