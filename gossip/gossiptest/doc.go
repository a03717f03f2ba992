// Package gossiptest provides an in-memory network and a cluster harness for
// testing and simulating programs built on package
// [github.com/netlab-go/netlab/gossip], as [net/http/httptest] does for
// net/http: what a program needs to run a gossip system lives in gossip;
// what a test needs to fake the network, and to run and measure many
// members in one process, lives here.
//
// # An in-memory network
//
// [MemNetwork] carries datagrams and streams between endpoints in one
// process, with the faults a real network has and a test wants to control:
//
//   - loss ([MemConfig.Loss], [MemNetwork.SetLoss]), latency and jitter,
//     drawn from a seeded random source, so that a run can be repeated;
//   - partitions ([MemNetwork.Partition], [MemNetwork.Heal]) that drop
//     datagrams silently, as a real partition does, and refuse streams;
//   - bounded queues: a full receiver drops and counts, and nothing ever
//     blocks a sender ([MemStats]).
//
// It plugs into both layers of package gossip:
//
//   - [MemNetwork.Listen] returns a [MemTransport], a [gossip.Transport] for
//     the rumor engine's [gossip.Node];
//   - a MemNetwork is a [gossip.Network]: set it as
//     [gossip.ClusterConfig.Network] and a [gossip.Cluster] member runs its
//     memberlist over it ([MemNetwork.NewTransport]). memberlist's own
//     MockNetwork hands packets over unbuffered channels, so a sender blocks
//     until the receiver reads and clusters beyond a few members deadlock;
//     here every hand-off is buffered and drops when full, so hundreds of
//     members fit in one test.
//
// # A cluster harness
//
// [StartLocal] starts n [gossip.Cluster] members, on loopback sockets or on a
// [MemNetwork], joins them, and returns a [LocalCluster] that records which
// broadcasts each member delivered. A test or a benchmark then waits for
// the views to converge ([LocalCluster.WaitViews]), measures how far and how
// fast a broadcast spreads ([LocalCluster.BroadcastAndWait]), crashes
// members ([LocalCluster.Kill]) and splits and heals the network
// ([LocalCluster.Partition], [LocalCluster.Heal]).
//
// Everything here is for tests, simulations and teaching demos: a program
// that talks to other machines uses [gossip.UDPTransport] or a
// [gossip.Cluster] on sockets.
package gossiptest
