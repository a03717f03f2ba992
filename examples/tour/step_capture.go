package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/netlab-go/netlab/capture"
	"github.com/netlab-go/netlab/capture/chart"
)

func runCapture(ctx context.Context, e *env) error {
	pcap := e.Path("capture-demo.pcap")
	e.Printf("writing a synthetic capture of a small LAN (DNS, TCP over IPv4 and IPv6, ping, ARP, a VLAN) to %s ...", pcap)
	f, err := os.Create(pcap)
	if err != nil {
		return err
	}
	written, err := capture.Generate(f, capture.GenerateConfig{Hosts: 10, Frames: 50_000, Seed: 90})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}

	e.Printf("reading it back through pcapgo and decoding every frame ...")
	a, err := capture.New(capture.DefaultConfig())
	if err != nil {
		return err
	}
	start := time.Now()
	if err := a.ReadFile(ctx, pcap); err != nil {
		return err
	}
	took := time.Since(start)
	s := a.Summary()
	h := a.Hierarchy()
	for _, name := range []string{"ip", "ipv6", "tcp", "udp", "dns", "arp"} {
		if got := h.Total(name).Frames; got != written.Protocols[name] {
			return fmt.Errorf("%s: counted %d frames, the generator wrote %d", name, got, written.Protocols[name])
		}
	}
	e.Printf("protocol hierarchy, counted as Wireshark counts it, with shares of frames and bytes:")
	if err := h.WriteTree(indented{e}); err != nil {
		return err
	}

	if err := chart.SaveHierarchy(h, 40, e.Path("capture-protocols.png")); err != nil {
		return err
	}
	if err := chart.SaveLengths(a.FrameLengths(), e.Path("capture-lengths.png")); err != nil {
		return err
	}
	full, err := a.Graph(capture.GraphConfig{ByBytes: true, Seed: 1, Updates: 1})
	if err != nil {
		return err
	}
	g := chart.TopTalkers(full, 8)
	if err := chart.SaveGraph(g, e.Path("capture-graph.png")); err != nil {
		return err
	}
	dot, err := os.Create(e.Path("capture-graph.dot"))
	if err != nil {
		return err
	}
	if err := chart.WriteDOT(dot, g); err != nil {
		dot.Close()
		return err
	}
	if err := dot.Close(); err != nil {
		return err
	}

	e.Report("%d frames, %d bytes, counts equal to what was written for ip, ipv6, tcp, udp, dns, arp", s.Frames, s.Bytes)
	e.Report("read+decode+count at %.0f frames/s; %d IPv4 and %d TCP conversations; graph of the %d busiest devices by bytes (%d folded into \"other\"), %d links",
		float64(s.Frames)/took.Seconds(), len(a.Conversations(capture.ConvIPv4)), len(a.Conversations(capture.ConvTCP)), len(g.Nodes)-min(g.Folded, 1), g.Folded, len(g.Links))
	return nil
}

// indented sends a multi-line table through the step's Printf.
type indented struct{ e *env }

func (w indented) Write(p []byte) (int, error) {
	line := 0
	for i, b := range p {
		if b == '\n' {
			w.e.Printf("%s", p[line:i])
			line = i + 1
		}
	}
	return len(p), nil
}
