package capture

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// feedStream gives stream to a fresh decoder's TCP reassembly as segments
// cut at the given points, from 10.0.0.1:40000 to 10.0.0.2:port, and
// returns the application facts and the rows of every segment.
func feedStream(stream []byte, port uint16, cuts []int) ([]appFact, [][]proto) {
	d := newFrameDecoder(newFlowTable(16), newStreamTable(16))
	var ip tap
	copy(ip.src[:], []byte{10, 0, 0, 1})
	copy(ip.dst[:], []byte{10, 0, 0, 2})
	flow := &flowRef{}
	var facts []appFact
	var rows [][]proto
	seq, prev := uint32(1000), 0
	for _, c := range append(cuts, len(stream)) {
		if c <= prev || c > len(stream) {
			continue
		}
		d.path, d.apps = d.path[:0], d.apps[:0]
		d.tcpSegment(flow, &ip, 40000, port, seq, false, false, false, stream[prev:c])
		facts = append(facts, d.apps...)
		rows = append(rows, append([]proto(nil), d.path...))
		seq += uint32(c - prev)
		prev = c
	}
	return facts, rows
}

// messages keeps the facts of complete messages (requests, responses,
// ClientHellos), which must not depend on how the stream was cut.
func messages(facts []appFact) []appFact {
	var out []appFact
	for _, f := range facts {
		if f.kind != factHTTPOther {
			out = append(out, f)
		}
	}
	return out
}

// isSubsequence reports whether every element of a appears in b, in order.
func isSubsequence(a, b []appFact) bool {
	j := 0
	for i := 0; i < len(b) && j < len(a); i++ {
		if reflect.DeepEqual(a[j], b[i]) {
			j++
		}
	}
	return j == len(a)
}

func cutsFrom(b []byte, n int) []int {
	var cuts []int
	for i := 0; i+1 < len(b); i += 2 {
		cuts = append(cuts, int(binary.BigEndian.Uint16(b[i:]))%(n+1))
	}
	// increasing order
	for i := 1; i < len(cuts); i++ {
		for j := i; j > 0 && cuts[j] < cuts[j-1]; j-- {
			cuts[j], cuts[j-1] = cuts[j-1], cuts[j]
		}
	}
	return cuts
}

// FuzzHTTPReassembly: an HTTP/1.x byte stream yields the same requests and
// responses however TCP cut it into segments, and never more rows than
// segments. A stream that holds bytes which are no HTTP message is the
// exception Wireshark makes too: after such bytes the dissector looks for a
// new message at the start of each segment, so a cut there can find one
// that the unsegmented stream hid; cutting still never loses a message.
func FuzzHTTPReassembly(f *testing.F) {
	f.Add([]byte("GET / HTTP/1.1\r\nHost: a\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello"), []byte{0, 7, 0, 40})
	f.Add([]byte("POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /y HTTP/1.0\r\n\r\n"), []byte{0, 50, 0, 60})
	f.Add([]byte("HTTP/1.1 200 OK\r\n\r\nbody to the end"), []byte{0, 3})
	f.Fuzz(func(t *testing.T, stream, cutBytes []byte) {
		if len(stream) > 1<<16 {
			return
		}
		whole, _ := feedStream(stream, 80, nil)
		split, rows := feedStream(stream, 80, cutsFrom(cutBytes, len(stream)))
		if len(messages(whole)) == len(whole) {
			assert.Equal(t, messages(whole), messages(split), "the messages do not depend on the segmentation")
		} else {
			assert.True(t, isSubsequence(messages(whole), messages(split)),
				"cutting a stream with non-HTTP bytes loses no message: whole %v, cut %v", messages(whole), messages(split))
		}
		for _, r := range rows {
			assert.LessOrEqual(t, len(r), 3, "http, a media type and tcp.segments at most")
		}
	})
}

// FuzzTLSReassembly: the number of TLS records completed, and the
// ClientHellos read, do not depend on the segmentation.
func FuzzTLSReassembly(f *testing.F) {
	f.Add(buildClientHello("example.test", "h2"), []byte{0, 3, 0, 9})
	f.Add([]byte{23, 3, 3, 0, 2, 'h', 'i', 23, 3, 3, 0, 1, 'x'}, []byte{0, 6})
	f.Fuzz(func(t *testing.T, stream, cutBytes []byte) {
		if len(stream) > 1<<17 {
			return
		}
		count := func(rows [][]proto) (n int) {
			for _, r := range rows {
				for _, p := range r {
					if p == protoTLS {
						n++
					}
				}
			}
			return n
		}
		wf, wr := feedStream(stream, 443, nil)
		sf, sr := feedStream(stream, 443, cutsFrom(cutBytes, len(stream)))
		if count(wr) == 0 {
			assert.Zero(t, count(sr), "no record in the whole stream, none in its pieces")
		}
		// A ClientHello is read when its record's first segment holds it
		// all; cutting can only lose it, never invent one.
		assert.LessOrEqual(t, len(messages(sf)), len(messages(wf)))
	})
}

