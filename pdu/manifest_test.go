package pdu

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net/netip"
	"testing"
)

func testManifest(t testing.TB, size int64, chunk int) ([]byte, *Manifest) {
	t.Helper()
	content := make([]byte, size)
	_, _ = rand.Read(content)
	m, err := BuildManifest(bytes.NewReader(content), size, chunk)
	if err != nil {
		t.Fatal(err)
	}
	return content, m
}

func TestManifestRoundTrip(t *testing.T) {
	for _, size := range []int64{0, 1, MinChunkSize, MinChunkSize + 1, 5*MinChunkSize - 3} {
		content, m := testManifest(t, size, MinChunkSize)
		if want := int((size + MinChunkSize - 1) / MinChunkSize); m.Chunks() != want {
			t.Fatalf("size %d: %d chunks, want %d", size, m.Chunks(), want)
		}
		var total int64
		for i := range m.Chunks() {
			off, n := m.Chunk(i)
			if sha256.Sum256(content[off:off+int64(n)]) != m.Sums[i] {
				t.Fatalf("size %d: chunk %d sum differs", size, i)
			}
			total += int64(n)
		}
		if total != size {
			t.Fatalf("chunks cover %d bytes of %d", total, size)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got Manifest
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if got.Root() != m.Root() || got.Size != size || got.Chunks() != m.Chunks() {
			t.Fatalf("size %d: round trip changed the manifest", size)
		}
	}
}

func TestManifestRejects(t *testing.T) {
	_, m := testManifest(t, 3*MinChunkSize, MinChunkSize)
	good, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 1; return b }
	for name, b := range map[string][]byte{
		"empty":           nil,
		"magic":           flip(0),
		"version":         flip(4),
		"a chunk sum":     flip(len(good) - 1),
		"the root":        flip(len(good) - 4*32),
		"one sum short":   good[:len(good)-32],
		"one sum more":    append(bytes.Clone(good), make([]byte, 32)...),
		"odd chunk size":  append(append([]byte("NLMF\x01\x00"), 0xff, 0x3f), make([]byte, 32)...),
		"too many chunks": append(append([]byte("NLMF\x01"), 0x80, 0x80, 0x80, 0x80, 0x10, 0x80, 0x20), make([]byte, 32)...),
	} {
		var got Manifest
		if err := got.UnmarshalBinary(b); !errors.Is(err, ErrManifest) {
			t.Errorf("%s: got %v, want ErrManifest", name, err)
		}
	}
	if _, err := BuildManifest(bytes.NewReader(nil), 10, 1000); !errors.Is(err, ErrManifest) {
		t.Errorf("chunk size 1000: got %v, want ErrManifest", err)
	}
}

func TestFramedPartsAndHolders(t *testing.T) {
	a := netip.MustParseAddrPort("127.0.0.1:5001")
	six := netip.MustParseAddrPort("[::1]:5002")
	for _, p := range []PDU{
		{Type: Search, Reply: true, Addr: a, Others: []netip.AddrPort{six, a}},
		{Type: Download, Peer: "bob", Content: "song", Part: PartManifest},
		{Type: Download, Peer: "bob", Content: "song", Part: PartChunk, Chunk: 300},
		{Type: Download, Content: "song", Part: PartChunk},
	} {
		b, err := Framed{}.Append(nil, &p)
		if err != nil {
			t.Fatal(err)
		}
		dir := Request
		if p.Reply {
			dir = Reply
		}
		var q PDU
		if err := (Framed{}).Decode(b, dir, &q); err != nil {
			t.Fatalf("%x: %v", b, err)
		}
		if !samePDU(p, q) {
			t.Fatalf("round trip changed %+v into %+v", p, q)
		}
	}
	many := PDU{Type: Search, Reply: true, Addr: a, Others: make([]netip.AddrPort, FramedMaxHolders)}
	for i := range many.Others {
		many.Others[i] = a
	}
	if _, err := (Framed{}).Append(nil, &many); !errors.Is(err, ErrTooLong) {
		t.Errorf("%d holders: got %v, want ErrTooLong", 1+len(many.Others), err)
	}
	far := PDU{Type: Download, Content: "song", Part: PartChunk, Chunk: MaxChunks + 1}
	if _, err := (Framed{}).Append(nil, &far); !errors.Is(err, ErrMalformed) {
		t.Errorf("chunk beyond MaxChunks: got %v, want ErrMalformed", err)
	}
	bad := PDU{Type: Deregister, Peer: "bob", Content: "song", Part: PartManifest}
	if _, err := (Framed{}).Append(nil, &bad); !errors.Is(err, ErrMalformed) {
		t.Errorf("T with a part: got %v, want ErrMalformed", err)
	}
	if err := (Framed{}).Decode([]byte("D\x0a\x03bob\x04song\x07"), Request, &PDU{}); !errors.Is(err, ErrMalformed) {
		t.Errorf("D with part 7: got %v, want ErrMalformed", err)
	}
}

// FuzzManifest checks the manifest decoder on any bytes: it never panics,
// never allocates more sums than the bytes carry, and a manifest it accepts
// is consistent (its root matches its sums) and encodes back to the same
// bytes.
func FuzzManifest(f *testing.F) {
	for _, size := range []int64{0, 1, 3*MinChunkSize + 5} {
		_, m := testManifest(f, size, MinChunkSize)
		b, err := m.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("NLMF\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Manifest
		if err := m.UnmarshalBinary(b); err != nil {
			return
		}
		if 32*len(m.Sums) > len(b) {
			t.Fatalf("%d sums from %d bytes", len(m.Sums), len(b))
		}
		var total int64
		for i := range m.Chunks() {
			_, n := m.Chunk(i)
			if n <= 0 || n > m.ChunkSize {
				t.Fatalf("chunk %d of %d bytes", i, n)
			}
			total += int64(n)
		}
		if total != m.Size {
			t.Fatalf("chunks cover %d of %d bytes", total, m.Size)
		}
		again, err := m.MarshalBinary()
		if err != nil || !bytes.Equal(again, b) {
			t.Fatalf("accepted %x re-encodes as %x (%v)", b, again, err)
		}
	})
}

func TestClassicRefusesPartsAndHolders(t *testing.T) {
	a := netip.MustParseAddrPort("127.0.0.1:5001")
	for _, p := range []PDU{
		{Type: Download, Peer: "bob", Content: "song", Part: PartManifest},
		{Type: Search, Reply: true, Addr: a, Others: []netip.AddrPort{a}},
	} {
		if _, err := (Classic{}).Append(nil, &p); !errors.Is(err, ErrMalformed) {
			t.Errorf("%+v: got %v, want ErrMalformed", p, err)
		}
	}
}
