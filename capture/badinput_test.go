package capture

import (
	"bytes"
	"context"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func twoFramePcap(t testing.TB) []byte {
	d := udpDNS(t, macA, macB, ipA, ipB, 5000, 53)
	return writePcap(t, layers.LinkTypeEthernet, frame{data: d}, frame{data: d})
}

func twoFramePcapNG(t testing.TB) []byte {
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	require.NoError(t, err)
	d := udpDNS(t, macA, macB, ipA, ipB, 5000, 53)
	for i := 0; i < 2; i++ {
		require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: t0, CaptureLength: len(d), Length: len(d)}, d))
	}
	require.NoError(t, w.Flush())
	return buf.Bytes()
}

// ngBlocks returns the offsets of the blocks of a little-endian pcapng file.
func ngBlocks(b []byte) []int {
	var offs []int
	for off := 0; off+8 <= len(b); {
		offs = append(offs, off)
		off += int(binary.LittleEndian.Uint32(b[off+4:]))
	}
	return offs
}

func TestBadInputNamesTheOffset(t *testing.T) {
	pc := twoFramePcap(t)
	ng := twoFramePcapNG(t)
	blocks := ngBlocks(ng)
	require.GreaterOrEqual(t, len(blocks), 4, "SHB, IDB, two EPBs")
	lastEPB := blocks[len(blocks)-1]
	rec2 := 24 + 16 + (len(pc)-24)/2 - 16 // offset of the second pcap record

	mut := func(src []byte, f func(b []byte) []byte) []byte { return f(append([]byte(nil), src...)) }
	cases := []struct {
		name    string
		file    []byte
		frames  int    // frames read before the error
		want    error  // ErrTruncated or ErrCorrupt
		wantMsg string // must appear in the error
	}{
		{"empty file", nil, 0, ErrTruncated, "offset 0"},
		{"random bytes", []byte("this is not a capture file at all"), 0, ErrCorrupt, "offset 0"},
		{"pcap header cut", pc[:10], 0, ErrTruncated, "pcap file header at offset 0"},
		{"pcap bad version", mut(pc, func(b []byte) []byte { b[4] = 9; return b }), 0, ErrCorrupt, "offset 0"},
		{"pcap record cut", pc[:len(pc)-5], 1, ErrTruncated, "pcap record at offset " + itoa(rec2)},
		{"pcap record header cut", pc[:rec2+7], 1, ErrTruncated, "pcap record at offset " + itoa(rec2)},
		{"pcap huge caplen", mut(pc, func(b []byte) []byte { binary.LittleEndian.PutUint32(b[rec2+8:], 1<<31); return b }), 1, ErrCorrupt, "offset " + itoa(rec2)},
		{"pcap caplen over length", mut(pc, func(b []byte) []byte { binary.LittleEndian.PutUint32(b[rec2+12:], 3); return b }), 1, ErrCorrupt, "offset " + itoa(rec2)},
		{"pcapng bad byte order", mut(ng, func(b []byte) []byte { b[8] = 0; return b }), 0, ErrCorrupt, "section header block at offset 0"},
		{"pcapng cut", ng[:len(ng)-3], 1, ErrTruncated, "offset " + itoa(lastEPB)},
		{"pcapng zero block length", mut(ng, func(b []byte) []byte { binary.LittleEndian.PutUint32(b[lastEPB+4:], 0); return b }), 1, ErrCorrupt, "offset " + itoa(lastEPB)},
		{"pcapng odd block length", mut(ng, func(b []byte) []byte { binary.LittleEndian.PutUint32(b[lastEPB+4:], 33); return b }), 1, ErrCorrupt, "offset " + itoa(lastEPB)},
		{"pcapng huge block length", mut(ng, func(b []byte) []byte { binary.LittleEndian.PutUint32(b[lastEPB+4:], 0xfffffff0); return b }), 1, ErrCorrupt, "offset " + itoa(lastEPB)},
		{"pcapng trailer differs", mut(ng, func(b []byte) []byte { b[len(b)-4]++; return b }), 1, ErrCorrupt, "offset " + itoa(lastEPB)},
		{"pcapng caplen beyond block", mut(ng, func(b []byte) []byte { binary.LittleEndian.PutUint32(b[lastEPB+20:], 5000); return b }), 1, ErrCorrupt, "offset " + itoa(lastEPB)},
		{"pcapng unknown interface", mut(ng, func(b []byte) []byte { binary.LittleEndian.PutUint32(b[lastEPB+8:], 9); return b }), 1, ErrCorrupt, "offset " + itoa(lastEPB)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := analyze(t, c.file)
			require.Error(t, err)
			assert.ErrorIs(t, err, c.want)
			assert.Contains(t, err.Error(), c.wantMsg)
			assert.Equal(t, uint64(c.frames), a.Summary().Frames, "frames before the damage still count")
		})
	}
}

