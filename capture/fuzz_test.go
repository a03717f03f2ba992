package capture

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// FuzzReader feeds arbitrary files to the reader and the analyzer: any
// input must end in io.EOF or an error that names an offset, never a panic.
func FuzzReader(f *testing.F) {
	f.Add(twoFramePcap(f))
	f.Add(twoFramePcapNG(f))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(twoFramePcap(f))
	_ = zw.Close()
	f.Add(gz.Bytes())
	var gen bytes.Buffer
	if _, err := Generate(&gen, GenerateConfig{Hosts: 3, Frames: 20, PayloadSize: 64, Seed: 1}); err != nil {
		f.Fatal(err)
	}
	f.Add(gen.Bytes())
	if dir := sharedCaptures(f); dir != "" {
		for _, name := range []string{"gopacket_test202.pcapng", "gopacket_test_dns.pcap", "tcpdump_icmpv6.pcap"} {
			if b, err := os.ReadFile(filepath.Join(dir, name)); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte{})
	f.Add([]byte("\x0a\x0d\x0d\x0a"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), 4096)
		if err != nil {
			if !strings.Contains(err.Error(), "offset") {
				t.Fatalf("open error without an offset: %v", err)
			}
			return
		}
		a, _ := New(DefaultConfig())
		var readErr error
		var pkts []Packet
		for i := 0; ; i++ {
			p, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				if !strings.Contains(err.Error(), "offset") {
					t.Fatalf("read error without an offset: %v", err)
				}
				readErr = err
				break
			}
			if len(p.Data) > 4096 || p.Offset < 0 || p.Offset >= int64(len(data)) && !(len(data) > 1 && data[0] == 0x1f) {
				t.Fatalf("packet %d: %d bytes at offset %d of a %d-byte file", i, len(p.Data), p.Offset, len(data))
			}
			a.Add(p)
			p.Data = append([]byte(nil), p.Data...)
			pkts = append(pkts, p)
		}
		// A pcap file's records, which the Reader takes straight from
		// the framer, are what pcapgo reads from the same bytes.
		if r.Format() == FormatPcap {
			pg, err := pcapgo.NewReader(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("pcapgo cannot open what the Reader opened: %v", err)
			}
			pg.SetSnaplen(4096)
			for i, p := range pkts {
				d, ci, err := pg.ReadPacketData()
				if err != nil {
					t.Fatalf("packet %d: pcapgo: %v", i, err)
				}
				if !bytes.Equal(d, p.Data) || !ci.Timestamp.Equal(p.Timestamp) || ci.Length != p.Length {
					t.Fatalf("packet %d: Reader %d bytes of %d at %v, pcapgo %d of %d at %v", i, len(p.Data), p.Length, p.Timestamp, len(d), ci.Length, ci.Timestamp)
				}
			}
		}
		_ = a.Hierarchy().WritePHS(io.Discard)
		for _, k := range ConvKinds() {
			_ = WriteConversations(io.Discard, k, a.Conversations(k))
		}
		// ReadFrom, which reads and decodes on a goroutine of its own,
		// counts the same and fails with the same error.
		r2, err := NewReader(bytes.NewReader(data), 4096)
		if err != nil {
			t.Fatalf("second open: %v", err)
		}
		b, _ := New(DefaultConfig())
		err = b.ReadFrom(context.Background(), r2)
		if fmt.Sprint(err) != fmt.Sprint(readErr) {
			t.Fatalf("ReadFrom error %v, Next error %v", err, readErr)
		}
		if a.Summary() != b.Summary() {
			t.Fatalf("ReadFrom summary %+v, Next and Add %+v", b.Summary(), a.Summary())
		}
		// Skipping damaged records never loses the frames before the
		// first damage, and skips only when there was damage.
		r3, err := NewReader(bytes.NewReader(data), 4096)
		if err != nil {
			t.Fatalf("third open: %v", err)
		}
		cfg := DefaultConfig()
		cfg.SkipDamaged = true
		c, _ := New(cfg)
		skipErr := c.ReadFrom(context.Background(), r3)
		if c.Summary().Frames < a.Summary().Frames {
			t.Fatalf("with SkipDamaged %d frames, without %d", c.Summary().Frames, a.Summary().Frames)
		}
		if readErr == nil && (c.Summary().Skipped != 0 || skipErr != nil) {
			t.Fatalf("an undamaged file: skipped %d, error %v", c.Summary().Skipped, skipErr)
		}
	})
}

// FuzzDecode feeds arbitrary frames to the decoding path for every link
// type it knows: a frame that does not decode is counted as malformed.
func FuzzDecode(f *testing.F) {
	f.Add(udpDNS(f, macA, macB, ipA, ipB, 5000, 53), uint8(0))
	f.Add(tcp4(f, macA, macB, ipA, ipB, 1, 53, []byte{0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}), uint8(0))
	f.Add(icmp6HopByHop(f), uint8(0))
	f.Add(vlanUDP(f), uint8(0))
	f.Add(arpFrame(f), uint8(0))
	f.Add(icmp4(f), uint8(0))
	f.Add(append([]byte{24, 0, 0, 0}, tcp6(f, 1, 2)[14:]...), uint8(1))
	f.Add(udpDNS(f, macA, macB, ipA, ipB, 5000, 53)[14:], uint8(3))
	// MPLS with two labels, a pseudowire control word and an inner frame.
	inner := vlanUDP(f)
	mpls := append([]byte{0, 0, 0x10, 64, 0, 0, 0x21, 64, 0, 0, 0, 0}, inner...)
	f.Add(append(append([]byte(nil), inner[:12]...), append([]byte{0x88, 0x47}, mpls...)...), uint8(0))
	linkTypes := []layers.LinkType{layers.LinkTypeEthernet, layers.LinkTypeNull, layers.LinkTypeLinuxSLL, layers.LinkTypeRaw}
	f.Fuzz(func(t *testing.T, data []byte, lt uint8) {
		a, _ := New(DefaultConfig())
		p := Packet{Data: data, Length: len(data) + int(lt&0x10), LinkType: linkTypes[int(lt)%len(linkTypes)]}
		a.Add(p)
		a.Add(p)
		s := a.Summary()
		if s.Frames != 2 || a.Hierarchy().Root().Frames != 2 {
			t.Fatalf("counted %d frames, want 2", s.Frames)
		}
		for _, k := range ConvKinds() {
			for _, c := range a.Conversations(k) {
				if c.Frames() == 0 || c.Frames() > 4 {
					t.Fatalf("conversation %v with %d frames", c, c.Frames())
				}
			}
		}
		g, err := a.Graph(GraphConfig{TopN: 5, Updates: 2})
		if err != nil {
			t.Fatalf("graph: %v", err)
		}
		if len(g.Nodes) > 5 {
			t.Fatalf("graph of %d devices, want at most TopN 5", len(g.Nodes))
		}
	})
}
