package capture

// proto identifies a row name of the protocol hierarchy. The names are
// Wireshark's filter names, so the tree can be compared with tshark's.
type proto uint8

const (
	protoNone proto = iota
	protoEth
	protoVLAN
	protoSLL
	protoNull
	protoRaw
	protoARP
	protoIP
	protoIPv6
	protoICMP
	protoICMPv6
	protoTCP
	protoUDP
	protoDNS
	protoData
	protoMPLS
	protoPWCW
	protoPWCWData
	protoLLC
	protoLoop
	protoLLDP
	protoIGMP
	protoEIGRP
	protoOSPF
	protoGRE
	protoSCTP
	protoPIM
	protoVRRP
	protoESP
	protoAH
	protoDHCP
	protoNTP
	protoMDNS
	protoNBNS
	protoSSDP
	protoSNMP
	protoSyslog
	protoTFTP
	protoLLMNR
	protoDHCPv6
	protoHTTP
	protoTLS
	protoTCPSegments
	protoPNG
	protoJFIF
	protoGIF
	protoJSON
	protoURLEncoded
	protoXML
	protoDataTextLines
	protoMedia
	protoQUIC
	protoISIS
	protoISISHello
	protoISISLSP
	protoISISCSNP
	protoISISPSNP
	protoText
	protoDBLSPDisc
	protoMalformed
	protoShort
	numProtos
)

var protoNames = [numProtos]string{
	protoNone:          "",
	protoEth:           "eth",
	protoVLAN:          "vlan",
	protoSLL:           "sll",
	protoNull:          "null",
	protoRaw:           "raw",
	protoARP:           "arp",
	protoIP:            "ip",
	protoIPv6:          "ipv6",
	protoICMP:          "icmp",
	protoICMPv6:        "icmpv6",
	protoTCP:           "tcp",
	protoUDP:           "udp",
	protoDNS:           "dns",
	protoData:          "data",
	protoMPLS:          "mpls",
	protoPWCW:          "pweth.cw",
	protoPWCWData:      "pwethcw",
	protoLLC:           "llc",
	protoLoop:          "loop",
	protoLLDP:          "lldp",
	protoIGMP:          "igmp",
	protoEIGRP:         "eigrp",
	protoOSPF:          "ospf",
	protoGRE:           "gre",
	protoSCTP:          "sctp",
	protoPIM:           "pim",
	protoVRRP:          "vrrp",
	protoESP:           "esp",
	protoAH:            "ah",
	protoDHCP:          "dhcp",
	protoNTP:           "ntp",
	protoMDNS:          "mdns",
	protoNBNS:          "nbns",
	protoSSDP:          "ssdp",
	protoSNMP:          "snmp",
	protoSyslog:        "syslog",
	protoTFTP:          "tftp",
	protoLLMNR:         "llmnr",
	protoDHCPv6:        "dhcpv6",
	protoHTTP:          "http",
	protoTLS:           "tls",
	protoTCPSegments:   "tcp.segments",
	protoPNG:           "png",
	protoJFIF:          "image-jfif",
	protoGIF:           "image-gif",
	protoJSON:          "json",
	protoURLEncoded:    "urlencoded-form",
	protoXML:           "xml",
	protoDataTextLines: "data-text-lines",
	protoMedia:         "media",
	protoQUIC:          "quic",
	protoISIS:          "isis",
	protoText:          "text",
	protoDBLSPDisc:     "db-lsp-disc",
	protoISISHello:     "isis.hello",
	protoISISLSP:       "isis.lsp",
	protoISISCSNP:      "isis.csnp",
	protoISISPSNP:      "isis.psnp",
	protoMalformed:     "_ws.malformed",
	protoShort:         "_ws.short",
}

// String returns the Wireshark name of the protocol.
func (p proto) String() string {
	if p < numProtos {
		return protoNames[p]
	}
	return "unknown"
}

// ipProtoNames names IP protocols that the decoder does not look inside but
// Wireshark would show as a row of their own.
var ipProtoNames = map[uint8]proto{
	2: protoIGMP, 47: protoGRE, 50: protoESP, 51: protoAH, 88: protoEIGRP,
	89: protoOSPF, 103: protoPIM, 112: protoVRRP, 132: protoSCTP,
}

// udpPortNames names well-known UDP services that the decoder does not look
// inside, so their frames get Wireshark's row instead of "data".
var udpPortNames = map[uint16]proto{
	67: protoDHCP, 68: protoDHCP, 69: protoTFTP, 123: protoNTP, 137: protoNBNS,
	161: protoSNMP, 162: protoSNMP, 514: protoSyslog, 546: protoDHCPv6,
	547: protoDHCPv6, 443: protoQUIC, 1900: protoSSDP, 5353: protoMDNS, 5355: protoLLMNR,
	17500: protoDBLSPDisc, // Dropbox LAN sync discovery
}