func itoa(i int) string { return string(bytes.TrimSpace([]byte(fmtInt(i)))) }

func fmtInt(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestMalformedFramesAreCounted(t *testing.T) {
	d := udpDNS(t, macA, macB, ipA, ipB, 5000, 53)
	zero := frame{data: []byte{}}
	short := frame{data: d[:10]}
	badDNS := append(append([]byte(nil), d[:42]...), 0xff, 0xff, 0xff)
	// Fix the IPv4 and UDP lengths of the garbage DNS so only DNS fails.
	binary.BigEndian.PutUint16(badDNS[16:], uint16(len(badDNS)-14))
	binary.BigEndian.PutUint16(badDNS[38:], uint16(len(badDNS)-34))
	file := writePcap(t, layers.LinkTypeEthernet, zero, short, frame{data: badDNS}, frame{data: d})
	a, err := analyze(t, file)
	require.NoError(t, err)
	s := a.Summary()
	assert.Equal(t, uint64(4), s.Frames)
	assert.Equal(t, uint64(3), s.Malformed)
	h := a.Hierarchy()
	assert.Equal(t, uint64(2), h.Lookup("eth", "_ws.malformed").Frames, "the empty and the 10-byte frame")
	assert.Equal(t, uint64(1), h.Lookup("eth", "ip", "udp", "dns", "_ws.malformed").Frames)
	assert.Equal(t, uint64(2), h.Lookup("eth", "ip", "udp", "dns").Frames, "a broken DNS message still is a dns row, as in Wireshark")
}

func TestRandomBytesNeverPanic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seeds := [][]byte{twoFramePcap(t), twoFramePcapNG(t)}
	for i := 0; i < 2000; i++ {
		b := append([]byte(nil), seeds[i%2]...)
		for j := 0; j < 1+rng.IntN(8); j++ {
			b[rng.IntN(len(b))] = byte(rng.Uint32())
		}
		if rng.IntN(4) == 0 {
			b = b[:rng.IntN(len(b))]
		}
		a, err := analyze(t, b)
		if err != nil {
			if !assert.Contains(t, err.Error(), "offset", "every read error names the offset") {
				t.Logf("%T %d %x", err, len(b), b[:min(len(b), 48)])
			}
		}
		// A changed length can split the rest into more records, each at
		// least a 16-byte header (pcap) or a 12-byte block (pcapng).
		assert.LessOrEqual(t, a.Summary().Frames, uint64(len(b)/12))
	}
	for i := 0; i < 500; i++ {
		b := make([]byte, rng.IntN(200))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		a, _ := New(DefaultConfig())
		for _, lt := range []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeNull, layers.LinkTypeLinuxSLL, layers.LinkTypeRaw} {
			a.Add(Packet{Data: b, Length: len(b), LinkType: lt})
		}
	}
}