// FuzzChunked: the chunk scanner consumes the same body, byte by byte or
// at once.
func FuzzChunked(f *testing.F) {
	f.Add([]byte("4\r\nWiki\r\n5;x=1\r\npedia\r\n0\r\nTrailer: t\r\n\r\nrest"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var one chunkScanner
		n1 := one.feed(b)
		var bytewise chunkScanner
		n2 := 0
		for i := 0; i < len(b) && bytewise.state != chunkDone; i++ {
			n2 += bytewise.feed(b[i : i+1])
		}
		require.Equal(t, one.state == chunkDone, bytewise.state == chunkDone)
		if one.state == chunkDone {
			assert.Equal(t, n1, n2, "bytes consumed")
			assert.Equal(t, one.n, bytewise.n, "body bytes")
			assert.LessOrEqual(t, one.n, n1)
		}
	})
}

// FuzzClientHello: parsing never panics, and what it returns is in the input.
func FuzzClientHello(f *testing.F) {
	f.Add(buildClientHello("www.example.test", "http/1.1")[5:])
	f.Fuzz(func(t *testing.T, b []byte) {
		sni, alpn, ok := parseClientHello(b)
		if !ok {
			assert.Empty(t, sni)
			return
		}
		assert.True(t, bytes.Contains(b, []byte(sni)))
		for _, p := range bytes.Split([]byte(alpn), []byte(",")) {
			assert.True(t, bytes.Contains(b, p))
		}
	})
}

// FuzzHeuristics: the heuristics never panic, and what they accept has the
// shape they promise.
func FuzzHeuristics(f *testing.F) {
	f.Add([]byte{0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0})
	f.Add([]byte("GET / HTTP/1.1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if quicHeuristic(b) {
			assert.Equal(t, byte(0xc0), b[0]&0xc0)
			assert.LessOrEqual(t, int(b[5]), 20)
		}
		if httpHeuristic(b) {
			assert.True(t, bytes.HasPrefix(b, []byte("HTTP/1.")) || bytes.Contains(b[:bytes.IndexByte(b, '\n')+1], []byte(" HTTP/1.")))
		}
		if tlsHeuristic(b) {
			assert.Equal(t, byte(22), b[0])
		}
		if dnsHeuristic(b) {
			assert.Equal(t, uint16(1), binary.BigEndian.Uint16(b[4:]), "one question")
		}
		if m, ok := parseHTTPHeader(b, nil); ok && m.request {
			assert.NotEmpty(t, m.method)
		}
	})
}

// buildClientHello writes a minimal TLS record holding a ClientHello with
// one server name and one ALPN protocol (RFC 8446 section 4.1.2).
func buildClientHello(sni, alpn string) []byte {
	u16 := func(n int) []byte { return []byte{byte(n >> 8), byte(n)} }
	name := append(append([]byte{0}, u16(len(sni))...), sni...)
	sniExt := append(append(u16(0), u16(len(name)+2)...), append(u16(len(name)), name...)...)
	list := append([]byte{byte(len(alpn))}, alpn...)
	alpnExt := append(append(u16(16), u16(len(list)+2)...), append(u16(len(list)), list...)...)
	exts := append(sniExt, alpnExt...)
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...) // random
	body = append(body, 0)                   // session id
	body = append(body, 0, 2, 0x13, 0x01)    // one cipher suite
	body = append(body, 1, 0)                // compression: null
	body = append(append(body, u16(len(exts))...), exts...)
	hs := append([]byte{1, 0, byte(len(body) >> 8), byte(len(body))}, body...)
	return append(append([]byte{22, 3, 1}, u16(len(hs))...), hs...)
}

// clientHelloRecord captures the first TLS record crypto/tls sends.
func clientHelloRecord(tb testing.TB, sni string, alpn []string) []byte {
	tb.Helper()
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	go func() {
		cl := tls.Client(c1, &tls.Config{ServerName: sni, NextProtos: alpn, InsecureSkipVerify: true})
		_ = cl.Handshake()
	}()
	hdr := make([]byte, 5)
	_, err := c2.Read(hdr)
	require.NoError(tb, err)
	body := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
	for n := 0; n < len(body); {
		m, err := c2.Read(body[n:])
		require.NoError(tb, err)
		n += m
	}
	return append(hdr, body...)
}

