package capture

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
)

// twinDecoders decodes the same frames twice, with decodeFast and with the
// DecodingLayerParser alone, each with its own flow table and streams.
type twinDecoders struct {
	fast, parser *frameDecoder
	taken        int // frames decodeFast took
}

func newTwinDecoders(payloads bool) *twinDecoders {
	mk := func() *frameDecoder {
		var st *streamTable
		if payloads {
			st = newStreamTable(DefaultConfig().MaxStreams)
		}
		return newFrameDecoder(newFlowTable(DefaultConfig().MaxConversations), st)
	}
	tw := &twinDecoders{fast: mk(), parser: mk()}
	tw.parser.parserOnly = true
	return tw
}

// check decodes one frame both ways and fails t where they differ.
func (tw *twinDecoders) check(t testing.TB, data []byte, lt layers.LinkType, truncated bool) {
	t.Helper()
	// Each path gets its own copy: a decoder must not depend on bytes
	// past the frame, nor change the frame.
	a, b := bytes.Clone(data), bytes.Clone(data)
	// The parser empties decoded: a mark left there says decodeFast took
	// the frame.
	const mark = gopacket.LayerType(9999)
	tw.fast.decoded = append(tw.fast.decoded[:0], mark)
	ma := tw.fast.decode(a, lt, truncated)
	if len(tw.fast.decoded) == 1 && tw.fast.decoded[0] == mark {
		tw.taken++
	}
	mb := tw.parser.decode(b, lt, truncated)
	if ma != mb || !reflect.DeepEqual(tw.fast.path, tw.parser.path) || !reflect.DeepEqual(tw.fast.taps, tw.parser.taps) ||
		!reflect.DeepEqual(tw.fast.apps, tw.parser.apps) {
		t.Fatalf("frame % x (link type %d):\nfast:   malformed %v path %v taps %+v apps %+v\nparser: malformed %v path %v taps %+v apps %+v",
			data, lt, ma, tw.fast.path, tw.fast.taps, tw.fast.apps, mb, tw.parser.path, tw.parser.taps, tw.parser.apps)
	}
}

// TestDecodeFastMatchesParser decodes every frame of the test captures, the
// shared samples and two generated mixes both ways, with and without
// payload dissection, and requires the same rows, taps and facts.
func TestDecodeFastMatchesParser(t *testing.T) {
	var gen, flows bytes.Buffer
	if _, err := Generate(&gen, GenerateConfig{Hosts: 20, Frames: 20_000, PayloadSize: 1400, Seed: 3, Gap: time.Microsecond}); err != nil {
		t.Fatal(err)
	}
	if err := writeManyFlows(&flows, 20_000, 500); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"generated": gen.Bytes(), "many flows": flows.Bytes()}
	paths, _ := filepath.Glob(filepath.Join("testdata", "*.pcap*"))
	if dir := sharedCaptures(t); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "*.pcap*"))
		paths = append(paths, more...)
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = b
	}
	for name, file := range files {
		for _, payloads := range []bool{true, false} {
			tw := newTwinDecoders(payloads)
			r, err := NewReader(bytes.NewReader(file), 0)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			n := 0
			for ; ; n++ {
				p, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				tw.check(t, p.Data, p.LinkType, p.Truncated())
			}
			t.Logf("%s (payloads %v): %d of %d frames on the fast path", name, payloads, tw.taken, n)
			if (name == "generated" || name == "many flows") && tw.taken < n/2 {
				t.Errorf("%s: only %d of %d frames took the fast path", name, tw.taken, n)
			}
		}
	}
}

// FuzzDecodeFast decodes two frames in a row (the second may continue the
// first one's TCP stream) both ways: decodeFast must give what the parser
// gives, whatever the bytes.
func FuzzDecodeFast(f *testing.F) {
	http := []byte("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nab")
	req := tcp4(f, macA, macB, ipA, ipB, 40000, 8080, http)
	f.Add(req, tcp4(f, macA, macB, ipA, ipB, 40000, 8080, []byte("cd")), true)
	f.Add(udpDNS(f, macA, macB, ipA, ipB, 5000, 53), udpDNS(f, macB, macA, ipB, ipA, 53, 5000), true)
	f.Add(udpDNS(f, macA, macB, ipA, ipB, 5000, 5353), vlanUDP(f), false)
	f.Add(tcp4(f, macA, macB, ipA, ipB, 1, 53, []byte{0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}), req, true)
	tls := tcp4(f, macA, macB, ipA, ipB, 40001, 4443, []byte{22, 3, 1, 0, 4, 1, 0, 0, 0})
	f.Add(tls, tls[:len(tls)-3], true)
	f.Add(tcp6(f, 40000, 443), tcp6(f, 443, 40000), true)
	f.Add(icmp6HopByHop(f), tcp6(f, 53, 1), false)
	f.Fuzz(func(t *testing.T, a, b []byte, payloads bool) {
		tw := newTwinDecoders(payloads)
		for _, fr := range [][]byte{a, b, a} {
			tw.check(t, fr, layers.LinkTypeEthernet, false)
			tw.check(t, fr, layers.LinkTypeEthernet, true)
		}
	})
}

// BenchmarkDecodeFast decodes the first 300,000 frames of each 1 GB mix of
// BenchmarkTrafficMix, held in memory, with the DecodingLayerParser alone
// and with decodeFast (payload dissection and reassembly on), the two in
// turn five times with fresh decoders, and reports the fastest round of
// each in CPU ns per frame and their ratio. Decoding is the reading
// goroutine's work in ReadFrom, which is the slower of the two.
func BenchmarkDecodeFast(b *testing.B) {
	if testing.Short() {
		b.Skip("writes 1 GB files")
	}
	for _, m := range []struct{ name, path string }{
		{"few-flows", benchFile(b, 2_450_000, 1400)},
		{"120k-flows", manyFlowsFile(b, 3_300_000, 120_000)},
	} {
		b.Run(m.name, func(b *testing.B) {
			pkts := loadFrames(b, m.path, 300_000)
			for i := 0; i < b.N; i++ {
				best := [2]float64{math.Inf(1), math.Inf(1)}
				for round := 0; round < 10; round++ {
					parserOnly := round%2 == 0
					d := newFrameDecoder(newFlowTable(DefaultConfig().MaxConversations), newStreamTable(DefaultConfig().MaxStreams))
					d.parserOnly = parserOnly
					r := measure(func() uint64 {
						for j := range pkts {
							d.decode(pkts[j].Data, pkts[j].LinkType, false)
						}
						return uint64(len(pkts))
					})
					k := 0
					if parserOnly {
						k = 1
					}
					best[k] = min(best[k], 1e9/r.cpu())
				}
				b.ReportMetric(best[0], "ns/frame_fast")
				b.ReportMetric(best[1], "ns/frame_parser")
				b.ReportMetric(best[1]/best[0], "x_parser")
			}
		})
	}
}

// loadFrames reads the first n frames of path into memory.
func loadFrames(b *testing.B, path string, n int) []Packet {
	r, err := OpenFile(path, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	var pkts []Packet
	for len(pkts) < n {
		p, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		p.Data = bytes.Clone(p.Data)
		pkts = append(pkts, p)
	}
	return pkts
}