// threeFrames returns a pcap and a pcapng file of three frames each, and
// the offsets of each file's second record or block.
func threeFrames(t *testing.T) (pc []byte, pcRec2 int, ng []byte, ngEPB2 int) {
	d := udpDNS(t, macA, macB, ipA, ipB, 5000, 53)
	pc = writePcap(t, layers.LinkTypeEthernet, frame{data: d}, frame{data: d}, frame{data: d})
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		require.NoError(t, w.WritePacket(gopacket.CaptureInfo{Timestamp: t0, CaptureLength: len(d), Length: len(d)}, d))
	}
	require.NoError(t, w.Flush())
	blocks := ngBlocks(buf.Bytes())
	return pc, 24 + 16 + len(d), buf.Bytes(), blocks[len(blocks)-2]
}

// With Config.SkipDamaged a damaged record in the middle costs that record
// only, and a damaged end ends the file; Summary.Skipped says how many.
func TestSkipDamaged(t *testing.T) {
	pc, rec2, ng, epb2 := threeFrames(t)
	mut := func(src []byte, f func(b []byte)) []byte { b := append([]byte(nil), src...); f(b); return b }
	cases := []struct {
		name             string
		file             []byte
		frames, skipped  uint64
		failsWithoutSkip error
	}{
		{"pcap caplen over length", mut(pc, func(b []byte) { binary.LittleEndian.PutUint32(b[rec2+12:], 3) }), 2, 1, ErrCorrupt},
		{"pcap huge caplen", mut(pc, func(b []byte) { binary.LittleEndian.PutUint32(b[rec2+8:], 1<<30) }), 2, 1, ErrCorrupt},
		{"pcap cut at the end", pc[:len(pc)-5], 2, 1, ErrTruncated},
		{"pcapng trailer differs", mut(ng, func(b []byte) {
			binary.LittleEndian.PutUint32(b[epb2+int(binary.LittleEndian.Uint32(b[epb2+4:]))-4:], 7)
		}), 2, 1, ErrCorrupt},
		{"pcapng unknown interface", mut(ng, func(b []byte) { binary.LittleEndian.PutUint32(b[epb2+8:], 9) }), 2, 1, ErrCorrupt},
		{"pcapng cut at the end", ng[:len(ng)-3], 2, 1, ErrTruncated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := analyze(t, c.file)
			require.ErrorIs(t, err, c.failsWithoutSkip, "without SkipDamaged the damage stops the file")
			cfg := DefaultConfig()
			cfg.SkipDamaged = true
			a, err := New(cfg)
			require.NoError(t, err)
			r, err := NewReader(bytes.NewReader(c.file), 0)
			require.NoError(t, err)
			require.NoError(t, a.ReadFrom(context.Background(), r))
			assert.Equal(t, c.frames, a.Summary().Frames, "frames")
			assert.Equal(t, c.skipped, a.Summary().Skipped, "skipped")
		})
	}
}

// A pcapng block of a type this reader does not know is skipped, as the
// format asks (draft-ietf-opsawg-pcapng section 3.1); a damaged one is an
// error naming its offset.
func TestPcapNGUnknownBlockType(t *testing.T) {
	ng := twoFramePcapNG(t)
	blocks := ngBlocks(ng)
	at := blocks[2] // before the first packet
	// Type 0x1234 is none yet (0xBAD, a custom block, is a frame of its
	// own: custom_block_test.go).
	unknown := []byte{0x34, 0x12, 0, 0, 16, 0, 0, 0, 1, 2, 3, 4, 16, 0, 0, 0}
	file := append(append(append([]byte(nil), ng[:at]...), unknown...), ng[at:]...)
	a, err := analyze(t, file)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), a.Summary().Frames)

	bad := append([]byte(nil), file...)
	bad[at+12] = 20 // trailing length differs
	_, err = analyze(t, bad)
	require.ErrorIs(t, err, ErrCorrupt)
	assert.ErrorContains(t, err, "pcapng block type 0x1234 at offset "+itoa(at))
}
