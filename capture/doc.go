// Package capture reads packet captures (pcap and pcapng files, or a live
// interface on Linux) and answers the questions Wireshark's Statistics menu
// answers: which protocols, how much of each, who talked to whom, when, which
// web pages and which names were asked for. Its numbers are counted the way
// Wireshark counts them and its tables printed in tshark's layout, so they
// can be diffed against tshark; its pictures are the protocol hierarchy, the
// distribution of frame lengths, and who talked to whom.
//
// # The layering of a captured frame
//
// A captured frame is a stack of headers, each naming the one that follows:
//
//	+----------------+-----------+---------------+----------+---------------+
//	| Ethernet       | 802.1Q    | IPv4 (RFC 791)| UDP      | DNS (RFC 1035)|
//	| dst,src MAC    | VLAN tag  | or IPv6       | (RFC 768)| message       |
//	| EtherType ---->| type ---->| (RFC 8200)    | ports -->|               |
//	|                |           | protocol ---->| or TCP   |               |
//	|                |           |               | (RFC 793)|               |
//	+----------------+-----------+---------------+----------+---------------+
//	  link layer                   network layer  transport  application
//
// The first header depends on the link type of the interface that captured
// the frame: Ethernet (DLT 1), BSD loopback "null" (DLT 0, a 4-byte address
// family), Linux "cooked" SLL (DLT 113, a 16-byte pseudo-header ending in an
// EtherType) and its version 2 (DLT 276, 20 bytes, what tcpdump -i any
// writes), or bare IP (DLT 101). After that, each header says what comes
// next: the EtherType (0x0800 IPv4, 0x86DD IPv6, 0x0806 ARP (RFC 826),
// 0x8100 802.1Q, 0x8847 MPLS), the IP protocol number (6 TCP, 17 UDP, 1
// ICMP, 58 ICMPv6; IPv6 extension headers such as hop-by-hop (0), routing
// (43), fragment (44) and destination options (60) chain with the same
// numbers, RFC 8200 section 4), and for TCP and UDP the port (53 is DNS).
// Whatever no decoder claims is "data".
//
// The decoder uses gopacket's DecodingLayerParser: one preallocated
// struct per layer, overwritten for every frame, so decoding allocates
// nothing per frame. Each layer is wrapped so that the choice of the next
// layer follows Wireshark (lower UDP port first, only port 53 is DNS, MPLS
// label stacks and Ethernet pseudowires, extension headers inside ipv6).
// The usual frame (Ethernet with at most one 802.1Q tag, IPv4 without
// options and not a fragment, TCP or UDP) skips the parser: decode_fast.go
// reads the few fields the statistics need straight from its bytes,
// after the checks gopacket would make, and gives what the parser gives
// (TestDecodeFastMatchesParser, FuzzDecodeFast). BenchmarkDecodeFast,
// run just after the figures below (load 7): the parser alone takes 1.14
// times as long on the few-flows capture and 1.10 times on the 120k-flows
// one, where cache misses, not parsing, are most of a frame.
//
// # The pcap and pcapng formats
//
// A pcap file (the libpcap format) is a 24-byte global header then one
// record per frame:
//
//	global header: magic a1b2c3d4 (µs) or a1b23c4d (ns), in the writer's byte
//	               order | version 2.4 | zone | sigfigs | snaplen | link type
//	record:        ts seconds | ts fraction | captured length | wire length |
//	               captured bytes...
//
// One link type for the whole file; the captured length is at most the snap
// length, and less than the wire length when the capture cut the frame.
//
// A pcapng file (draft-ietf-opsawg-pcapng) is a sequence of blocks, each
//
//	block type | total length | body... | total length (again)
//
// A Section Header Block (0x0A0D0D0A, with the byte-order magic 1A2B3C4D)
// opens a section; Interface Description Blocks (1) declare the interfaces,
// each with its own link type and snap length; Enhanced Packet Blocks (6)
// carry frames with the index of their interface. One file can mix
// Ethernet and loopback interfaces, so the link type is a property of each
// frame: the [Reader] uses pcapgo's WantMixedLinkType and picks a decoder per
// frame. Either format may be gzip-compressed. A custom block (0xBAD or
// 0x40000BAD: data a vendor adds, after its Private Enterprise Number)
// carries no frame, but Wireshark lists it as a frame of "data" with no
// timestamp, so the [Reader] returns it as a [Packet] of link type
// [LinkTypePcapngCustom] and the tables count it as tshark does. Blocks of
// other types are skipped, as the format asks.
//
// Before a byte reaches pcapgo, the [Reader] checks each unit's framing: the
// magic numbers, that a length is neither zero, nor huge (more than
// 262144 bytes of packet), nor misaligned, that a block's trailing length
// equals its leading one, that a packet fits in its block. A damaged file
// yields the frames before the damage and then an error that names the
// offset of the bad record or block (wrapping [ErrTruncated] or [ErrCorrupt]).
// A frame that is whole in the file but does not decode (too short for its
// headers, a bad length field) is counted as malformed, like Wireshark's
// "_ws.malformed"; a frame cut by the snap length is marked "_ws.short".
//
// # How Wireshark counts its protocol hierarchy
//
// Statistics > Protocol Hierarchy (tshark -q -z io,phs) walks the top-level
// protocols of each frame's dissection, from the link layer down. Every
// protocol on a frame's path adds one frame and the frame's wire length to
// its row, so a row's numbers include everything below it, and the same
// protocol at two places is two rows:
//
//	eth                 frames:10 bytes:1000
//	  ip                frames:7  bytes:800
//	    tcp             frames:5  bytes:700   <- tcp under ip
//	      data          frames:3  bytes:500
//	    udp             frames:2  bytes:100
//	      dns           frames:2  bytes:100
//	  ipv6              frames:3  bytes:200
//	    tcp             frames:3  bytes:200   <- a different row: tcp under ipv6
//
// A protocol whose header is broken still gets its row, with
// "_ws.malformed" below it. Things Wireshark shows inside another
// protocol's subtree (the EtherType field, IPv6 extension headers, the IP
// and UDP headers quoted in an ICMP error) are not rows; what the quoted
// UDP datagram carries (dns, data) is, below icmp. Each MPLS label is a row.
// [Hierarchy.Totals] adds up the rows of one name over the tree, which is how
// the tests compare "how many ip frames" with tshark.
//
// Limits: Wireshark knows thousands of application protocols; this package
// dissects DNS, HTTP/1.x, TLS and QUIC (below), IS-IS over LLC, names a few
// dozen others by port or protocol number, and calls the rest "data". A
// protocol Wireshark finds on a port this package does not know (OpenFlow
// on 6653, say) is "data" here. The tests compare every table with tshark's
// stored output for the sample captures and for loopback captures of curl,
// a resolver and TLS (testdata/*.tshark.txt) and list each difference with
// its reason (tsharkDifferences in tshark_text_test.go).
//
// # Application protocols: by port, then by heuristics
//
// Below TCP and UDP, Wireshark first tries the dissector registered for the
// lower port, then the higher, then its heuristic dissectors, each of which
// looks at the payload and claims it or not; a TCP conversation a heuristic
// claimed keeps that dissector. This package does the same for what it
// knows:
//
//	port  TCP 80, 8080 -> http   TCP 443, 853 -> tls   TCP/UDP 53 -> dns
//	      UDP 443 -> quic, and the names of about a dozen UDP services
//	heuristics, on any port:
//	  tls   a handshake record (type 22, version 3.x) holding a ClientHello or ServerHello
//	  http  a request line "METHOD target HTTP/1.x" or a status line "HTTP/1.x code"
//	  dns   (UDP) a header with one question that decodes as a whole message
//	  quic  (UDP) a long header (RFC 9000 section 17.2) of version 1, 2 or a
//	        draft, connection IDs of at most 20 bytes
//
// An HTTP message (RFC 9112) ends after Content-Length bytes of body, after
// the last chunk of a chunked body, or, for a response without either, at
// the end of the connection; its body adds a row named after its
// Content-Type, as Wireshark's media dissectors do (data-text-lines for
// text, png, image-jfif, json, urlencoded-form, media for the rest). A TLS
// record (RFC 8446 section 5.1) is a 5-byte header (type, version, length)
// and length bytes; a ClientHello's server name (SNI, RFC 6066) and ALPN
// protocols (RFC 7301) are read for the statistics.
//
// # TCP reassembly
//
// TCP delivers a byte stream; an HTTP message or a TLS record often spans
// several segments. Wireshark reassembles it and dissects it once, in the
// frame that completes it, which then carries a "tcp.segments" row; the
// segments before it carry only tcp. This package follows each direction of
// each TCP conversation by sequence number and counts the same way. It keeps
// no payload bytes, only where each message or record ends (and an HTTP
// header that is not complete yet, at most 64 KiB), in a slot of 216 bytes
// per conversation, at most [Config.MaxStreams] of them: when every slot is
// in use the oldest is taken back, and its conversation's next segments
// are dissected as if the capture started there. A segment that brings no new
// bytes is a retransmission, which Wireshark does not dissect again; nor
// does this package. A gap (bytes the capture missed) abandons the message
// in progress.
//
// # Whose code
//
// gopacket's layers decode Ethernet, 802.1Q, Linux SLL, BSD loopback, ARP,
// IPv4, IPv6, ICMPv4, ICMPv6, TCP, UDP and DNS. gopacket has no decoder for
// what follows, so it is this package's own, each fuzzed (fuzz_test.go,
// stream_fuzz_test.go): Linux SLL2, MPLS label stacks and Ethernet
// pseudowires as Wireshark guesses them, IPv6 extension headers inside the
// ipv6 row, LLC and IS-IS PDU types, HTTP/1.x, the TLS record layer and
// ClientHello, the QUIC long header, the DNS heuristic, and the TCP
// reassembly. gopacket's own reassembly (tcpassembly, reassembly) is not
// used: it buffers payload bytes and calls back per stream, while the rows
// here must land on the frame that completes a message, in a decoder that
// allocates nothing per frame.
//
// ARP's duplicate address detection is Wireshark's too (on by default in
// its ARP dissector): each IPv4 address seen in an ARP request or reply
// is bound to the Ethernet address it came with; a later frame that shows
// it with another Ethernet address (two hosts configured with one
// address, or a spoofer) gets a "text" row under "arp", as tshark's
// "Duplicate IP address detected" item does. The first binding is kept;
// a request's target pair is not checked (it means nothing), nor a
// multicast or all-zero Ethernet address or the IPv4 address 0.0.0.0
// (arpdup.go; at most 65,536 addresses are remembered).
//
// # The statistics, as tshark prints them
//
//	tshark -z            this package                       printed by
//	io,phs               Analyzer.Hierarchy                 Hierarchy.WritePHS
//	conv,TYPE            Analyzer.Conversations             WriteConversations
//	endpoints,TYPE       Analyzer.Endpoints                 WriteEndpoints
//	io,stat,INTERVAL     Analyzer.IOStats (Config.Interval) WriteIOStats
//	http,tree            Analyzer.StatTree("http")          StatTree.WriteTo
//	http_req,tree        Analyzer.StatTree("http_req")      StatTree.WriteTo
//	http_srv,tree        Analyzer.StatTree("http_srv")      StatTree.WriteTo
//	dns,tree             Analyzer.StatTree("dns")           StatTree.WriteTo
//	(netlab's own)       StatTree("dns_names"): DNS queries by name and response code,
//	                     StatTree("tls"): ClientHellos by server name and ALPN
//
// [Analyzer.WriteText] prints them all in tshark's order, [Analyzer.WriteJSON]
// and [Analyzer.WriteCSV] the same tables for scripts. The stats trees count
// as Wireshark's stats_tree does: rows sorted by count, then by name
// (descending); "Rate (ms)" is the count over the time from the first to
// the last message of the tap; "Burst Rate" the most messages in a 100 ms
// window sliding over 5 ms buckets, per 100 ms, and "Burst Start" where
// that window began. tshark 4.0 counts each DNS response twice in its
// "Response Stats" rows, and keeps response times as 32-bit floats; so does
// this package. DNS transactions are an ID between a client and a server.
// Known difference (tested): the I/O table of a capture longer than
// 100,000 s is laid out differently (tshark's own columns no longer line
// up there).
//
// # What a conversation is
//
// A conversation is the traffic between two endpoints, in both directions,
// at one layer: two MAC addresses (eth), two IPv4 or IPv6 addresses (ip,
// ipv6), or two address-and-port pairs (tcp, udp). The pair is unordered:
// A is the endpoint that sent the first frame seen, B the other, and the
// table keeps frames and bytes A->B and B->A, the first and last time seen
// (tshark -q -z conv,TYPE prints them as "->" and "<-", "Relative Start"
// and "Duration"). An endpoint's totals (tshark -z endpoints,TYPE) follow
// from the conversations it is part of, so the [Analyzer] derives them at
// the end instead of counting them per frame.
//
// The same idea rolls conversations up. A frame of a TCP or UDP flow also
// belongs to an eth and an IP conversation, and with 100,000 conversations
// each of the three entries is a cache miss. So a flow of the usual shape
// (eth, IP, TCP or UDP) is counted on its own entry only, and its eth and
// IP conversations receive the flow's counters when the tables are read:
// one lookup per frame instead of three, with the same numbers. A frame
// that breaks the pattern (other MAC addresses, a tunnel) hands the flow's
// counters over at once, and the flow is counted frame by frame from then
// on.
//
// The Analyzer streams: it keeps the hierarchy tree and the conversation
// tables, never the frames, so memory grows with the number of distinct
// conversations (bounded by [Config.MaxConversations]) and not with the size
// of the file.
//
// [Analyzer.ReadFrom] (and ReadFile) splits the work into three stages,
// each on a goroutine of its own: one reads the records and checks their
// framing (pcap records come straight from the framer, which has checked
// them, those whole in its 64 KiB buffer many at a time; pcapng blocks go
// through pcapgo), one decodes each frame into its
// path of protocols and its conversation taps (with payload dissection and
// reassembly), and the caller's counts them into the hierarchy and the
// tables:
//
//	file -> framer (-> pcapgo) -> batch -> decoder -> batch -> hierarchy,
//	        (reading goroutine)           (decoding)           tables (counting)
//	        six reused batches of <=4096 frames circulate between the three
//
// Decoding costs about as much as reading and counting together, so on
// two cores the three stages keep both busy, where two stages (reading
// and decoding on one goroutine) left the counting one waiting half the
// time. Memory for the frames in flight is bounded (about 2 MiB per
// batch). The decoding goroutine numbers each TCP and UDP conversation the
// first time it meets it, in an open-addressing table of fixed-size keys
// (flows.go); the number travels with the frame, so that the counting
// goroutine finds the conversation's counters by index and TCP reassembly
// finds its stream in the flow's slot: one hash lookup per frame for both.
// With many conversations each of these is a cache miss, so both
// goroutines fetch what their batch's frames will need 16 frames at a
// time, so that the misses overlap (prefetch.go): the decoding goroutine
// prefetches (PREFETCHT0 on amd64, which waits for nothing) the flow
// slots of the next 16 frames and the TCP streams of the current 16; the
// counting goroutine loads, in a loop of their own, the conversations'
// counters, their HTTP servers' rows and the DNS transactions of the next
// 16 before it counts them. Its other tables are kept out of the way of
// the frame too: an IPv4 DNS transaction is one probe of an
// open-addressing table (at most 65,536 transactions, 4 MiB), and an HTTP
// server's rows in -z http_srv,tree are kept with the server once found,
// and the server with its TCP conversation, not looked up per request.
//
// A read error reaches the caller after every frame before it was
// counted, with the same offset as reading frame by frame; frames read
// ahead but not counted when the context ends go back to the [Reader]. Add,
// for frames from elsewhere (a live capture), decodes and counts on the
// caller's goroutine.
//
// # Speed and memory
//
// BenchmarkTrafficMix reads two 1 GB captures on this project's 2-core
// test machine; on the idle machine (load average under 2, one run), with
// baselines from the same run on the same files:
//
//	                                  few flows (2.45M frames)  120k flows (3.3M frames)
//	frames/s on the wall clock
//	  with payloads and reassembly    3,722,870                 2,591,448
//	  without (Config.NoPayloads)     3,874,370                 3,323,039
//	  tshark -z io,phs                40,792                    57,242
//	  netlab / tshark                 91.3                      45.3
//	frames per CPU-second
//	  with payloads and reassembly    1,922,927                 1,369,948
//	  without                         2,008,811                 1,807,631
//	  a bare read (Reader.Next)       6,655,077                 8,459,456
//	  read and decode, no counting    3,727,767                 2,939,466
//	  gopacket.NewPacket loop         953,707                   1,035,581
//	CPU ns per frame in each stage
//	  reading                         126                       96
//	  decoding (payloads included)    209                       301
//	  counting                        168                       225
//	frames/s two idle cores allow     3,976,469                 3,213,332
//
// The last row is the stages' work shared evenly over two cores, but no
// faster than the slowest stage; it leaves out the garbage collector's own
// workers and the scheduler, which the rates per CPU-second include, so it
// is a bound, not a measurement. Both mixes pass the 2,000,000 frames/s
// the project aims for: the three stages take 503 ns a frame on few flows
// and 622 ns on 120,000 conversations, where 2M frames/s on two cores
// allows 1 µs, each stage at most 500 ns. The wall-clock rate also holds
// the garbage collector and the tables' formatting once the last frame is
// counted (on both cores when a table is large).
// What is left on 120k flows: decoding is the slowest stage (the TCP
// stream's cache misses that prefetching does not hide, HTTP parsing for
// a quarter of the flows, a request per frame in this capture), and
// counting waits for the conversations' counters (prefetch.go overlaps
// those misses but does not hide them); on few flows, reading copies every
// byte twice (the kernel into the reader's buffer, then the batch).
//
// The test machine itself is not always the same: tshark's rate on these
// files has moved by up to 50% between machines, so compare the ratio to
// tshark from the same run rather than frames/s across machines. On a
// shared machine these figures move by 10 to 20% from one run to
// the next, as do the differences of the loops above (the "without" rate
// against "read and decode", and so on, which also hold what the pipeline
// adds, the copy into batches and the hand-offs). Changes were therefore
// judged by the stage run of BenchmarkTrafficMix (stageCPU) repeated with
// the build before and after, alternating; each commit that changed the
// speed gives its pairs.
//
// BenchmarkPeakMemory1GB reads the same files with ReadFile, in the same
// run: peak RSS 51 MB (few flows) and 226 MB (120k flows). What stays
// is the conversation tables (224 bytes per conversation and table, bounded by
// [Config.MaxConversations]), the TCP streams (216 bytes each, bounded
// by [Config.MaxStreams]), at most 4 MiB of DNS transactions and 65,536
// HTTP servers' rows; the garbage collector lets the heap grow to about
// twice that before it runs.
//
// # Pictures
//
// [Analyzer.Graph] builds the device graph: one node per MAC address (or per
// IP address when the link layer has none, as on loopback), one undirected
// edge per pair of devices weighted by frames or bytes and labelled with
// the protocol that carried most of that weight, the busiest TopN nodes
// kept, placed by the Eades force-directed layout of gonum/graph/layout.
// WriteDOT (or SaveDOT, to a file) writes it as Graphviz DOT.
// [Analyzer.FrameLengths] is a bounded histogram of frame lengths. The
// pictures (the top talkers with the rest folded into "other", beside the
// conversation matrix; the hierarchy as indented bars; the frame-length
// histogram) are drawn by the subpackage capture/chart, so that this
// package does not depend on gonum/plot.
//
// # Live capture
//
// [OpenLive] (Linux only, root or CAP_NET_RAW) reads an interface through
// pcapgo's EthernetHandle, an AF_PACKET socket without cgo, keeping whole
// frames (snap length 262144) and optionally writing them to a pcap file.
// [OpenLive] opens the socket, so a missing interface or permission fails
// there; Run captures until its context ends or Close is called, and
// closes the socket as it returns. Close before Run releases the socket.
// On the loopback interface each packet is seen twice, going out and coming
// in, just as tcpdump -i lo shows it.
//
// # References
//
//   - RFC 791, Internet Protocol (IPv4).
//   - RFC 8200, Internet Protocol, Version 6 (IPv6) Specification.
//   - RFC 793, Transmission Control Protocol.
//   - RFC 768, User Datagram Protocol.
//   - RFC 826, An Ethernet Address Resolution Protocol.
//   - RFC 1035, Domain Names: Implementation and Specification.
//   - RFC 9112, HTTP/1.1.
//   - RFC 8446, The Transport Layer Security (TLS) Protocol Version 1.3, section 5 (record layer).
//   - RFC 6066 section 3 (Server Name Indication); RFC 7301 (ALPN).
//   - RFC 9000, QUIC: A UDP-Based Multiplexed and Secure Transport, section 17.
//   - ISO/IEC 10589, IS-IS intra-domain routeing information exchange protocol.
//   - draft-ietf-opsawg-pcapng, PCAP Next Generation (pcapng) Capture File Format.
//   - draft-ietf-opsawg-pcap, PCAP Capture File Format.
//   - Wireshark User's Guide, Statistics: Protocol Hierarchy, Conversations, Endpoints.
//   - P. Eades, A heuristic for graph drawing, Congressus Numerantium 42 (1984).
package capture
