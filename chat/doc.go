// Package chat is two chat programs that teach how hosts on a LAN find and
// talk to each other: a UDP chat that discovers its peers by broadcast and
// reads the ARP table, and a multithreaded TCP chat server with direct and
// broadcast messages.
//
// # Unicast, broadcast, multicast
//
// A unicast datagram goes to one host: its destination is that host's
// address. A broadcast datagram goes to every host on a link: the Ethernet
// destination is ff:ff:ff:ff:ff:ff, every network card passes the frame up,
// and every host with a socket on the destination port receives it. A
// multicast datagram goes to a group (224.0.0.0/4): only hosts that joined
// the group take it, and switches that snoop IGMP only forward it to them.
// Broadcast is the blunt tool, with no sign-up and nothing to configure,
// which is why discovery protocols such as DHCP and this package's use it.
//
//	unicast     A -------------> B                 (one receiver)
//	broadcast   A --+--> B  --> C  --> D           (everyone on the link)
//	multicast   A --+--> B       --> D             (the hosts that joined)
//
// # Directed and limited broadcast
//
// IPv4 has two broadcast addresses (RFC 919, RFC 922):
//
//   - the limited broadcast 255.255.255.255 means "every host on this
//     link"; routers never forward it, and a host with several interfaces
//     sends it out of the one its routing table picks;
//   - the directed broadcast of a subnet is its address with every host bit
//     set: for 192.168.1.37/24 it is 192.168.1.255. It names one subnet, so a
//     host sends it out of the interface on that subnet (and a router could
//     in principle forward it there, though RFC 2644 has them refuse).
//
// [DirectedBroadcast] computes the second from an address and mask,
// [InterfaceBroadcasts] does it for every up IPv4 interface, and [Discover]
// probes both kinds so that every interface is covered. IPv6 has no
// broadcast at all: it uses the all-nodes multicast group ff02::1 instead.
//
// # ARP, and why its table only shows recent neighbours
//
// IP addresses hosts; Ethernet delivers frames to MAC addresses. ARP
// (RFC 826) maps one to the other on demand: to send to 192.168.1.20 a host
// broadcasts "who has 192.168.1.20? tell 192.168.1.37", and the owner
// answers by unicast "192.168.1.20 is at 08:00:27:1a:2b:3c". Both sides keep
// the mapping in their neighbour table, the "ARP cache":
//
//	A                                   B (192.168.1.20)
//	| -- ARP request, to ff:ff:..:ff --> |   who has .20? tell .37
//	| <-- ARP reply, to A's MAC -------- |   .20 is at 08:00:27:1a:2b:3c
//	| -- the IP datagram, to B's MAC --> |
//
// The table is a cache, not a directory: an entry appears only when the
// host talks to (or is asked by) a neighbour, and goes stale after some
// seconds without traffic (Linux: base_reachable_time, 30 s, then garbage
// collection). A host that has been quiet, or that was never talked to,
// is absent. That is why the table is a hint for discovery, not a list of
// the LAN, and why broadcast discovery fills it: replies are unicast, so
// after a discovery round every peer that answered is in the table.
// [ARPTable] reads it (/proc/net/arp on Linux) and [ParseARP] reads the output of
// `arp -a` / `arp -n` on Linux, macOS, FreeBSD and Windows.
//
// # Why UDP needs no connection
//
// UDP (RFC 768) adds to IP only ports and a checksum. Each datagram carries
// its full destination, so a socket can send to anyone at any time without a
// handshake, and receive from anyone, learning the sender's address from
// each datagram ([Datagram.From]). There is no connection state to set up or
// tear down, which is what makes one datagram to a broadcast address
// possible at all (TCP cannot have a connection with "everyone"). The price:
// datagrams may be lost, duplicated or reordered, and nothing tells the
// sender. [Discover] therefore sends its probes in several rounds.
//
// # The discovery protocol
//
// Discovery messages are single UDP datagrams of ASCII text, versioned so
// that a later protocol can be told apart from garbage:
//
//	probe:  NETLAB-DISCOVER <version> <name>          NETLAB-DISCOVER 1 alice
//	reply:  NETLAB-HERE <version> <name> <port>       NETLAB-HERE 1 bob 23432
//
// Fields are separated by one space; one trailing "\n" (or "\r\n") is
// allowed; a name is 1 to 32 characters of A-Z a-z 0-9 . _ -; the version is
// 1; the whole datagram is at most 128 bytes. A [UDPPeer] answers a probe by
// unicast to the probe's source address, from its own port:
//
//	prober (ephemeral port)              peers (port 23432)
//	  | -- NETLAB-DISCOVER 1 p --> 192.168.1.255   (directed broadcast)
//	  | -- NETLAB-DISCOVER 1 p --> 255.255.255.255 (limited broadcast)
//	  | -- NETLAB-DISCOVER 1 p --> each ARP neighbour (unicast)
//	  | <-- NETLAB-HERE 1 bob 23432 ---------------- bob
//	  | <-- NETLAB-HERE 1 carol 23432 -------------- carol
//
// The reply may also be sent unasked: a peer that starts announces itself
// with NETLAB-HERE ([UDPPeer.Announce]) to the broadcast addresses or hosts
// at the ports where others may listen, and those record it
// ([UDPPeer.Peers]), so discovery works from both ends.
//
// A peer need not listen on [DefaultPort]: the reply announces the port it
// listens on, and [DiscoverConfig.Ports] makes [Discover] probe every port of a
// range ([PortRange]) at every broadcast address, neighbour and host, so
// peers that chose 40000, or any other port, are found as long as the range
// covers it.
//
// Datagrams that start with "NETLAB-" but do not parse are counted
// ([PeerStats.Malformed], [DiscoverResult.Malformed]) and ignored. Everything
// else a [UDPPeer] receives is chat: one datagram is one message of UTF-8
// text, so `nc -u host 23432` and `socat - UDP:host:23432` are chat clients
// too. Messages are bounded ([PeerConfig.MaxDatagram]): Send refuses longer
// ones with [ErrTooLarge]. Nothing received is dropped unannounced: a
// datagram longer than the limit, not valid UTF-8, or carrying control
// characters is still delivered, cut to the limit and with U+FFFD in place of
// every bad byte, and [Datagram.Problem] and [Datagram.Note] say what was wrong
// and who sent it ([PeerStats] counts them). Only a full Incoming queue drops
// messages, and [PeerStats.Dropped] counts those.
//
// [ScanPorts] keeps the course's port sweep in a bounded form: a port range,
// at most MaxProbes probes, paced at Rate per second, and only to local
// addresses (loopback, private, link-local, or an attached subnet). The
// course swept ports 10 to 65534 for a minute; [ScanPorts] is meant for "which
// of these ten ports has a chat peer on this host".
//
// # The TCP chat
//
// Server speaks a line protocol that nc and telnet can use. The first line
// is the nickname (1-16 characters, a letter then letters, digits, '_' or
// '-', unique without regard to case; an invalid or taken one is answered
// with an error line and the client may try again, NickAttempts times in all);
// then every line is a command:
//
//	/msg <nick> <text>   to one user (the course's peer-to-peer message)
//	/all <text>          to everyone, the sender included; a line without
//	                     a leading "/" means the same
//	/who                 list the users
//	/quit                leave
//	/help                list the commands
//
// The server's lines start with a mark saying what they are:
//
//	line                meaning
//	* text              notice: welcome, "alice joined", "alice left", "server shutting down"
//	* users: a b c      the answer to /who
//	! text              error: invalid nickname, no such user, unknown command (with help)
//	<alice> text        a message to everyone
//	*alice* text        a message to you only
//
// A session, as nc shows it, against examples/tcpchat on the course's port
// 23433 (the library's [DefaultServerConfig] picks a free port instead):
//
//	$ nc 127.0.0.1 23433
//	* netlab chat: send your nickname
//	alice
//	* welcome alice, 2 users online; /help lists the commands
//	/msg bob lunch?
//	<bob> hello everyone
//	*bob* yes, at noon
//
// # Concurrency and backpressure in the server
//
// Every connection has one goroutine, its reader, and one queue; a few
// writer goroutines, one per core (GOMAXPROCS), serve every queue:
//
//	            +------------- Server (RWMutex: conns, nicks) -------------+
//	conn A ---> reader A -- /all --> for each user: enqueue, never wait     |
//	            |                      |             |             |        |
//	            |                  queue A       queue B       queue C      |
//	            |                      \_____ ready list (FIFO) __/         |
//	            |                        writer 1 ... writer GOMAXPROCS     |
//	            +----------------------|-------------|-------------|-------+
//	                                 conn A        conn B        conn C
//
// The reader parses lines and hands each message to the queues of its
// recipients; it never writes to a socket, so it never waits for a slow
// peer. A message is encoded once and its bytes are shared by every queue
// it is in. A queue that was empty puts its client on the ready list; a
// writer takes the client from there, copies everything queued into its
// own buffer and writes it in one non-blocking system call. While a client
// waits for its turn more lines pile up in its queue, so the busier the
// server, the more lines each system call carries ([ServerStats] counts
// Delivered lines and Writes): this is the batching that an event loop on
// epoll gets, without a goroutine or a buffer per client for writing. If
// the socket takes only part of it (the client reads slowly and its
// buffers are full), that client gets a goroutine of its own that waits for
// its socket, with WriteTimeout, until its queue is empty again; the shared
// writers go on with everyone else.
//
// A client that reads slower than the chat talks fills its queue
// ([ServerConfig.QueueLen] lines); the next enqueue fails, and that client,
// and only that one, is disconnected. This is the choice between unbounded
// memory, a stalled chat, and dropping the slow reader; the server takes
// the third. A write that makes no progress for WriteTimeout also ends the
// connection.
//
// What an idle client costs is its reader goroutine's stack, a bufio.Reader
// of MaxLineBytes, the connection and a few map entries: queues grow only
// when lines wait, and shrink again after a burst.
//
// Joins and leaves are announced to everyone only while at most
// MaxAnnounce users (1,000 by default) are online: announcing N joins to a
// room costs N²/2 lines, 50 million for 10,000 users, which kept a
// benchmark's 10,000 logins from finishing in five minutes.
//
// Other limits: lines are at most MaxLineBytes (longer ones, and binary data
// such as control characters or invalid UTF-8, close that connection after
// an error line); a connection silent for IdleTimeout is closed; at most
// MaxClients connections are open, and the next one is told "! server
// full".
//
// Connections that never log in are the cheap way to deny service: 300 of
// them, silent, would hold every slot for the whole IdleTimeout. Two limits
// stop that. A new connection has NickTimeout (10 s by default), for all its
// nickname attempts together, and is then closed with "! no nickname within
// 10s; closing"; and one IP address may hold at most MaxPerAddr connections
// (16 by default; the next is told "! too many connections from your
// address"), so one host cannot take every slot even for those 10 seconds.
// [ServerStats] counts both (NoNick, Limited).
//
// When Run's context ends (or Close is called), the server stops accepting,
// queues "* server shutting down" to every client, half-closes their input,
// waits up to ShutdownGrace for the queues to drain, then closes
// everything. A Server that is never run releases its port with Close.
// Before closing a connection the server half-closes it and briefly discards what
// the client still sends, so that the kernel does not answer unread input
// with a reset that would destroy the last error line.
//
// # Lifecycle and defaults
//
// A zero field of a config means its default (as in net/http), so
// ServerConfig{} is [DefaultServerConfig] and PeerConfig{Addr: a} is
// [DefaultPeerConfig] at a; an invalid value is refused with an error naming
// the field. [NewServer] and [NewUDPPeer] bind their sockets, so Addr is
// known at once; [Server.Run] and [UDPPeer.Run] serve until their context
// ends and have released every goroutine and socket when they return.
// [Server.Close], [UDPPeer.Close] and [Client.Close] are idempotent and wait
// for what they own, a running Run included; after them, calls return an
// error matching [ErrClosed]. A server told to stop gives its clients
// ShutdownGrace only while they have not yet read their goodbye, so a whole
// in-process chat stops at once.
//
// # Performance
//
// Figures from a shared 2-core machine (AMD EPYC, a VM) while other people's
// jobs kept its load average between 9 and 40: they are noisy, and the C10K
// benchmark says how many cores each process got (server_cores and
// client_cores: CPU time over wall time) and what the server spent per
// delivery and per write, which vary far less.
//
// BenchmarkTCPFanout: /all fan-out to 1,000 loopback clients; capacity
// with 32 broadcasts in flight (saturated) beside a bare baseline that
// writes every line to every socket from one goroutine, and the latency at
// an offered load of 200,000 deliveries/s (offered_200k). With
// -benchtime 100x, the design of two goroutines and a 16 KiB bufio.Writer
// per client measured a capacity of 341,000 deliveries/s (7 times the bare
// baseline of its run) and p99 163 ms at the offered load, 87% delivered on
// schedule; the shared writers described above measured 2,535,000/s (27
// times bare) and p99 22 ms, 99% on schedule.
//
// BenchmarkTCPChatC10K: 10,000 clients, in a helper process, logged in from
// 625 loopback addresses with the default MaxPerAddr of 16 (MaxClients
// raised to 10,064). The clients are read by one epoll loop per core, and a
// delivery's latency runs from the wall clock the sender read just before
// its write to the kernel's receive timestamp of the segment that carried
// the line, so the clients' own delays are not in it (read_p99_ms, until a
// client read the line, shows what they would have added). The course's
// goals: at least 1,000,000 deliveries/s saturated, p99 at most 50 ms, at
// most 10 KiB per idle client beside the kernel's socket buffers. The last
// run, -benchtime 50x, load average 24 to 30 (runq/cpu is
// server_runq_wait/cpu: how long the server's threads waited for a core
// for each second they ran):
//
//	sub-benchmark              msgs/s   p50     p99     server  lines   server  runq
//	                                                    cores   /write  ns/msg  /cpu
//	broadcast_saturated     1,248,000  193 ms  336 ms  0.76    33.3       610   2.3
//	broadcast_saturated_w4    301,000  100 ms  418 ms  0.60     6.3     1,990   3.4
//	broadcast_offered_20k      20,000   88 ms  369 ms  0.24     1.0    12,200   3.6
//	broadcast_offered_200k    168,000  303 ms  803 ms  0.25     9.0     1,508  10.2
//	broadcast_offered_500k    430,000   88 ms  184 ms  0.93     7.4     2,153   2.2
//	private_saturated          18,600  672 ms 2294 ms  0.26     2.2    13,905  16.1
//
// Memory, met: an idle logged-in client costs the server 5,847 bytes (1,744
// of heap and 4,103 of goroutine stack) and one goroutine, and 6,474 bytes
// once every queue has carried the whole run's traffic (queues keep up to
// 64 slots after a burst).
//
// Capacity, met when the server gets most of a core. The rate is what the
// server's CPU share allows: seven runs of broadcast_saturated with the
// epoll clients (the last one above, on the final code) measured 398,000
// to 1,599,000 deliveries/s with 0.34 to 0.98 server cores, 568 to 1,016
// ns of server CPU per delivery, so 1,000,000/s takes 0.57 to 1.02 cores
// of this machine; the three runs in which the server got 0.76 cores or
// more met the goal. That capacity needs deep queues: a delivery costs 610
// ns when 33 lines share a write, but 2,153 ns at the offered 500k, where
// writes carry 7.4 lines, so even with 0.93 cores the server delivered
// only 0.85 of the 509,000/s offered there.
//
// Latency, not met, and the reason is measured. Every line of a broadcast
// waits for a sweep of write system calls over the 10,000 sockets, one per
// socket, whatever the design; lines that wait in a queue share a write,
// but the sweep remains. In broadcast_offered_20k each write carried 1.0
// line and cost the server 12.2 us of CPU (server_us/write), so one sweep
// is 122 ms of CPU: 61 ms even with both cores of the machine the server's
// alone (sweep_floor_ms), already above 50 ms. The server got 0.24 cores,
// its threads waiting 3.6 s for a core for each second they ran, and p99
// was 369 ms (401 ms until the clients read the lines). Fewer broadcasts
// in flight do not buy it: broadcast_saturated_w4 keeps 4 in flight
// instead of 32, its writes carry 6.3 lines instead of 33.3, its capacity
// falls to 0.24 of broadcast_saturated's and its p50 halves, but its p99,
// the sweep, is no better (418 ms here; 160 ms against 258 ms in the run
// before). The saturated p99 is Little's law besides: 32 broadcasts in
// flight are 320,000 deliveries, 0.26 s at 1,248,000/s.
//
// Where a write's CPU goes (perf record -g of broadcast_offered_20k, 40
// ops): 92% of the writer goroutines' CPU is inside write(2), so the
// queues, locks and copies of the design are the other 8%; and about half
// of each write (52%) is the receiving end's TCP processing, which
// loopback runs inside the sender's system call, including 15% to wake the
// reader. On a real network that half runs on the clients' hosts. Outside
// the kernel the largest cost is putting each line into 10,000 queues and
// taking it out again: BenchmarkBroadcastEnqueue, in the same run as the
// table, measured 100 ns of CPU per delivery for that, 16% of the 610 ns of
// broadcast_saturated (walking the logged-in clients in a slice rather
// than the nickname map took it from 64 to 107 ns down to 42 to 73 ns in
// three interleaved pairs of runs). The goal would need a sweep under 50
// ms: below 10 us of server CPU per write with both cores free, where this
// machine, loaded, spends 12.2 us (and bare_loopback_write, 100 sockets
// rather than 10,000, 12.9 us for a write and its read).
//
// Before the epoll clients and the kernel timestamps, the clients were
// 10,000 goroutines that read the clock when they got to run; at a load
// average of 9 to 12 the same benchmark then measured 966,000
// deliveries/s saturated, p99 418 ms, and p99 303 ms at 20k offered. The
// shared writers replaced two goroutines and a 16 KiB bufio.Writer per
// client; with those (16 broadcasts in flight, -benchtime 50x) it
// measured 31,723 bytes and 2 goroutines per idle client, a capacity of
// 101,000 deliveries/s (4,328 ns of server CPU each) with p99 4.3 s, and
// 19,000 private messages/s.
//
// # References
//
//   - RFC 768, User Datagram Protocol.
//   - RFC 826, An Ethernet Address Resolution Protocol.
//   - RFC 919, Broadcasting Internet Datagrams.
//   - RFC 922, Broadcasting Internet Datagrams in the Presence of Subnets.
//   - RFC 3021, Using 31-Bit Prefixes on IPv4 Point-to-Point Links.
//   - Dan Kegel, The C10K problem (1999), http://www.kegel.com/c10k.html:
//     serving 10,000 clients at once, and why one thread per client and
//     one system call per message do not get there.
//   - Twitch, Chat & Chatbots, IRC membership: JOIN and PART are not sent
//     for channels with more than 1,000 users (the model for MaxAnnounce).
package chat
