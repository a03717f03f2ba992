package capture

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/internal/testenv"
)

// arpPacket is an Ethernet frame holding one ARP packet of hardware type
// hrd, padded to 60 bytes.
func arpPacket(t testing.TB, hrd uint16, op uint16, sha net.HardwareAddr, spa net.IP, tha net.HardwareAddr, tpa net.IP) []byte {
	eth := &layers.Ethernet{SrcMAC: sha, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP}
	arp := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
		Operation: op, SourceHwAddress: sha, SourceProtAddress: spa.To4(), DstHwAddress: tha, DstProtAddress: tpa.To4()}
	b := ser(t, eth, arp)
	b[14], b[15] = byte(hrd>>8), byte(hrd) // layers.ARP keeps one byte of it
	return append(b, make([]byte, 60-len(b))...)
}

// arpScenario is a capture that exercises every rule of the duplicate
// address detection, with the number of "text" rows each frame should
// get.
func arpScenario(t testing.TB) ([]frame, []int) {
	m1 := net.HardwareAddr{0x00, 0x11, 0x22, 0x33, 0x44, 0x01}
	m2 := net.HardwareAddr{0x00, 0x11, 0x22, 0x33, 0x44, 0x02}
	m3 := net.HardwareAddr{0x00, 0x11, 0x22, 0x33, 0x44, 0x03}
	multi := net.HardwareAddr{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}
	zero := net.HardwareAddr{0, 0, 0, 0, 0, 0}
	a, b, c := net.IPv4(10, 0, 0, 1), net.IPv4(10, 0, 0, 2), net.IPv4(10, 0, 0, 3)
	steps := []struct {
		hrd, op uint16
		sha     net.HardwareAddr
		spa     net.IP
		tha     net.HardwareAddr
		tpa     net.IP
		dups    int
		whatFor string
	}{
		{1, 1, m1, a, zero, b, 0, "a is first seen at m1"},
		{1, 1, m2, a, zero, b, 1, "a turns up at m2: duplicate"},
		{1, 1, m1, a, zero, b, 0, "a at m1 again: the first binding was kept"},
		{1, 2, m2, b, m3, a, 1, "a reply: its target a at m3 is a duplicate, b at m2 is new"},
		{1, 1, m3, b, m1, a, 1, "a request's target is not checked; its sender b at m3 is"},
		{1, 2, m3, c, m3, c, 0, "a gratuitous reply: c seen once in the frame"},
		{1, 2, m1, c, m2, c, 1, "sender c at m1 is a duplicate; the same target is not reported twice"},
		{1, 2, multi, b, zero, c, 0, "a multicast sender and an all-zero target do not count"},
		{1, 2, m1, net.IPv4(0, 0, 0, 0), m2, net.IPv4(0, 0, 0, 0), 0, "zero addresses do not count"},
		{0x2001, 2, m2, c, m1, a, 0, "hardware type 0x2001 is not Ethernet"},
		{6, 2, m2, c, m2, a, 2, "IEEE 802 is: both pairs are duplicates"},
		{1, 3, m3, c, m3, c, 0, "a reverse request does not count"},
	}
	frames := make([]frame, len(steps))
	want := make([]int, len(steps))
	for i, s := range steps {
		frames[i] = frame{data: arpPacket(t, s.hrd, s.op, s.sha, s.spa, s.tha, s.tpa)}
		want[i] = s.dups
	}
	return frames, want
}

func TestARPDuplicateAddresses(t *testing.T) {
	frames, want := arpScenario(t)
	d := newFrameDecoder(newFlowTable(16), nil)
	d.arp = newARPBindings()
	for i, f := range frames {
		d.decode(f.data, layers.LinkTypeEthernet, false)
		texts := 0
		for _, p := range d.path {
			if p == protoText {
				texts++
			}
		}
		assert.Equal(t, want[i], texts, "frame %d: text rows", i+1)
		assert.Equal(t, protoARP, d.path[1], "frame %d", i+1)
	}
}

// TestARPDuplicateAddressesMatchTshark writes the scenario and compares
// the hierarchy with tshark's own -z io,phs.
func TestARPDuplicateAddressesMatchTshark(t *testing.T) {
	tshark := testenv.LookPath(t, "tshark", "apt-get install tshark")
	frames, want := arpScenario(t)
	path := filepath.Join(t.TempDir(), "arp.pcap")
	require.NoError(t, os.WriteFile(path, writePcap(t, layers.LinkTypeEthernet, frames...), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, tshark, "-n", "-q", "-r", path, "-z", "io,phs")
	cmd.Stdout = &out
	require.NoError(t, cmd.Run())

	a, err := New(DefaultConfig())
	require.NoError(t, err)
	require.NoError(t, a.ReadFile(context.Background(), path))
	var ours bytes.Buffer
	require.NoError(t, a.Hierarchy().WritePHS(&ours))
	assert.Contains(t, out.String(), ours.String(), "the hierarchy is tshark's")

	// The scenario's own count: tshark's first text row holds every
	// frame with a duplicate.
	dupFrames := 0
	for _, n := range want {
		if n > 0 {
			dupFrames++
		}
	}
	m := regexp.MustCompile(`\n +text +frames:(\d+) `).FindStringSubmatch(out.String())
	require.NotNil(t, m, "tshark found no duplicate:\n%s", out.String())
	assert.Equal(t, strconv.Itoa(dupFrames), m[1], "frames with a duplicate, by tshark")
}

// TestARPDuplicatesOfSharedSample counts the duplicate address rows of
// tcpdump_arp-oobr.pcap against tshark's stored hierarchy (the rest of
// its hierarchy differs for the reason tsharkDifferences gives).
func TestARPDuplicatesOfSharedSample(t *testing.T) {
	dir := requireSharedCaptures(t)
	stored, err := os.ReadFile(filepath.Join("testdata", "samples", "tcpdump_arp-oobr.pcap.tshark.txt"))
	require.NoError(t, err)
	m := regexp.MustCompile(`\n +text +frames:(\d+) bytes:(\d+)`).FindStringSubmatch(string(stored))
	require.NotNil(t, m)
	a, err := New(DefaultConfig())
	require.NoError(t, err)
	require.NoError(t, a.ReadFile(context.Background(), filepath.Join(dir, "tcpdump_arp-oobr.pcap")))
	got := a.Hierarchy().Total("text")
	assert.Equal(t, m[1]+" "+m[2], strconv.FormatUint(got.Frames, 10)+" "+strconv.FormatUint(got.Bytes, 10))
}
