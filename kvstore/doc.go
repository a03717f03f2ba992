// Package kvstore is an eventually consistent key-value store replicated by
// gossip, in the manner of Dynamo and Cassandra and small enough to read:
// every node holds every key, writes go to any node, reads are local, and
// replicas that stop receiving writes converge to the same contents.
//
// # Eventual consistency
//
// A [Node.Put] applies on the node that receives it and returns at once; the write
// then spreads to the other replicas. For a while, readers on other nodes may
// see the old value. The guarantee is convergence: once writes stop and the
// network delivers messages again, every replica holds the same entries.
// Nothing waits for a quorum, so a node keeps accepting writes when
// partitioned from the rest (availability over consistency, in CAP terms),
// and concurrent writes to one key on two sides of a partition are resolved
// afterwards by a deterministic rule rather than prevented.
//
// A caller that wants more than one node's word can ask for it:
// [Node.PutAcked] and [Node.DeleteAcked] (w=N in the HTTP API) answer only
// once N other replicas have stored the write, the W of Dynamo's N, R, W.
// This makes the write survive the writer's crash; it does not make reads
// consistent, since reads stay local and there is no read quorum.
//
// # Last-writer-wins under a hybrid logical clock
//
// Each [Entry] carries a [Version]: a hybrid logical clock timestamp (Wall,
// Logical) and the writing node's name. When two replicas disagree, the
// entry with the greater version wins (last-writer-wins, LWW). Versions are
// totally ordered and unique per write, so [Merge] is commutative, associative
// and idempotent: the laws of a state-based CRDT (an LWW register per key),
// which is why the order and number of deliveries cannot matter.
//
// Why not wall-clock timestamps? Two nodes' clocks disagree, and a write
// stamped by a node whose clock runs slow loses to an older write from a
// node whose clock runs fast: the later write silently disappears. A hybrid
// logical clock (Kulkarni et al. 2014) keeps the physical time's meaning but
// never goes backwards and respects causality: a node that has seen a write
// stamps its own later writes after it, whatever its own clock says.
//
//	local event:  l' = l; l = max(l', pt); c = (l == l') ? c+1 : 0
//	receive m:    l' = l; l = max(l', m.l, pt)
//	              c = l == l' == m.l ? max(c, m.c)+1
//	                : l == l'        ? c+1
//	                : l == m.l       ? m.c+1 : 0
//
// A remote timestamp more than [Config.MaxClockOffset] ahead of the local
// clock is rejected and counted ([Stats.RejectedClock]): otherwise a node with
// a clock an hour fast would win every conflict for an hour.
//
// LWW's trade-off is that of every conflict-free register: of two concurrent
// writes, one is discarded, and the application is not told. Keys that need
// both writes (counters, sets, carts) need other CRDTs or vector clocks with
// sibling values, as in Dynamo.
//
// # Deletes, tombstones and grace
//
// A delete cannot simply remove the key: an older write still travelling
// would bring it back. [Node.Delete] writes a tombstone, an entry with a version and
// no value, which wins over older writes like any other entry. Tombstones are
// collected after [Config.TombstoneGrace]. The known caveat, shared with
// Cassandra's gc_grace_seconds: a replica that was cut off for longer than
// the grace period still holds the old value, and when it returns, its value
// is newer than nothing, so the deleted key is resurrected. Choose the grace
// period longer than any partition you expect; repair before it ends.
//
// # Replication: broadcast, then anti-entropy
//
// The write path is rumor mongering: Put broadcasts the entry through the
// [gossip.Cluster], which relays it epidemically, so every live replica gets it
// in a few hundred milliseconds without waiting for anything periodic.
// Broadcasts can be lost (a partition, a full queue, a crashed node), so
// anti-entropy runs underneath as the backstop (Demers et al. 1987). Every
// [Config.AntiEntropyInterval] a node picks a random peer and compares
// keyspaces. The course design resends the whole state every 10 s: the cost
// grows with the data, not with the difference. Here, as in Cassandra's
// repair with Merkle trees and Dynamo's anti-entropy, replicas first compare
// hashes and transfer only what differs:
//
//	I                                   R
//	|-- root(hash of all buckets) ----->|   equal: done, 11 bytes exchanged
//	|<--------- digests(all buckets) ---|   differ: R's bucket digests
//	|-- summaries(I's keys+versions --->|   for the differing buckets only
//	|<-- want(keys R lacks) ------------|   R asks for what it lacks
//	|<-- offer(R's newer keys+versions)-|   and offers what I lacks
//	|-- repair(wanted entries) -------->|
//	|-- want(offered keys I lacks) ---->|
//	|<-- repair(wanted entries) --------|
//
// Entries travel only in answer to a want. A node remembers what it asked
// for until it arrives, never asks twice for a key in flight, and answers one
// root at a time, so a replica that missed a lot is repaired by one peer
// rather than by all of them at once.
//
// The keyspace is split into [Config.Buckets] buckets by a hash of the key. A
// bucket's digest is the XOR of hashes of its entries (key, version,
// tombstone), updated in O(1) on every write; the root hashes all digests.
// This is a two-level Merkle tree, flat enough that one message carries a
// whole level. Replicas in sync exchange one 11-byte root message per
// interval, and a replica that missed 100,000 writes is repaired with about
// the bytes of those writes plus their summaries: 1.35 times the missing
// bytes in BenchmarkAntiEntropyCatchUp/digests (five replicas, one run on a
// busy machine) and 1.37 times in TestAntiEntropyBytesStayNearTheMissingData
// (5,000 writes, deterministic). The course's full-state exchange
// (BenchmarkAntiEntropyCatchUp/full-state) needed 1.82 times to catch up and
// then keeps sending about 17 MB per round although everyone agrees.
//
// # Storage
//
// The [Store] interface keeps entries: [MemStore] in memory, [BoltStore] on disk
// (go.etcd.io/bbolt, one fsynced transaction per write). With [BoltStore] a
// node that crashes keeps every write it acknowledged and, when it restarts,
// rebuilds its digests from disk, moves its clock past every stored version
// and catches up on what it missed through anti-entropy.
//
// # What an acknowledged write means
//
// A [Node.Put] that returns (a 200 from the HTTP API) means the write is
// in this node's store and its broadcast is queued. With [MemStore] (the
// example's default, no -data) that is one node's memory: if the node is
// killed before the broadcast leaves, the write is gone although it was
// acknowledged. [BoltStore] makes the
// acknowledgement mean "on this node's disk"; w=N makes it mean "on N
// other nodes too".
//
// # Joining
//
// A replica joins through [gossip.ClusterConfig.Seeds]: it retries with
// capped exponential backoff and jitter until a seed answers, and again
// whenever it finds itself alone, so nodes may start in any order and a
// node cut off until it declared everyone dead finds its way back. Once
// joined, the halves of a healed partition merge through gossip's
// reconnection, and anti-entropy repairs what each side wrote meanwhile.
//
// # Threat model
//
// Replication runs over [gossip.Cluster]: without
// [gossip.ClusterConfig.Keys] anyone who can reach a node's gossip port can
// read every write and inject writes under any node's name, including
// versions far in the future (bounded only by [Config.MaxClockOffset]) that
// win every conflict. With keys, only key holders take part; a key holder
// is trusted completely. The HTTP API has no authentication: anyone who
// reaches it reads and writes everything, so bind it to loopback or put it
// behind a proxy that authenticates. What [HTTPServer] does bound is what
// a stranger can take: request and body sizes ([Config.Limits]), the time a
// request may take to arrive ([HTTPConfig.ReadTimeout]; a slow-body
// attacker's connections are closed), the connections open at once
// ([HTTPConfig.MaxConns]) and the requests per second of one client
// address ([HTTPConfig.Rate]).
//
// # Reads and watches
//
// [Node.Get] reads the local replica and returns the version with the value, so a
// client can see how fresh it is. A node that accepted a write reads it back
// at once (read-your-writes on that node). [Node.Watch] delivers every change as the
// node applies it, local or remote, for a key prefix.
//
// # Lifecycle and defaults
//
// A zero field of a config means its default (as in net/http), so
// Config{Name: n} is [DefaultConfig](n) and HTTPConfig{} is
// [DefaultHTTPConfig]; an invalid value is refused with an error naming the
// field. [NewReplica] and [NewHTTPServer] bind their sockets, so the
// address is known at once; [Node.Run], [Replica.Run] and [HTTPServer.Run]
// run until their context ends and have released every goroutine and
// socket when they return. [Node.Close], [Replica.Close] and
// [HTTPServer.Close] are idempotent and wait for what they own, a running
// Run included; after them, calls return [ErrClosed]. A replica whose Run's
// context ends leaves the cluster within a few gossip intervals
// ([gossip.ClusterConfig].LeaveTimeout), so a whole in-process store stops
// at once.
//
// # The course design, point by point
//
//	course                              kvstore
//	wall-clock timestamp                HLC + node ID: causal, unique, bounded skew
//	no deletes                          tombstones with a grace period
//	full state every 10 s               root hash, then only differing buckets
//	one UDP datagram per update         epidemic broadcast; TCP for large messages
//	memory only                         MemStore or BoltStore (crash-safe)
//	no way to read a version            Get returns the version; Watch streams changes
//
// # References
//
//   - G. DeCandia et al., "Dynamo: Amazon's Highly Available Key-value
//     Store", SOSP 2007.
//   - S. Kulkarni, M. Demirbas et al., "Logical Physical Clocks and
//     Consistent Snapshots in Globally Distributed Databases", OPODIS 2014.
//   - A. Demers et al., "Epidemic Algorithms for Replicated Database
//     Maintenance", PODC 1987.
//   - Apache Cassandra documentation: "Repair" (Merkle-tree anti-entropy)
//     and "gc_grace_seconds" (tombstones).
//   - M. Shapiro et al., "Conflict-free Replicated Data Types", SSS 2011.
//   - R. C. Merkle, "A Digital Signature Based on a Conventional Encryption
//     Function", CRYPTO 1987 (hash trees).
package kvstore
