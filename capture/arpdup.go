package capture

import (
	"bytes"
	"encoding/binary"

	"github.com/google/gopacket/layers"
)

// arpBindings is Wireshark's duplicate IP address detection for ARP
// (packet-arp.c, on by default): the Ethernet address each IPv4 address
// was last seen with in an ARP request or reply, so that a frame in which
// an address turns up with another Ethernet address gets a row of its own,
// "text" under "arp" in -z io,phs, as tshark's "Duplicate IP address
// detected" item does. It is shared by an Analyzer's decoders, which see
// the frames in order.
type arpBindings struct {
	frame uint64 // counts the ARP frames seen, so that one frame's two checks agree
	bound map[uint32]arpBinding
}

type arpBinding struct {
	mac   [6]byte
	frame uint64
}

// maxARPBindings bounds the table: past it, an address not yet seen is
// not remembered (a capture of that many hosts' ARP is not an ordinary
// one, and memory stays bounded).
const maxARPBindings = 1 << 16

func newARPBindings() *arpBindings { return &arpBindings{bound: map[uint32]arpBinding{}} }

// check looks at a decoded ARP packet, whose hardware type is hrd (read
// from the packet: layers.ARP keeps only its low byte), and returns how many duplicate
// bindings it shows (0, 1 or 2): its sender's, then its target's. As in
// Wireshark, only requests and replies between Ethernet (or IEEE 802)
// and IPv4 addresses count; an address pair counts when the Ethernet
// address is unicast and not zero and the IPv4 address is not zero; a
// request's target does not count (its Ethernet address means nothing);
// and a target with the address the sender was just found duplicate with
// is not reported twice.
func (b *arpBindings) check(hrd uint16, a *layers.ARP) int {
	if a.Operation != layers.ARPRequest && a.Operation != layers.ARPReply ||
		(hrd != 1 && hrd != 6) || a.HwAddressSize != 6 || // ARPHRD_ETHER, ARPHRD_IEEE802
		(a.Protocol != layers.EthernetTypeIPv4 && a.Protocol != 0xcc) || a.ProtAddressSize != 4 {
		return 0
	}
	b.frame++
	n := 0
	var dupIP uint32 // the sender's address when it was a duplicate; 0 (never counted) if not
	if ip, ok := arpPair(a.SourceHwAddress, a.SourceProtAddress); ok && b.duplicate(a.SourceHwAddress, ip) {
		n, dupIP = 1, ip
	}
	if a.Operation != layers.ARPRequest {
		if ip, ok := arpPair(a.DstHwAddress, a.DstProtAddress); ok && ip != dupIP && b.duplicate(a.DstHwAddress, ip) {
			n++
		}
	}
	return n
}

// arpPair returns the IPv4 address of an ARP address pair that counts.
func arpPair(mac, ip []byte) (uint32, bool) {
	v := binary.BigEndian.Uint32(ip)
	return v, mac[0]&1 == 0 && !bytes.Equal(mac, zeroMAC[:]) && v != 0
}

var zeroMAC [6]byte

// duplicate records that ip was seen with mac in this frame and reports
// whether it was last seen, in an earlier frame, with another Ethernet
// address; that earlier binding is kept, as Wireshark keeps it.
func (b *arpBindings) duplicate(mac []byte, ip uint32) bool {
	old, ok := b.bound[ip]
	switch {
	case !ok:
		if len(b.bound) < maxARPBindings {
			b.bound[ip] = arpBinding{mac: [6]byte(mac), frame: b.frame}
		}
		return false
	case b.frame <= old.frame:
		return false
	case bytes.Equal(old.mac[:], mac):
		old.frame = b.frame
		b.bound[ip] = old
		return false
	}
	return true
}
