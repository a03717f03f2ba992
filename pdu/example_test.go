package pdu_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"net/netip"

	"github.com/netlab-go/netlab/pdu"
)

// A peer registers the content "song" with the index server: the Classic
// layout is 1 type byte, two 10-byte NUL-padded names, an IPv4 address and
// a port.
func ExampleClassic_Append() {
	r := pdu.PDU{
		Type:    pdu.Register,
		Peer:    "alice",
		Content: "song",
		Addr:    netip.MustParseAddrPort("10.0.0.7:5000"),
	}
	b, err := pdu.Classic{}.Append(nil, &r)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d bytes\n% x\n", len(b), b)
	// Output:
	// 27 bytes
	// 52 61 6c 69 63 65 00 00 00 00 00 73 6f 6e 67 00 00 00 00 00 00 0a 00 00 07 13 88
}

// The index server decodes a short-form S request from a C peer, which sends
// only the content name, and answers with the chosen server's address.
func ExampleClassic_Decode() {
	var c pdu.Classic
	var req pdu.PDU
	if err := c.Decode([]byte("Ssong\x00\x00\x00\x00\x00\x00"), pdu.Request, &req); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%c for %q\n", req.Type, req.Content)

	reply := pdu.PDU{Type: pdu.Search, Reply: true, Addr: netip.MustParseAddrPort("10.0.0.7:5000")}
	b, _ := c.Append(nil, &reply)
	fmt.Printf("reply % x\n", b)

	// Bad input is an error that names the type and what was expected.
	fmt.Println(c.Decode([]byte("Rshort"), pdu.Request, &req))
	fmt.Println(c.Decode([]byte("X"), pdu.Request, &req))
	// Output:
	// S for "song"
	// reply 53 0a 00 00 07 13 88
	// pdu: R PDU: truncated: 5 data bytes, want 26
	// pdu: unknown PDU type 'X'
}

// Content travels as frames: with Classic, 101-byte C frames and a final F.
// With Framed, the first frame announces size and SHA-256 and the receiver
// verifies both.
func ExampleSendContent() {
	content := []byte("two hundred and fifty bytes would make C C F(50); this is shorter")
	for _, c := range []pdu.Codec{pdu.Classic{}, pdu.Framed{}} {
		var wire bytes.Buffer
		if err := pdu.SendContent(&wire, c, bytes.NewReader(content), int64(len(content)), sha256.Sum256(content)); err != nil {
			fmt.Println(err)
			return
		}
		wireLen := wire.Len()
		var got bytes.Buffer
		n, err := pdu.ReceiveContent(pdu.NewReader(&wire), c, &got, pdu.ReceiveOptions{})
		fmt.Printf("%s: %d content bytes in %d wire bytes, same: %v, err: %v\n",
			c.Name(), n, wireLen, bytes.Equal(got.Bytes(), content), err)
	}
	// Output:
	// classic: 65 content bytes in 66 wire bytes, same: true, err: <nil>
	// framed: 65 content bytes in 103 wire bytes, same: true, err: <nil>
}

// Other implementations of the lab answer with sentences and text lists;
// Classic reads each variant in its documented way, and a reply it cannot
// interpret becomes a text to show.
func ExampleClassic_Decode_otherServers() {
	whole := func(typ byte, data string) []byte { // the C struct sent whole
		b := make([]byte, 101)
		b[0] = typ
		copy(b[1:], data)
		return b
	}
	replies := [][]byte{
		whole('A', "Registration successful"),
		whole('O', "peer1|fileA|192.168.1.10:5000;peer2|fileB|192.168.1.11:6000;"),
		whole('O', "No content registered"),
		[]byte("Osong\x00\x00\x00\x00\x00\x00film\x00\x00\x00\x00\x00\x00"), // netlab's own
	}
	for _, b := range replies {
		var p pdu.PDU
		if err := (pdu.Classic{}).Decode(b, pdu.Reply, &p); err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(p)
	}
	// An S with the content name first, as some index servers expect it.
	s, _ := pdu.Classic{Requests: pdu.ContentFirst}.Append(nil, &pdu.PDU{Type: pdu.Search, Peer: "bob", Content: "song"})
	fmt.Printf("%q\n", s)
	// Output:
	// A "Registration successful"
	// O reply holders="fileA"@"peer1"@192.168.1.10:5000 "fileB"@"peer2"@192.168.1.11:6000
	// O reply text="No content registered"
	// O reply names=["song" "film"]
	// "Ssong\x00\x00\x00\x00\x00\x00bob\x00\x00\x00\x00\x00\x00\x00"
}
