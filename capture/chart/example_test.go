package chart_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/netlab-go/netlab/capture"
	"github.com/netlab-go/netlab/capture/chart"
)

// A generated LAN of 12 hosts, cut down to its 4 busiest devices by bytes:
// the others become one "other" node, and the DOT output says so.
func ExampleTopTalkers() {
	var file bytes.Buffer
	if _, err := capture.Generate(&file, capture.GenerateConfig{Hosts: 12, Frames: 2000, Seed: 1}); err != nil {
		panic(err)
	}
	r, err := capture.NewReader(&file, 0)
	if err != nil {
		panic(err)
	}
	a, err := capture.New(capture.DefaultConfig())
	if err != nil {
		panic(err)
	}
	if err := a.ReadFrom(context.Background(), r); err != nil {
		panic(err)
	}
	g, err := a.Graph(capture.GraphConfig{ByBytes: true, Updates: 1})
	if err != nil {
		panic(err)
	}
	d := chart.TopTalkers(g, 4)
	fmt.Println(len(d.Nodes), "nodes;", d.Folded, "devices folded into", d.Nodes[len(d.Nodes)-1].Label)
	var dot strings.Builder
	if err := chart.WriteDOT(&dot, d); err != nil {
		panic(err)
	}
	fmt.Println(strings.Split(dot.String(), "\n")[1])
	// Output:
	// 5 nodes; 9 devices folded into other (9 devices)
	//   // top 4 talkers by bytes; 9 more devices folded into "other"
}
