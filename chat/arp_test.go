package chat

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mac(s string) net.HardwareAddr {
	m, err := net.ParseMAC(s)
	if err != nil {
		panic(err)
	}
	return m
}

func ip(s string) netip.Addr { return netip.MustParseAddr(s) }

func readSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

// The Linux samples all describe the same five neighbours, each in its tool's
// own words.
var linuxWant = Table{
	{IP: ip("192.168.1.1"), MAC: mac("a4:2b:b0:12:34:56"), Interface: "wlan0", Flags: FlagComplete},
	{IP: ip("192.168.1.20"), MAC: mac("08:00:27:1a:2b:3c"), Interface: "wlan0", Flags: FlagComplete},
	{IP: ip("192.168.1.77"), Interface: "wlan0", Flags: FlagIncomplete},
	{IP: ip("10.0.0.5"), MAC: mac("00:11:22:33:44:55"), Interface: "eth0", Flags: FlagComplete | FlagPermanent},
	{IP: ip("172.17.0.2"), MAC: mac("02:42:ac:11:00:02"), Interface: "docker0", Flags: FlagComplete},
}

func TestParseARPLinuxProc(t *testing.T) {
	got, err := ParseARP(readSample(t, "proc_net_arp.txt"))
	require.NoError(t, err)
	assert.Equal(t, linuxWant, got)
}

func TestParseARPLinuxNetToolsN(t *testing.T) {
	got, err := ParseARP(readSample(t, "linux_arp_n.txt"))
	require.NoError(t, err)
	assert.Equal(t, linuxWant, got)
}

func TestParseARPLinuxNetToolsA(t *testing.T) {
	got, err := ParseARP(readSample(t, "linux_arp_a.txt"))
	require.NoError(t, err)
	want := append(Table(nil), linuxWant...)
	want[0].Hostname = "router.lan"
	want[1].Hostname = "mac-mini.lan"
	assert.Equal(t, want, got)
}

func TestParseARPMacOS(t *testing.T) {
	got, err := ParseARP(readSample(t, "macos_arp_a.txt"))
	require.NoError(t, err)
	require.Len(t, got, 6)
	assert.Equal(t, Entry{IP: ip("192.168.1.1"), MAC: mac("a4:2b:b0:12:34:56"), Interface: "en0", Flags: FlagComplete, Hostname: "router.lan"}, got[0])
	// macOS drops leading zeros of octets: 8:0:27:1a:2b:3c.
	assert.Equal(t, mac("08:00:27:1a:2b:3c"), got[1].MAC)
	assert.Equal(t, "mac-mini.lan", got[1].Hostname)
	assert.Equal(t, FlagIncomplete, got[2].Flags)
	assert.Nil(t, got[2].MAC)
	assert.Equal(t, FlagComplete|FlagPermanent, got[4].Flags)
	assert.Equal(t, mac("01:00:5e:00:00:fb"), got[4].MAC)
	assert.Equal(t, mac("3a:1c:e5:09:aa:f0"), got[5].MAC)
	// Broadcast, multicast and incomplete entries are not neighbours.
	var ns []string
	for _, e := range got.Neighbours() {
		ns = append(ns, e.IP.String())
	}
	assert.Equal(t, []string{"192.168.1.1", "192.168.1.20", "169.254.12.9"}, ns)
}

func TestParseARPFreeBSD(t *testing.T) {
	got, err := ParseARP(readSample(t, "freebsd_arp_a.txt"))
	require.NoError(t, err)
	require.Len(t, got, 4)
	assert.Equal(t, Entry{IP: ip("10.0.2.2"), MAC: mac("52:54:00:12:35:02"), Interface: "em0", Flags: FlagComplete}, got[0])
	assert.Equal(t, FlagComplete|FlagPermanent, got[1].Flags)
	assert.Equal(t, "gw.example.org", got[2].Hostname)
	assert.Equal(t, FlagIncomplete, got[3].Flags)
}

func TestParseARPWindows(t *testing.T) {
	got, err := ParseARP(readSample(t, "windows_arp_a.txt"))
	require.NoError(t, err)
	require.Len(t, got, 8)
	assert.Equal(t, Entry{IP: ip("192.168.1.1"), MAC: mac("a4:2b:b0:12:34:56"), Interface: "192.168.1.23", Flags: FlagComplete}, got[0])
	assert.Equal(t, Entry{IP: ip("192.168.1.255"), MAC: mac("ff:ff:ff:ff:ff:ff"), Interface: "192.168.1.23", Flags: FlagComplete | FlagPermanent}, got[2])
	assert.Equal(t, "172.20.144.1", got[6].Interface)
	assert.Equal(t, ip("172.20.159.255"), got[6].IP)
	assert.Len(t, got.Neighbours(), 2)
}

