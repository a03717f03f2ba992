package pdu

import (
	"bytes"
	"crypto/sha256"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// fuzzCodec checks what must hold for any bytes from the network: decoding
// never panics, decoded fields never hold more bytes than arrived, a decoded
// PDU encodes again and decodes to the same PDU, reading PDUs from a stream
// of those bytes stays within them, and a content stream of those bytes never
// yields more content than it carried.
func fuzzCodec(t *testing.T, c Codec, b []byte) {
	for _, dir := range []Direction{Request, Reply} {
		var p PDU
		if err := c.Decode(b, dir, &p); err != nil {
			continue
		}
		fields := decodedBytes(&p)
		if fields > len(b) {
			t.Fatalf("decoded %d bytes of fields from %d bytes", fields, len(b))
		}
		again, err := c.Append(nil, &p)
		if err != nil {
			t.Fatalf("decoded %+v does not encode: %v", p, err)
		}
		var q PDU
		if err := c.Decode(again, dir, &q); err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", again, err)
		}
		if !samePDU(p, q) {
			t.Fatalf("round trip changed %+v into %+v", p, q)
		}
	}
	for _, dir := range []Direction{Request, Reply} {
		fuzzStream(t, c, b, dir)
	}
	var out bytes.Buffer
	n, err := ReceiveContent(NewReader(bytes.NewReader(b)), c, &out, ReceiveOptions{})
	if n > int64(len(b)) || int64(out.Len()) > int64(len(b)) {
		t.Fatalf("content of %d bytes from a %d-byte stream", n, len(b))
	}
	// The small reader a downloader uses (Framed data read past its
	// buffer) reads the same stream to the same end.
	var out2 bytes.Buffer
	n2, err2 := ReceiveContent(NewContentReader(bytes.NewReader(b), c), c, &out2, ReceiveOptions{})
	if n2 != n || (err == nil) != (err2 == nil) || !bytes.Equal(out.Bytes(), out2.Bytes()) {
		t.Fatalf("NewReader: %d bytes, %v; NewContentReader: %d bytes, %v", n, err, n2, err2)
	}
}

// fuzzStream reads PDUs from a stream of b with ReadPDU, as a content server
// reads a download request from any TCP peer: every PDU read consumes at least
// a byte and none holds more bytes of fields than the stream carried.
func fuzzStream(t *testing.T, c Codec, b []byte, dir Direction) {
	r := NewReader(bytes.NewReader(b))
	for reads := 0; ; reads++ {
		if reads > len(b) {
			t.Fatalf("%d PDUs from a %d-byte stream", reads, len(b))
		}
		var p PDU
		if err := c.ReadPDU(r, dir, &p); err != nil {
			return
		}
		if fields := decodedBytes(&p); fields > len(b) {
			t.Fatalf("read %d bytes of fields from a %d-byte stream", fields, len(b))
		}
	}
}

// decodedBytes counts the bytes of p's fields that came from the wire (an
// A's Peer is its Text again, and is counted once).
func decodedBytes(p *PDU) int {
	n := len(p.Peer) + len(p.Content) + len(p.Text) + len(p.Data) + len(strings.Join(p.Names, ""))
	if p.Type == Ack && p.Peer == p.Text {
		n -= len(p.Peer)
	}
	for _, h := range p.Holders {
		n += len(h.Peer) + len(h.Content)
	}
	return n
}

func samePDU(a, b PDU) bool {
	if !slices.Equal(a.Holders, b.Holders) || !slices.Equal(a.Others, b.Others) || a.Part != b.Part || a.Chunk != b.Chunk {
		return false
	}
	if a.Type != b.Type || a.Reply != b.Reply || a.Peer != b.Peer || a.Content != b.Content ||
		a.Addr != b.Addr || a.Text != b.Text || !bytes.Equal(a.Data, b.Data) ||
		a.Announce != b.Announce || a.Size != b.Size || a.Sum != b.Sum || len(a.Names) != len(b.Names) {
		return false
	}
	for i := range a.Names {
		if a.Names[i] != b.Names[i] {
			return false
		}
	}
	return true
}

func addSeeds(f *testing.F, c Codec) {
	for _, tc := range roundTripCases {
		b, err := c.Append(nil, &tc.p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	var stream bytes.Buffer
	content := bytes.Repeat([]byte("abc"), 70)
	if err := SendContent(&stream, c, bytes.NewReader(content), int64(len(content)), sha256.Sum256(content)); err != nil {
		f.Fatal(err)
	}
	f.Add(stream.Bytes())
	f.Add([]byte{})
	f.Add([]byte("X"))
}

func FuzzClassic(f *testing.F) {
	addSeeds(f, Classic{})
	for _, tc := range classicGolden {
		f.Add(unhexF(f, tc.hex))
	}
	// The variants other lab implementations send.
	f.Add(padded('A', "Registration successful"))
	f.Add(padded('O', "peer1|fileA|192.168.1.10:5000;peer2|fileB|192.168.1.11:6000;"))
	f.Add(padded('O', "No content registered"))
	f.Add(padded('O', "song\x00\x00\x00\x00\x00\x00film"))
	f.Add(padded('S', "song\x00\x00\x00\x00\x00\x00alice"))
	f.Fuzz(func(t *testing.T, b []byte) { fuzzCodec(t, Classic{}, b) })
}

func FuzzFramed(f *testing.F) {
	addSeeds(f, Framed{})
	f.Add([]byte{'F', 0xff, 0xff, 0xff, 0xff, 0x0f})
	for _, p := range []PDU{ // the parts and holders of multi-source downloads
		{Type: Search, Reply: true, Addr: addr, Others: []netip.AddrPort{addr, netip.MustParseAddrPort("[::1]:9")}},
		{Type: Download, Peer: "bob", Content: "film", Part: PartManifest},
		{Type: Download, Peer: "bob", Content: "film", Part: PartChunk, Chunk: 65000},
	} {
		b, err := Framed{}.Append(nil, &p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) { fuzzCodec(t, Framed{}, b) })
}

func unhexF(f *testing.F, s string) []byte { return unhex(f, s) }

// TestDecodeAllocationIsBounded: what a decode allocates is proportional to
// the bytes received (plus an error message), never to a length the bytes
// claim.
func TestDecodeAllocationIsBounded(t *testing.T) {
	inputs := [][]byte{
		{'F', 0xff, 0xff, 0xff, 0xff, 0x0f},             // Framed F claiming 4 GiB
		{'C', 0x80, 0x80, 0x04, 0x01, 0xff, 0xff, 0x7f}, // Framed C claiming 64 KiB and a huge size
		append([]byte{'O', 200, 1}, bytes.Repeat([]byte{1, 'a'}, 100)...),
		append([]byte{'E'}, bytes.Repeat([]byte("e"), 100)...),
		append([]byte{'O'}, bytes.Repeat([]byte("abcdefghij"), 10)...),
	}
	for _, c := range []Codec{Classic{}, Framed{}} {
		for _, b := range inputs {
			for _, dir := range []Direction{Request, Reply} {
				var p PDU
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				for range 100 {
					p = PDU{}
					_ = c.Decode(b, dir, &p)
				}
				runtime.ReadMemStats(&after)
				if per := (after.TotalAlloc - before.TotalAlloc) / 100; per > uint64(9*len(b)+1024) {
					t.Errorf("%s %c: %d bytes allocated per decode of %d bytes", c.Name(), b[0], per, len(b))
				}
			}
		}
	}
}
