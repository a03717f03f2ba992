// Package p2p is the course's peer-to-peer overlay: seed nodes that keep a
// registry of peers, peers that join through a majority of the seeds, pick
// neighbours by preferential attachment, spread gossip by flooding, watch
// each other's liveness and report dead nodes. Node degrees follow a power
// law.
//
// The wire format is the course's, one message per line of UTF-8 over TCP,
// so any peer that follows it interoperates, and nc can talk to a seed:
//
//	$ nc 127.0.0.1 7000
//	register:127.0.0.1:8001
//	registered successfully
//	get peer list
//	peer list:127.0.0.1#8001
//
// # The pieces
//
//   - A [Seed] ([NewSeed], [SeedConfig]) listens on TCP and keeps a [Registry] of
//     the peers' listen addresses; it removes a peer reported dead only
//     after probing it (see "Dead-node report"). [MemRegistry] is the
//     in-memory one; the interface is the seam for a durable registry.
//   - A [Peer] ([NewPeer], [Config]) registers with the seeds, keeps links to its
//     neighbours, generates and forwards gossip and runs liveness checks.
//   - [Parse] decodes a line into a [Message]; [Message.String] encodes one. Parse
//     is a pure function (no I/O, no state) and is fuzzed.
//   - [RunSim] starts a whole overlay in one process; [Overlay], [DegreeCCDF],
//     [PowerLawMLE] and [PowerLawKS] measure it. Package
//     [github.com/netlab-go/netlab/p2p/chart] draws it, so that this
//     package carries no plotting stack.
//
// # Wire format
//
// Every message is one line ending in "\n" ("\r\n" is accepted). Lines are
// at most [MaxLineLength] bytes (64 KiB, for long peer lists); between
// neighbours at most 512 bytes. IP addresses are IPv4: the colon separators
// leave no room for IPv6. Timestamps are decimal Unix seconds with up to six
// fraction digits, as Python's time.time() prints them ([Stamp]).
//
//	peer -> seed  register:<IP>:<Port>                 registered successfully | error:<why>
//	peer -> seed  get peer list                        peer list:<IP1>#<Port1>:<IP2>#<Port2>...
//	peer -> seed  Dead Node:<DeadIP>:<DeadPort>:<timestamp>:<ReporterIP>
//	                                                   dead node removed | error:<why>
//	seed -> peer  Liveness Request:<timestamp>:<IP>    (the seed's probe of a peer reported dead)
//	peer -> peer  connect:<IP>:<Port>                  connected | refused:<why>
//	peer <-> peer <timestamp>:<IP>:<Msg#>              (gossip; no reply)
//	peer <-> peer Liveness Request:<timestamp>:<IP>
//	              reply: Liveness Reply:<sender.timestamp>:<sender.IP>:<self.IP>
//	anyone -> peer get peer list                       peer list:... (the peer's neighbours)
//
// The course writes a node in gossip, liveness and Dead Node messages as its
// IP. Many peers share one host in a simulation, so this package writes
// IP#Port there (the peer-list notation) and reads either; without the port,
// message 1 of two peers on 127.0.0.1 in the same microsecond would be the
// same message. An "error:<why>" line answers anything that is not
// understood; a connection that sends [Config.MaxErrors] bad lines, or one line over
// the bound, is closed.
//
// # Joining
//
// A peer reads its seeds from a file of IP:Port lines ([ReadSeeds]), picks
// Majority(n) = ⌊n/2⌋+1 of the n seeds at random and registers with each,
// trying another seed in place of one that does not answer. It takes the
// union of their peer lists and connects to Neighbours of those peers:
//
//	peer P                   seed S1, S2 (a majority)          peers A, B
//	  |-- register:IP:Port --------->|                             |
//	  |<-- registered successfully --|   (S1 checks that IP is     |
//	  |-- get peer list ------------>|    the connection's source) |
//	  |<-- peer list:A#pa:B#pb ------|                             |
//	  |   ... the same with S2; P takes the union ...              |
//	  |-- get peer list ------------------------------------------>| (sample: degrees)
//	  |<-- peer list:<A's neighbours> -----------------------------|
//	  |-- connect:IP:Port ---------------------------------------->|
//	  |<-- connected  (or refused:at capacity) --------------------|
//	  |====== link: gossip and liveness flow both ways =============|
//
// Why ⌊n/2⌋+1 seeds: any two majorities of the same n seeds share at least
// one seed. So whichever majority a newcomer asks, at least one of its seeds
// knows any given earlier peer, and the union of lists it receives is never
// blind to a part of the network; and the network keeps accepting peers
// while a majority of the seeds is up (with 3 seeds, one may fail). Asking
// all n would stop joins at the first dead seed; asking one would let a
// single seed's view, or its failure, split the network.
//
// # Choosing neighbours: preferential attachment
//
// A joining peer connects to existing peers with probability proportional to
// their degree ([PreferentialPick] uses degree+1, so that newcomers of degree 0
// can be chosen). Seeds do not know degrees, so the peer asks a random sample
// of Sample candidates for their neighbour lists: a sampled peer's degree is
// then known, and every other candidate's is estimated from how often it
// appears in those lists, since each appearance is one end of one of its
// edges. The course's capacity rule, at most 40·1.5^(−id/10) neighbours for
// peer id ([CourseCapacity]), is available as [Config.Capacity]; a full peer
// answers refused:at capacity and the newcomer tries the next candidate.
//
// This is the growth-plus-preference model of Barabási and Albert (1999):
// the rich get richer, early and well-connected peers collect links faster,
// and the fraction of peers of degree k falls as a power law, P(k) ∝ k^−α,
// with α = 3 in the pure model (and typically 2 to 3 in this overlay, whose
// degree estimates are noisy). [PowerLawMLE] fits α by maximum likelihood,
// α = 1 + n / Σ ln(k_i / (k_min − ½)) (Clauset, Shalizi & Newman 2009),
// which unlike a straight line through a log-log histogram is not thrown
// off by the sparse tail. [PowerLawKS] measures how well the fit holds: the
// Kolmogorov–Smirnov distance between the degrees' P(K ≥ k) and the fitted
// law's, the goodness-of-fit statistic of the same paper.
//
// A power law means a few hubs and many peers with few links. Albert, Jeong
// and Barabási (2000) showed what that does to failures: removing random
// nodes almost always removes low-degree ones, so the network stays
// connected even when a large fraction fails; removing the hubs first (a
// targeted attack) shatters it after a few percent. A random graph with the
// same number of links degrades the same way under both. The overlay is
// robust to peers crashing at random and fragile against someone who knows
// which peers are hubs. [Overlay.Robustness] repeats the experiment on a
// snapshot, and the chart package draws both curves.
//
// # Gossip flood
//
// Every [Config.GossipInterval] a peer generates a message <timestamp>:<IP#Port>:<n>,
// GossipCount in all (course: every 5 s, 10 messages). A peer that receives
// a gossip line looks up its [Message] List, keyed by a hash of the line
// ([KeyOf]): the first time, it logs the message with the local time and the
// sender, and forwards it to every neighbour except the one it came from;
// afterwards it drops it silently.
//
//	A --m--> B --m--> D
//	|        |
//	m        m
//	v        v
//	C --m--> E --m--> (B: seen, dropped)
//
// Each peer delivers each message once and sends it at most degree−1 times,
// so a flood costs about twice the number of links. The Message List is
// bounded ([Config.MessageListMax] entries, oldest dropped first) and entries expire
// after [Config.MessageTTL], which must outlast the time a message takes to cross the
// overlay or it would be taken as new and flooded again.
//
// # Liveness
//
// Every [Config.LivenessInterval] (course: 13 s) a peer sends each neighbour a
// Liveness Request on their link and expects the reply before the next
// round. A round in which the last request went unanswered, or the link is
// down and cannot be redialled, is a failure; a reply resets the count:
//
//	P                         N
//	|-- Liveness Request:t1:P -->|
//	|<- Liveness Reply:t1:P:N ---|      failures = 0
//	|-- Liveness Request:t2:P -->X      (N crashed)
//	|   next round: unanswered          failures = 1
//	|   next round: redial refused      failures = 2
//	|   next round: redial refused      failures = 3 = LivenessFailures
//
// # Dead-node report
//
// After [Config.LivenessFailures] failures in a row (course: 3) the neighbour is
// dead. The peer drops the link, sends Dead Node to every seed it registered
// with, and then to the other seeds it knows (the dead node may have
// registered with a different majority, and every seed should forget it),
// registers again to fetch fresh lists, and connects to a replacement.
//
// The line protocol carries no credentials, so a seed that believed every
// report would let anyone evict any live peer with one line. A [Seed]
// removes a peer only when both of these hold:
//
//  1. The reporter is a registered peer: the report's ReporterIP (or
//     IP#Port) names a peer in the seed's [Registry] and, with
//     [SeedConfig.CheckSource], the line comes from that IP. A seed cannot
//     see the overlay's links, so this is as close to "a neighbour" as it
//     can check. A report from anyone else is answered "error:<why>" and
//     counts as a bad line.
//  2. The seed's own probe finds the reported peer dead: it sends a Liveness
//     Request on a fresh connection to the peer's listen address, and
//     removes the peer only when the dial fails or nothing answers within
//     [SeedConfig.ProbeTimeout]. Any line back means the peer lives; the
//     seed keeps it and answers "error:<addr> answered the seed's probe: not
//     removed".
//
// A report about a peer the seed does not list is answered "dead node
// removed" without a probe, so nobody can aim the seed's probes at an
// arbitrary host; reports about one peer that arrive together share one
// probe. The lines are the course's, unchanged: a course peer that reports
// a dead neighbour it registered with the seed gets "dead node removed" as
// before, and one that answers Liveness Requests (or any line) on a new
// connection is safe from false reports. Since a peer may not be registered
// with the seeds outside its majority, netlab's peers send a register line
// before the report on the same connection.
//
//	P                      seed                     N (crashed)
//	|-- register:P -------->|                          |
//	|<- registered ... -----|                          |
//	|-- Dead Node:N:port:t:P ->|-- Liveness Request ---X  (refused)
//	|<-- dead node removed ----|   (seed removes N)    |
//	|-- register / get peer list ->|                   |      new neighbour R
//	|-- connect:IP:Port ---------------------------------------------->|
//
// A crash is therefore reported within LivenessFailures+1 intervals: up to
// one interval until the next round, then LivenessFailures rounds. The
// seed's probe of a crashed peer is refused at once, so the peer is gone
// from the seeds within (LivenessFailures+1)·LivenessInterval plus the
// report's round trip, which a reporter allows 2·DialTimeout per seed
// (TestCrashedPeerIsRemovedWithinTheBound checks this bound; on loopback
// the round trip is a millisecond or so). A peer that hangs instead of
// crashing (its kernel still accepts connections) costs the seed
// ProbeTimeout more. A peer that was reported by mistake (a partition, a
// pause) registers again every [Config.RefreshInterval] and is back in the seeds'
// lists; a peer with fewer than Neighbours neighbours tops up at the same
// time.
//
// # Healing a partition
//
// When the network between two groups of peers fails, each side sees its
// neighbours on the other side stop answering, declares them dead, reports
// them and replaces them with peers on its own side. Topping up is not
// enough to undo this: once the cut heals, every peer again has its quota
// of neighbours, so no peer looks for new ones, and two halves large
// enough to fill their own quotas would stay apart forever, each flooding
// gossip only to itself.
//
// So a peer remembers the neighbours it declared dead ([Peer.Lost]) and
// compares them with the seeds' peer lists at every refresh. A dead node is
// removed from the seeds and, being dead, never registers again; a lost
// neighbour that the seeds still list (their probe reached it, so they kept
// it) or list again (it registered since it was reported) is alive, and
// what failed was the path between the two. The peer
// dials it again, refresh after refresh, until the link is back:
//
//	A (one side)                   seeds                  B (other side)
//	|============================ link ============================|
//	|              the network between the sides fails             |
//	|-- Liveness Request --X                X-- Liveness Request --|
//	|     ... LivenessFailures rounds unanswered at both ends ...  |
//	|-- Dead Node:B ------------>|<------------------ Dead Node:A --|
//	|  lost = {B}; A links to a  |  lost = {A}; B links to a peer  |
//	|  peer on its own side      |  on its own side                |
//	|                            |<-- register:B (every refresh) --|
//	|-- register, get peer list >|                                 |
//	|<-- peer list:...B... ------|  B is listed: it is alive       |
//	|-- connect:A -------------------------X  (still cut: A tries  |
//	|                                         at its next refresh) |
//	|                    the network heals                         |
//	|-- connect:A ------------------------------------------------>|
//	|<-- connected ------------------------------------------------|
//	|================ link restored: gossip crosses ===============|
//
// Dials to a lost neighbour fail while the cut lasts (at most 3 lost
// neighbours are tried per refresh, so a long cut costs a few failed dials
// per RefreshInterval); the first refresh after it heals brings the link
// back, and one link across is enough to make the overlay one component
// again: the next gossip message reaches both sides. A lost neighbour is
// forgotten once linked again, when it answers refused (it is reachable),
// or after [Config.ReconnectTimeout] (24 hours by default). Serf heals
// partitions the same way: it keeps failed members for a reconnect timeout
// and keeps trying to reach them.
//
// Only links that existed before the cut come back, so the degree
// distribution in steady state is untouched; the two ends of a restored
// link keep the replacements they picked during the cut, one neighbour more
// than their quota, as after any mistaken death report. The alternative
// used by unstructured overlays, a small amount of random rewiring or a
// bridge link to a uniformly chosen peer, also heals partitions, but at
// every moment it replaces preferential links with uniform ones, which
// thins the power law's tail, and it costs churn forever for a rare event.
//
// # Logs
//
// Logging goes through an optional [*slog.Logger] ([NewLogger] writes to the
// console and an output file at once). The course's fields are kept: seeds
// log connection requests and dead-node reports; peers log the peer lists
// they receive, each first-time gossip message with the local time and the
// sender's IP, and the dead nodes they report. Liveness traffic and
// duplicate gossip are not logged; rejected input is, as a warning.
//
// # Lifecycle and defaults
//
// A zero field of a config means its default (as in net/http), so
// Config{Seeds: seeds} is [DefaultConfig] with its seeds; the exceptions are
// the fields whose zero is meaningful ([Config.GossipCount] 0 generates none,
// [Config.Capacity] 0 is no limit, [SeedConfig.CheckSource] false is off). An
// invalid value is refused with an error naming the field. [NewSeed] and
// [NewPeer] bind their listeners; [Seed.Run] and [Peer.Run] run until their
// context ends and have released every goroutine and socket when they
// return. [Seed.Close] and [Peer.Close] are idempotent and wait for a
// running Run; Run after them returns an error matching [ErrClosed]. A
// stopping peer says no goodbye, so a whole overlay stops at once.
//
// # Limits
//
//   - No authentication: the source address is the identity. Anyone on a
//     registered peer's host can send a report in its name, and a registered
//     peer can report any peer; the seed's probe is what keeps a live peer
//     listed. A peer that the seed cannot reach but its neighbours can (a
//     firewall between them) is kept; one that its neighbours cannot reach
//     but the seed can is kept too, which is what heals a partition.
//   - IPv4 only, as the line format has no room for IPv6 colons.
//   - A seed checks that a register line names the connection's source IP,
//     but cannot check the port.
//   - Seeds keep no state on disk ([MemRegistry]); a restarted seed learns the
//     peers again as they refresh.
//   - A partition heals by restoring links that crossed it. If every peer
//     that had a neighbour across the cut leaves while it lasts, if it
//     lasts longer than ReconnectTimeout, or if the overlay was never
//     connected (its two halves joined while apart), the sides stay
//     apart. So do two sides whose every restored link is refused because
//     both ends are at Capacity.
//
// # References
//
//   - A.-L. Barabási, R. Albert. Emergence of scaling in random networks.
//     Science 286, 509–512 (1999).
//   - R. Albert, H. Jeong, A.-L. Barabási. Error and attack tolerance of
//     complex networks. Nature 406, 378–382 (2000).
//   - A. Clauset, C. R. Shalizi, M. E. J. Newman. Power-law distributions in
//     empirical data. SIAM Review 51, 661–703 (2009).
//   - HashiCorp Serf, Config.ReconnectInterval and ReconnectTimeout: how a
//     gossip membership protocol heals partitions by retrying failed
//     members (https://github.com/hashicorp/serf).
//   - The course's lab manual: Gossip-based P2P network with seed nodes,
//     liveness checks and power-law degree distribution.
package p2p