func TestClientHelloSNIAndALPN(t *testing.T) {
	sni, alpn, ok := parseClientHello(buildClientHello("a.test", "h3")[5:])
	require.True(t, ok)
	assert.Equal(t, "a.test", sni)
	assert.Equal(t, "h3", alpn)
	rec := clientHelloRecord(t, "www.example.test", []string{"h2", "http/1.1"})
	sni, alpn, ok = parseClientHello(rec[5:])
	require.True(t, ok)
	assert.Equal(t, "www.example.test", sni)
	assert.Equal(t, "h2,http/1.1", alpn)
	assert.True(t, tlsHeuristic(rec))
	// Cut in three, on an odd port: found by the heuristic (the first
	// segment holds the record header and the handshake type), the record
	// counted once, in the segment that completes it, with tcp.segments.
	facts, rows := feedStream(rec, 9443, []int{10, 100})
	require.Len(t, rows, 3)
	assert.Empty(t, rows[0])
	assert.Empty(t, rows[1])
	assert.Equal(t, []proto{protoTLS, protoTCPSegments}, rows[2])
	assert.Empty(t, facts, "a ClientHello cut before its end is not read")
	facts, rows = feedStream(rec, 9443, nil)
	assert.Equal(t, []proto{protoTLS}, rows[0])
	require.Len(t, facts, 1)
	assert.Equal(t, "www.example.test", facts[0].host)
}

func TestHTTPReassemblyRows(t *testing.T) {
	stream := []byte("HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 10\r\n\r\n0123456789")
	_, rows := feedStream(stream, 8931, []int{20, 70})
	assert.Equal(t, [][]proto{nil, nil, {protoHTTP, protoPNG, protoTCPSegments}}, rows, "counted once, in the segment that completes it")
	_, rows = feedStream(stream, 8931, nil)
	assert.Equal(t, [][]proto{{protoHTTP, protoPNG}}, rows)
	// Not HTTP, not on an HTTP port: data.
	_, rows = feedStream([]byte("hello there"), 8931, nil)
	assert.Equal(t, [][]proto{{protoData}}, rows)
}

func udp4(t testing.TB, sport, dport layers.UDPPort, payload []byte) []byte {
	eth := &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: ipA, DstIP: ipB}
	udp := &layers.UDP{SrcPort: sport, DstPort: dport}
	require.NoError(t, udp.SetNetworkLayerForChecksum(ip))
	buf := gopacket.NewSerializeBuffer()
	require.NoError(t, gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, udp, gopacket.Payload(payload)))
	return buf.Bytes()
}

// TestQUICAndDNSHeuristics puts a QUIC v1 Initial on an odd UDP port and on
// 443, a DNS query on an odd port, and noise; the rows must be tshark's
// (checked live when tshark is installed).
func TestQUICAndDNSHeuristics(t *testing.T) {
	initial := []byte{0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x44, 0xd0}
	initial = append(initial, bytes.Repeat([]byte{0x5a}, 1200-len(initial))...)
	dnsQ := udpDNS(t, macA, macB, ipA, ipB, 5000, 53)[14+20+8:]
	file := writePcap(t, layers.LinkTypeEthernet,
		frame{data: udp4(t, 50000, 4433, initial)},
		frame{data: udp4(t, 50001, 443, initial)},
		frame{data: udp4(t, 50002, 5300, dnsQ)},
		frame{data: udp4(t, 50003, 5301, []byte("just some bytes, not a protocol"))})
	a, err := analyze(t, file)
	require.NoError(t, err)
	udp := a.Hierarchy().Lookup("eth", "ip", "udp")
	require.NotNil(t, udp)
	got := map[string]uint64{}
	for _, c := range udp.Children {
		got[c.Name] = c.Frames
	}
	assert.Equal(t, map[string]uint64{"quic": 2, "dns": 1, "data": 1}, got)

	tshark := testenv.LookPath(t, "tshark", "apt-get install tshark")
	path := filepath.Join(t.TempDir(), "heur.pcap")
	require.NoError(t, os.WriteFile(path, file, 0o644))
	out, err := exec.Command(tshark, "-n", "-r", path, "-q", "-z", "io,phs").Output()
	require.NoError(t, err)
	var phs bytes.Buffer
	require.NoError(t, a.Hierarchy().WritePHS(&phs))
	assert.Equal(t, string(out), phs.String(), "tshark's io,phs")
}

// A stats tree stays bounded: past 10,000 distinct names under one row,
// the rest are counted together.
func TestStatTreeBounded(t *testing.T) {
	var tr StatTree
	root := tr.root("Queries by name")
	for i := 0; i < 12_000; i++ {
		root.tick(&tr, int64(i)).child(fmt.Sprintf("host%d.example", i)).tick(&tr, int64(i))
	}
	root.child("host5.example").tick(&tr, 1) // found again, by the index
	assert.Len(t, root.Children, 10_001)
	assert.Equal(t, uint64(2), root.child("host5.example").Count)
	assert.Equal(t, uint64(2000), root.child(otherRows).Count)
}
