package capture

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGeneratedCountsMatchWhatWasWritten(t *testing.T) {
	var file bytes.Buffer
	st, err := Generate(&file, GenerateConfig{Hosts: 8, Frames: 5000, Seed: 3})
	require.NoError(t, err)
	a, err := analyze(t, file.Bytes())
	require.NoError(t, err)
	assert.Equal(t, st.Frames, a.Summary().Frames)
	assert.Equal(t, st.Bytes, a.Summary().Bytes)
	assert.Zero(t, a.Summary().Malformed)
	for name, n := range st.Protocols {
		assert.Equal(t, n, a.Hierarchy().Total(name).Frames, name)
	}
	var sum uint64
	for _, c := range a.Conversations(ConvEth) {
		sum += c.Frames()
	}
	assert.Equal(t, st.Frames, sum, "every frame is in exactly one eth conversation")
	_, err = Generate(&file, GenerateConfig{Hosts: 1})
	assert.ErrorContains(t, err, "Hosts")
}

func TestDeviceGraph(t *testing.T) {
	// A talks to B three times (DNS), B answers once, A pings C: two
	// edges, not one per source, and each labelled by its own traffic.
	macC := []byte{2, 0, 0, 0, 0, 0xc}
	file := writePcap(t, layers.LinkTypeEthernet,
		frame{data: udpDNS(t, macA, macB, ipA, ipB, 1, 53)}, frame{data: udpDNS(t, macA, macB, ipA, ipB, 2, 53)},
		frame{data: udpDNS(t, macA, macB, ipA, ipB, 3, 53)}, frame{data: udpDNS(t, macB, macA, ipB, ipA, 53, 1)},
		frame{data: tcp4(t, macA, macC, ipA, ipB, 5, 6, bytes.Repeat([]byte{1}, 1000))})
	a, err := analyze(t, file)
	require.NoError(t, err)

	g, err := a.Graph(GraphConfig{Seed: 1})
	require.NoError(t, err)
	assert.Equal(t, ConvEth, g.Kind)
	require.Len(t, g.Nodes, 3)
	require.Len(t, g.Edges, 2)
	labels := map[string]GraphEdge{}
	for _, e := range g.Edges {
		labels[g.Nodes[e.From].Label+"-"+g.Nodes[e.To].Label] = e
	}
	ab := labels["02:00:00:00:00:0a-02:00:00:00:00:0b"]
	assert.Equal(t, uint64(4), ab.Frames)
	assert.Equal(t, "dns", ab.Protocol)
	ac := labels["02:00:00:00:00:0a-02:00:00:00:00:0c"]
	assert.Equal(t, uint64(1), ac.Frames)
	assert.Equal(t, "tcp", ac.Protocol)
	for _, n := range g.Nodes {
		assert.False(t, n.X == 0 && n.Y == 0, "laid out")
	}

	top, err := a.Graph(GraphConfig{TopN: 2, ByBytes: true})
	require.NoError(t, err)
	require.Len(t, top.Nodes, 2)
	assert.Equal(t, "02:00:00:00:00:0a", top.Nodes[0].Label, "A is on every edge")
	assert.Equal(t, "02:00:00:00:00:0c", top.Nodes[1].Label, "C's one big frame outweighs B's four small ones by bytes")
	require.Len(t, top.Edges, 1)

	var dot bytes.Buffer
	require.NoError(t, g.WriteDOT(&dot))
	assert.True(t, strings.HasPrefix(dot.String(), "graph capture {"))
	assert.Equal(t, 2, strings.Count(dot.String(), " -- "))
	assert.Contains(t, dot.String(), `label="dns 4 frames"`)

	dir := t.TempDir()
	require.NoError(t, g.SaveDOT(filepath.Join(dir, "graph.dot")))
	saved, err := os.ReadFile(filepath.Join(dir, "graph.dot"))
	require.NoError(t, err)
	assert.Equal(t, dot.String(), string(saved), "SaveDOT writes what WriteDOT does")
	assert.Error(t, g.SaveDOT(filepath.Join(dir, "no-such-dir", "graph.dot")))

	_, err = a.Graph(GraphConfig{TopN: -1})
	assert.Error(t, err)
}

func TestGraphFallsBackToIPNodes(t *testing.T) {
	dir := requireSharedCaptures(t)
	a, err := New(DefaultConfig())
	require.NoError(t, err)
	require.NoError(t, a.ReadFile(context.Background(), filepath.Join(dir, "gopacket_test_loopback.pcap")))
	g, err := a.Graph(GraphConfig{})
	require.NoError(t, err)
	assert.Equal(t, ConvIPv4, g.Kind)
	require.Len(t, g.Nodes, 1, "::1 talks to itself")
	assert.Equal(t, "::1", g.Nodes[0].Label)
	assert.Equal(t, "tcp", g.Edges[0].Protocol)
}
