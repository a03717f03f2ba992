package capture_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"github.com/netlab-go/netlab/capture"
)

// writeLittleCapture writes a DNS query and its answer, and a TCP segment,
// to a pcap file in memory.
func writeLittleCapture() []byte {
	client, server := net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}
	cip, sip := net.IP{192, 0, 2, 1}, net.IP{192, 0, 2, 53}
	frame := func(ls ...gopacket.SerializableLayer) []byte {
		buf := gopacket.NewSerializeBuffer()
		_ = gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...)
		return buf.Bytes()
	}
	dns := func(fromClient bool) []byte {
		eth := &layers.Ethernet{SrcMAC: client, DstMAC: server, EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: cip, DstIP: sip}
		udp := &layers.UDP{SrcPort: 40000, DstPort: 53}
		msg := &layers.DNS{ID: 1, RD: true, Questions: []layers.DNSQuestion{{Name: []byte("example.org"), Type: layers.DNSTypeA, Class: layers.DNSClassIN}}}
		if !fromClient {
			eth.SrcMAC, eth.DstMAC = server, client
			ip.SrcIP, ip.DstIP = sip, cip
			udp.SrcPort, udp.DstPort = 53, 40000
			msg.QR = true
		}
		_ = udp.SetNetworkLayerForChecksum(ip)
		return frame(eth, ip, udp, msg)
	}
	eth := &layers.Ethernet{SrcMAC: client, DstMAC: server, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: cip, DstIP: sip}
	tcp := &layers.TCP{SrcPort: 40001, DstPort: 7000, ACK: true, PSH: true, Window: 1024}
	_ = tcp.SetNetworkLayerForChecksum(ip)

	var file bytes.Buffer
	w := pcapgo.NewWriter(&file)
	_ = w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, f := range [][]byte{dns(true), dns(false), frame(eth, ip, tcp, gopacket.Payload("hello"))} {
		_ = w.WritePacket(gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * 10 * time.Millisecond), CaptureLength: len(f), Length: len(f)}, f)
	}
	return file.Bytes()
}

// The protocol hierarchy of a capture, in tshark's io,phs layout.
func Example_protocolHierarchy() {
	r, err := capture.NewReader(bytes.NewReader(writeLittleCapture()), 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	a, _ := capture.New(capture.DefaultConfig())
	if err := a.ReadFrom(context.Background(), r); err != nil {
		fmt.Println(err)
		return
	}
	var out strings.Builder
	_ = a.Hierarchy().WritePHS(&out)
	// tshark's "Filter: " line ends in a space; examples cannot show one.
	fmt.Print(strings.ReplaceAll(out.String(), " \n", "\n"))
	// Output:
	//
	// ===================================================================
	// Protocol Hierarchy Statistics
	// Filter:
	//
	// eth                                      frames:3 bytes:202
	//   ip                                     frames:3 bytes:202
	//     udp                                  frames:2 bytes:142
	//       dns                                frames:2 bytes:142
	//     tcp                                  frames:1 bytes:60
	//       data                               frames:1 bytes:60
	// ===================================================================
}

// Conversations at the IP and UDP layers: A is whoever spoke first.
func ExampleAnalyzer_Conversations() {
	r, _ := capture.NewReader(bytes.NewReader(writeLittleCapture()), 0)
	a, _ := capture.New(capture.DefaultConfig())
	_ = a.ReadFrom(context.Background(), r)
	for _, kind := range []capture.ConvKind{capture.ConvIPv4, capture.ConvUDP} {
		for _, c := range a.Conversations(kind) {
			fmt.Printf("%s %s <-> %s: %d frames A->B, %d frames B->A, %d bytes, dominant %s, for %v\n",
				kind, c.A, c.B, c.AtoBFrames, c.BtoAFrames, c.Bytes(), c.Dominant(false), c.Duration())
		}
	}
	// Output:
	// ip 192.0.2.1 <-> 192.0.2.53: 2 frames A->B, 1 frames B->A, 202 bytes, dominant dns, for 20ms
	// udp 192.0.2.1:40000 <-> 192.0.2.53:53: 1 frames A->B, 1 frames B->A, 142 bytes, dominant dns, for 10ms
}

// A synthetic capture, analysed: the counts agree with what was written.
func ExampleGenerate() {
	var file bytes.Buffer
	st, _ := capture.Generate(&file, capture.GenerateConfig{Hosts: 4, Frames: 1000, Seed: 7})
	r, _ := capture.NewReader(&file, 0)
	a, _ := capture.New(capture.DefaultConfig())
	_ = a.ReadFrom(context.Background(), r)
	for _, name := range []string{"eth", "ip", "ipv6", "tcp", "udp", "dns", "arp", "vlan"} {
		fmt.Printf("%-5s written %4d counted %4d\n", name, st.Protocols[name], a.Hierarchy().Total(name).Frames)
	}
	// Output:
	// eth   written 1000 counted 1000
	// ip    written  724 counted  724
	// ipv6  written  220 counted  220
	// tcp   written  507 counted  507
	// udp   written  311 counted  311
	// dns   written  271 counted  271
	// arp   written   56 counted   56
	// vlan  written   49 counted   49
}

// The HTTP requests of a loopback capture (curl against a local server on
// an odd port, found by the HTTP heuristic), by host and URI, as tshark -z
// http_req,tree counts them.
func ExampleAnalyzer_StatTree() {
	a, _ := capture.New(capture.DefaultConfig())
	if err := a.ReadFile(context.Background(), "testdata/loop_http_dns.pcapng"); err != nil {
		fmt.Println(err)
		return
	}
	var walk func(n *capture.StatNode, depth int)
	walk = func(n *capture.StatNode, depth int) {
		fmt.Printf("%*s%s %d\n", 2*depth, "", n.Name, n.Count)
		for _, c := range n.Children {
			walk(c, depth+1)
		}
	}
	for _, r := range a.StatTree("http_req").Roots {
		walk(r, 0)
	}
	// Output:
	// HTTP Requests by HTTP Host 5
	//   127.0.0.1:8931 2
	//     / 2
	//   www.example.test 2
	//     / 1
	//     /logo.png 1
	//   img.example.test 1
	//     /missing 1
}

// The protocol hierarchy of the same capture: the PNG that spanned several
// TCP segments is counted once, in the frame that completed it, with
// tshark's tcp.segments row.
func ExampleHierarchy_WritePHS() {
	a, _ := capture.New(capture.DefaultConfig())
	if err := a.ReadFile(context.Background(), "testdata/loop_http_dns.pcapng"); err != nil {
		fmt.Println(err)
		return
	}
	var b strings.Builder
	_ = a.Hierarchy().WritePHS(&b)
	for _, line := range strings.Split(b.String(), "\n") {
		fmt.Println(strings.TrimRight(line, " ")) // tshark ends "Filter: " with a space
	}
	// Output:
	// ===================================================================
	// Protocol Hierarchy Statistics
	// Filter:
	//
	// eth                                      frames:90 bytes:168273
	//   ip                                     frames:90 bytes:168273
	//     tcp                                  frames:78 bytes:167127
	//       http                               frames:10 bytes:34180
	//         data-text-lines                  frames:4 bytes:931
	//         png                              frames:1 bytes:32432
	//           tcp.segments                   frames:1 bytes:32432
	//         urlencoded-form                  frames:1 bytes:220
	//       dns                                frames:4 bytes:506
	//     udp                                  frames:12 bytes:1146
	//       dns                                frames:12 bytes:1146
	// ===================================================================
}
