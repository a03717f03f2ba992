// Package gossip spreads information through a cluster with no central
// server, the way Cassandra, Consul and Redis Cluster do: every node tells a
// few random others, they tell others, and soon everyone knows. It has three
// layers, each usable on its own:
//
//   - [Transport], the datagram seam, with a UDP implementation
//     ([UDPTransport]); package [github.com/netlab-go/netlab/gossip/gossiptest]
//     adds an in-memory network with loss, latency, jitter, partitions and
//     counters, deterministic under a seed, for tests and simulations;
//   - the rumor engine: [Node] spreads rumors over any [Transport] by push, pull
//     or push-pull, with a fanout, a stopping rule, duplicate detection with
//     expiry and periodic anti-entropy; its protocol logic is [Engine], a
//     deterministic core stepped by rounds (package gossip/sim simulates it
//     for up to 100,000 nodes);
//   - membership: [Cluster] wraps hashicorp/memberlist (SWIM failure
//     detection) and adds epidemic broadcast, bounded queues, large
//     messages, partition healing, key rotation and an in-process
//     transport.
//
// # Epidemic spreading
//
// Think of a rumor as an infection. A node is susceptible (has not heard
// it), infective (knows it and is spreading it: the rumor is "hot") or
// removed (knows it but has lost interest: "cold"). Time advances in rounds;
// in each round every node contacts Fanout peers chosen uniformly at random.
// What happens in a contact depends on the mode (Demers et al. 1987):
//
//	push:       the caller sends its hot rumors       caller --rumor--> peer
//	pull:       the caller asks for the peer's        caller --digest-> peer
//	            hot rumors it lacks                   caller <--rumor-- peer
//	push-pull:  both in one exchange                  caller <-rumor--> peer
//
// Push. While few know the rumor, almost every push reaches a new node, so
// the informed set grows by a factor 1+f per round: log N / log(1+f) rounds to
// reach a constant fraction. At the end almost every push hits a node that
// already knows; an uninformed node is missed by all of the ~fN pushes of a
// round with probability (1-1/N)^(fN) ≈ e^(-f), so the last ones take
// another ln(N)/f rounds. In total, push with fanout f needs about
//
//	log N / log(1+f) + ln(N) / f     rounds        (Pittel 1987 for f = 1: log2 N + ln N + O(1))
//
// For N = 10,000 and f = 3: 6.6 + 3.1 = 9.7 rounds; the simulator's median
// over 20 seeds is 11 (BenchmarkRoundsToFullCoverage/push-f3 in package
// sim).
//
// Pull. Pull is slow at the start (a lucky node must ask the single informed
// one) but fast at the end: if a fraction s is uninformed, an uninformed
// node stays uninformed only if the peer it asks is uninformed too, so
//
//	s' = s²        (pull, fanout 1: the uninformed fraction squares each round)
//
// which is why Demers et al. use pull (or push-pull) for anti-entropy: once
// most nodes know, the remaining few disappear doubly exponentially fast.
//
// Push-pull. Combining both, Karp, Schindelhauer, Shenker and Vöcking (2000)
// show that push-pull with fanout 1 informs everyone in
//
//	log3 N + O(log log N)   rounds, with only O(N log log N) messages
//
// if nodes stop at the right time. For N = 10,000: log3 N = 8.4, or 10.6
// with ln ln N for the O(log log N) term (sim.PushPullRounds); the
// simulator's median over 20 seeds is 12 rounds, with nodes that never stop
// (BenchmarkRoundsToFullCoverage/push-pull-f1 in package sim; the tour's
// gossip step reports the same run).
// The mean-field recurrences behind all three curves are in sim.MeanField.
//
// # Stopping rules and the residue
//
// A node cannot spread a rumor forever. Rules for losing interest (Demers
// et al.), all available as a [StopRule]:
//
//   - [Coin](p): after each round the node keeps the rumor hot with
//     probability p (Demers' "blind coin" with k = 1/(1-p)). The course
//     re-gossips with probability 0.5.
//   - [Feedback](k): the node loses interest after k contacts that already
//     knew the rumor (the "feedback counter"); it adapts to N by itself.
//   - [AfterRounds](r): spread for exactly r rounds.
//
// Stopping early leaves a residue: nodes that never hear the rumor. Demers'
// rule of thumb: if m is the number of messages sent per node, the residue
// is about e^(-m), because each node is missed by each of the m·N messages
// with probability 1-1/N. That is why anti-entropy exists: a periodic,
// full-state exchange with one random peer ([Config.AntiEntropy]) repairs
// whatever rumor mongering missed, at the cost of a digest per node per
// period. Rumors learned by anti-entropy become hot again.
//
// # The course preset and the defaults, measured
//
// [CoursePreset] reproduces the course's gossip: push to 2 random peers per
// round, keep the rumor with probability 0.5, anti-entropy every 10 s, 1 s
// rounds. [DefaultConfig] pushes to 3 peers with probability 0.8 of staying
// hot, 100 ms rounds and anti-entropy every 5 s. The simulator at
// N = 10,000 over 20 seeds (BenchmarkRoundsToFullCoverage in package sim,
// one case per row: go test -run '^$' -bench RoundsToFullCoverage
// -benchtime 1x ./gossip/sim) gives:
//
//	                                  msgs/node      residue w/o    rounds to all    time to all
//	benchmark case                    (no AE case)   anti-entropy   median (p90)     (median)
//	course-preset                        3.9           2.05 %        20 (30)          20 s
//	course-preset-loss10                 3.9           3.1 %         40 (40)          40 s
//	default                             10.3           0             12 (14)         1.2 s
//	default-loss10                      11.2           0             13 (15)         1.3 s
//	push-pull-f1 (never stops)          12.2           0             12 (12)
//	push-f3 (never stops)               11.5           0             11 (11)
//	pull-f1 (never stops)               18.4           0             17 (19)
//
// The first two columns come from the same case with anti-entropy off
// (the -no-ae cases: what rumor mongering alone costs and misses), the
// rounds from the case itself; the time is the rounds times the preset's
// interval.
//
// The course preset is cheap, but with fanout 2 and a fair coin each node
// sends about 4 messages, so e^(-3.9) ≈ 2 % of the nodes (200 of 10,000)
// never hear the rumor from rumor mongering. They wait for anti-entropy,
// which the course runs only every 10 s (10 rounds), and one anti-entropy
// round repairs a node only if its random partner knows, so the last
// stragglers take 2-3 periods: full coverage takes 20-30 s, and 40 s at
// 10 % loss. Tripling the messages per node (fanout 3, coin 0.8) drives the
// residue to about e^(-10), below one node in 10,000, so rumor mongering
// alone reaches everyone in 12 rounds; with 100 ms rounds that is about a
// second, and anti-entropy remains only a backstop for loss and partitions.
//
// # The rumor protocol on the wire
//
// Every datagram is one [Message] ([DecodeMessage] parses it, bounding every
// length before allocating; FuzzDecodeMessage fuzzes it):
//
//	+-----+-----+------+----------+--------------------------------+---------+-----------+
//	| 'G' | 1   | kind | nrumors  | nrumors × (id u64, ttl-ms u32, | nids    | nids × id |
//	|     |     |      | u16      |   len u16, payload)            | u16     | u64       |
//	+-----+-----+------+----------+--------------------------------+---------+-----------+
//
//	kind        sent by                    carries            answered by
//	push        push round                 hot rumors         reply (feedback IDs, if Feedback)
//	pull        pull round                 digest (IDs)       reply (hot rumors not in digest)
//	push-pull   push-pull round            hot rumors+digest  reply (both)
//	reply       answer to the three above  rumors, feedback   nothing
//	digest      anti-entropy               all known IDs      sync (rumors you lack, IDs I want)
//	sync        answer to digest           rumors, want list  sync (the wanted rumors)
//
// Messages never exceed [Config.MaxMessage] (1,400 bytes by default, one
// Ethernet frame): rumors that do not fit wait for the next round, and
// digests list the newest IDs first.
//
// Forgetting. A node must remember a rumor's ID to ignore copies
// (dedup), but not forever: each rumor carries the time it may still live
// (TTL). The publisher sets it to [Config.Expiry]; a receiver remembers the
// rumor for the TTL it received and sends on its own remaining TTL. The
// lifetime thus shrinks along every path, every node forgets at about the
// same absolute time, and a copy arriving after that carries a TTL of zero
// and is ignored, so forgotten rumors never come back. MaxRumors bounds
// memory even under a flood.
//
// [Engine] holds all of this as plain state: [Engine.Round] and
// [Engine.Receive] return the messages to send, randomness comes from a seeded
// generator, and there is no clock, socket or goroutine inside, so tests and
// the simulator step it round by round. [Node] adds a [Transport], a ticker and
// a mutex.
//
// # Membership: SWIM
//
// To gossip you must know whom to gossip with, and notice who has died.
// Heart-beating everyone to everyone costs O(N²) messages. SWIM (Das, Gupta
// and Motivala 2002), which memberlist implements, separates failure
// detection from dissemination and costs O(N) per period:
//
//	every ProbeInterval, member A picks the next member B (round robin):
//
//	A --ping--> B                       direct probe
//	A <--ack--- B                       B is alive; done
//
//	no ack within ProbeTimeout:
//	A --ping-req(B)--> C1..Ck           indirect probe through k = IndirectChecks members
//	     C --ping--> B, C <--ack-- B    (a path that avoids A's congested link)
//	A <--ack-- C                        B is alive; done
//
//	still nothing at the end of the interval:
//	A marks B suspect and gossips "suspect B"
//	B, hearing it, refutes: "alive B" with a higher incarnation number
//	nobody refutes within the suspicion timeout: "dead B" is gossiped
//
// Suspicion avoids declaring a slow member dead. The timeout grows with
// log N (SuspicionMult · log10 N · ProbeInterval) and, in memberlist's
// Lifeguard extension, starts at SuspicionMaxTimeoutMult times that and
// shrinks as other members independently confirm the suspicion
// ([ClusterConfig.SuspicionTimeout], [ClusterConfig.DetectionTime]). Membership changes
// ("alive", "suspect", "dead") are not sent separately: they are
// piggy-backed on the probe and gossip packets, each retransmitted
// RetransmitMult · ⌈log10(N+1)⌉ times, and a periodic TCP push-pull of the
// whole member list (PushPullInterval) repairs anything gossip missed:
// anti-entropy again.
//
// # What Cluster adds to memberlist
//
// Epidemic relay. memberlist transmits a user broadcast only from the
// sender's queue, RetransmitMult · ⌈log10(N+1)⌉ times (12 for N = 200), to
// random members: a broadcast reaches about 12 of 200 members. [Cluster] gives
// every broadcast a random 128-bit ID; a member that receives an ID for the
// first time delivers it and queues it for retransmission itself; copies of
// known IDs are dropped (IDs are remembered for DedupExpiry, at most
// DedupMax). This turns the sender's queue into push gossip with m ≈ 12
// messages per member, residue e^(-12): every live member gets every
// broadcast, also at 10 % loss.
//
// Bounded queues. The broadcast queue holds at most
// [ClusterConfig.MaxQueue] messages ([ClusterConfig.QueueDrop]:
// [DropOldest] prunes the most retransmitted, [DropNewest] refuses the new
// one); received messages wait for [ClusterConfig.OnMessage] in a queue of
// [ClusterConfig.InboxSize], events in one of [ClusterConfig.EventBuffer].
// Every drop is counted in [ClusterStats].
//
// Large messages. A broadcast above LargeMessage bytes (1,000 by default:
// it must share a 1,400-byte UDP packet with memberlist's own messages) is
// not gossiped. Instead its ID is announced by gossip ("I have it"); a member
// that hears the announcement for the first time asks that holder over a TCP
// stream, receives the body, delivers it, and announces that it has it too:
// push the digest, pull the body.
//
//	A --announce(id, A)--> B   (gossip)   B --want(id)--> A   (stream)
//	A --body(id)---------> B   (stream)   B --announce(id, B)--> C ...
//
// Repair. Every member keeps the payload of each broadcast for DedupExpiry
// and puts the IDs of the newest 256 in the state memberlist exchanges at
// push-pull sync (on join and every PushPullInterval). A member that sees
// an ID it never received asks the peer for the body over a stream. This is
// anti-entropy for broadcasts: what gossip missed (heavy loss, a member
// briefly cut off or too busy) arrives at the next sync.
//
// Partition healing. memberlist keeps gossiping to dead members for
// GossipToTheDeadTime only; after a longer partition the two halves have
// each declared the other dead and never talk again. Cluster remembers
// members that failed (not those that left) and every ReconnectInterval
// tries to Join one of them, with probability failed/alive as in Serf, so
// the cluster makes about one attempt per interval whatever its size. When the partition heals, the join's
// push-pull shows each side that the other thinks it dead, each refutes
// with a higher incarnation, and the views merge. A member that left
// gracefully publishes a "leaving" flag first, so the others report
// [EventLeave] rather than [EventFail] and do not retry it.
//
// Joining and rejoining. [Cluster.Join] contacts seeds once. With
// [ClusterConfig.Seeds] the member joins by itself, like Serf's and
// Consul's retry-join: it retries until a seed answers, waiting a random
// time in [d/2, d] between attempts with d doubling from
// [ClusterConfig.JoinRetryMin] to [ClusterConfig.JoinRetryMax] (capped
// exponential backoff with jitter, so that members started together do not
// knock in step), and it tries again whenever it finds itself alone. So a
// member may be started before its seed, and a seed that restarts with an
// empty view is found again. Each attempt is logged at debug level, the
// first success at info level, and both are counted
// ([ClusterStats.JoinAttempts], [ClusterStats.Joins]).
//
// Encryption. With [ClusterConfig.Keys] every packet and stream is sealed
// with AES-GCM (memberlist's keyring); members without the key can neither
// join nor inject messages. [ParseKey] reads a base64 key and [ReadKeyring]
// a keyring file, for programs that take keys from flags. Rotate a key
// without downtime: [Cluster.AddKey] the new key on every member, then
// [Cluster.UseKey] it on every member, then [Cluster.RemoveKey] the old one
// everywhere.
//
// In-process transport. [ClusterConfig.Network] runs a member on any
// [Network] instead of sockets;
// [github.com/netlab-go/netlab/gossip/gossiptest.MemNetwork] is one, so one
// process can hold clusters of hundreds of members, with loss and
// partitions. memberlist's own MockNetwork hands packets over unbuffered
// channels, so a sender blocks until the receiver reads and clusters beyond
// a few nodes deadlock; on MemNetwork every hand-off is buffered and drops
// when full.
//
// Measured (BenchmarkCluster200, 200 members in one process on loopback
// UDP/TCP, two shared and busy cores, one run of about 2 minutes): with
// [DefaultLocalConfig] every member saw all 200 0.39 s after the joins
// finished, and each of 50 broadcasts reached 200 of 200, p99 0.55 s. With
// memberlist's own [DefaultLocalConfig] timings and no relay, full views took
// 74 s and a broadcast reached 7 of 200. On a MemNetwork losing 10 % of
// packets, 100 members delivered 50 of 50 broadcasts everywhere, p99 0.38 s
// (BenchmarkClusterLoss). BenchmarkCluster20 is the short version.
//
// # Building on Cluster
//
// A replicated store (such as netlab's kvstore) needs these, and gets them:
//
//   - [Cluster.Broadcast] and [ClusterConfig.OnMessage]: an update reaches
//     every live member once ([ClusterMessage.Broadcast] is true,
//     [ClusterMessage.From] is the origin);
//   - [Cluster.Members] and [Cluster.Events]: who is there, and join, leave
//     and fail events as they happen;
//   - [Cluster.Send] for a one-way reliable message, and [Cluster.Request]
//     with [ClusterConfig.OnRequest] for request/response, both over TCP
//     streams of any size;
//   - [ClusterConfig.State] ([StateDelegate]): full-state
//     exchange on join and every PushPullInterval, the anti-entropy of the
//     layer above (the Cluster prefixes its own broadcast digest and strips
//     it again, so the hooks see exactly their own bytes).
//
// # Lifecycle and defaults
//
// A zero field of a config means its default (as in net/http): Config{} is
// [DefaultConfig] without anti-entropy and with seed 0, UDPConfig{} is
// [DefaultUDPConfig], and ClusterConfig{} is [DefaultLocalConfig] without
// relay or indirect probes (each config's documentation lists the fields
// whose zero is meaningful). An invalid value is refused with an error
// naming the field. [NewUDP] and [NewCluster] bind their sockets, so the
// address is known at once; [Node.Run] and [Cluster.Run] run until their
// context ends and have released every goroutine and socket when they
// return. [UDPTransport.Close], [Node.Close] and [Cluster.Close] are
// idempotent and wait for what they own, a running Run included; after
// them, calls return an error matching [ErrClosed] ([ErrClusterClosed]
// does). A member whose Run's context ends leaves within
// [ClusterConfig].LeaveTimeout, a few gossip intervals, so a whole
// in-process cluster stops at once.
//
// # Guarantees and limits
//
// Gossip is probabilistic: delivery is "with high probability", quickly,
// with anti-entropy ([Node]) or push-pull sync ([Cluster]) as the backstop for
// anything missed. There is no ordering between rumors or broadcasts, and a
// member that was down longer than the dedup expiry may miss broadcasts for
// good: the layer above must reconcile state (that is what the State hooks
// are for). Node peers are configured, not discovered: use [Cluster] for
// membership.
//
// # Threat model
//
// Who can reach a member's port is the whole question. Without
// [ClusterConfig.Keys], gossip is neither authenticated nor encrypted:
// anyone who can send a UDP packet or open a TCP stream to a member can
// read every broadcast, join under any name, broadcast or send as any
// origin (the From of a [ClusterMessage] is what the sender wrote), gossip
// that a live member is dead (it refutes, but a flood of such claims
// churns the views), and make members fetch large broadcasts from an
// address of its choosing. That is acceptable on loopback, in a test, or
// on a network where everyone who can reach the port is trusted; nowhere
// else. With Keys, every packet and stream is sealed with AES-GCM: an
// outsider can neither read nor forge nor join, and packets it replays are
// memberlist messages that a live member already refuted or deduplicated.
// What encryption does not give: protection from a member holding the key
// (it can do everything an outsider could without keys), hiding who talks
// to whom and how much, or availability (anyone can still flood the port).
// A member's resources are bounded whatever it receives: every queue has a
// cap and a drop counter ([ClusterStats]), every decoder bounds lengths
// before allocating, and broadcasts are at most [MaxBroadcast] bytes.
//
// # References
//
//   - A. Demers, D. Greene, C. Hauser, W. Irish, J. Larson, S. Shenker,
//     H. Sturgis, D. Swinehart, D. Terry. Epidemic Algorithms for Replicated
//     Database Maintenance. PODC 1987.
//   - B. Pittel. On Spreading a Rumor. SIAM J. Applied Mathematics 47(1),
//     1987.
//   - R. Karp, C. Schindelhauer, S. Shenker, B. Vöcking. Randomized Rumor
//     Spreading. FOCS 2000.
//   - A. Das, I. Gupta, A. Motivala. SWIM: Scalable Weakly-consistent
//     Infection-style Process Group Membership Protocol. DSN 2002.
//   - A. Dadgar, J. Phillips, J. Currey. Lifeguard: Local Health Awareness
//     for More Accurate Failure Detection. 2018 (memberlist's suspicion).
//   - hashicorp/memberlist: https://github.com/hashicorp/memberlist
package gossip