func TestParseARPRejectsGarbage(t *testing.T) {
	for name, in := range map[string]string{
		"unknown line":     "hello world\n",
		"bad mac":          "? (10.0.0.1) at zz:00:00:00:00:00 [ether] on eth0\n",
		"short mac":        "? (10.0.0.1) at 00:11:22 [ether] on eth0\n",
		"bad proc flags":   "IP address       HW type     Flags       HW address            Mask     Device\n10.0.0.1 0x1 0xZZ 00:11:22:33:44:55 * eth0\n",
		"proc columns":     "IP address       HW type     Flags       HW address            Mask     Device\n10.0.0.1 0x1 0x2\n",
		"hostname in -n":   "Address HWtype HWaddress Flags Mask Iface\nrouter.lan ether a4:2b:b0:12:34:56 C wlan0\n",
		"windows type":     "Interface: 10.0.0.7 --- 0xb\n  10.0.0.1  00-11-22-33-44-55  weird\n",
		"ipv6 in bsd line": "? (fe80::1) at 00:11:22:33:44:55 on en0\n",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseARP(in)
			require.ErrorIs(t, err, ErrARPFormat)
			assert.Contains(t, err.Error(), "line ")
		})
	}
	got, err := ParseARP("\nNo ARP Entries Found.\n")
	require.NoError(t, err)
	assert.Empty(t, got)
}

func TestTableFormatAligns(t *testing.T) {
	out := linuxWant.String()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, 6)
	assert.True(t, strings.HasPrefix(lines[0], "IP ADDRESS"))
	col := strings.Index(lines[0], "MAC ADDRESS")
	require.Positive(t, col)
	for _, l := range lines[1:] {
		assert.NotEqual(t, ' ', l[col], "column starts at the same offset: %q", l)
		assert.Equal(t, ' ', rune(l[col-1]), "column starts at the same offset: %q", l)
	}
	assert.Contains(t, lines[3], "(incomplete)")
	assert.Contains(t, lines[4], "CM")
}

// TestARPTableReadsThisHost compares ARPTable with the kernel's own file,
// read here independently: the same addresses, in order, with the same
// devices. An empty table must match an empty file, so the check holds
// whatever the host's neighbours; TestNamespaceLAN checks non-empty tables
// it fills itself.
func TestARPTableReadsThisHost(t *testing.T) {
	if runtime.GOOS != "linux" {
		testenv.Missing(t, "/proc/net/arp", "run the tests on Linux")
	}
	raw, err := os.ReadFile("/proc/net/arp")
	require.NoError(t, err)
	tab, err := ARPTable()
	require.NoError(t, err)
	raw2, err := os.ReadFile("/proc/net/arp")
	require.NoError(t, err)
	if string(raw) != string(raw2) {
		t.Skip("the kernel's ARP table changed while the test read it; run again")
	}
	var wantIPs, wantDevs, gotIPs, gotDevs []string
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
		f := strings.Fields(line)
		require.Len(t, f, 6, "a /proc/net/arp line has 6 columns: %q", line)
		wantIPs, wantDevs = append(wantIPs, f[0]), append(wantDevs, f[5])
	}
	for _, e := range tab {
		gotIPs, gotDevs = append(gotIPs, e.IP.String()), append(gotDevs, e.Interface)
	}
	assert.Equal(t, wantIPs, gotIPs)
	assert.Equal(t, wantDevs, gotDevs)
	t.Logf("%d entries", len(tab))
}

func FuzzParseARP(f *testing.F) {
	for _, n := range []string{"proc_net_arp.txt", "linux_arp_a.txt", "linux_arp_n.txt", "macos_arp_a.txt", "freebsd_arp_a.txt", "windows_arp_a.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		tab, err := ParseARP(s)
		if err != nil {
			return
		}
		for _, e := range tab {
			if !e.IP.Is4() {
				t.Fatalf("entry with non-IPv4 address %v", e.IP)
			}
			if e.MAC != nil && len(e.MAC) != 6 {
				t.Fatalf("MAC of %d bytes", len(e.MAC))
			}
		}
		_ = tab.String()
	})
}
