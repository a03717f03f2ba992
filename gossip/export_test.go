package gossip

import (
	"time"

	"github.com/hashicorp/memberlist"
)

// Bridges for the external tests (package gossip_test). Those tests run
// members on gossiptest.MemNetwork, and gossiptest imports gossip, so they
// cannot live in package gossip; what they inspect inside a member is
// exposed here, to tests only.

// ConfigOf returns the config c runs with.
func ConfigOf(c *Cluster) ClusterConfig { return c.cfg }

// LeaveTimeoutOf returns how long c waits for its leave to be acknowledged.
func LeaveTimeoutOf(c *Cluster) time.Duration { return c.leaveTimeout() }

// DeadCount returns how many failed members c is still trying to reach.
func DeadCount(c *Cluster) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.dead)
}

// SendRaw writes b as one packet from c to the member at to, bypassing the
// cluster message layer, as an intruder or a broken member would.
func SendRaw(c *Cluster, to memberlist.Address, b []byte) error {
	return c.ml.SendToAddress(to, b)
}

// EncodeBroadcast returns the wire form of a broadcast with the given id,
// origin and payload.
func EncodeBroadcast(id byte, origin string, payload []byte) []byte {
	return clusterMsg{typ: cmBroadcast, id: msgID{id}, origin: origin, payload: payload}.encode()
}

// ClusterMsgVersion is the version byte that starts every cluster message.
const ClusterMsgVersion = cmVersion

// NodeRunning reports whether n's Run has started.
func NodeRunning(n *Node) bool { return n.life.Began() }

// ClusterConfigOf returns the config c runs with, defaults filled in.
func ClusterConfigOf(c *Cluster) ClusterConfig { return c.cfg }

// NodeConfigOf returns the config n runs with, defaults filled in.
func NodeConfigOf(n *Node) Config { return n.cfg }

// UDPConfigOf returns the config t runs with, defaults filled in.
func UDPConfigOf(t *UDPTransport) UDPConfig { return t.cfg }

// ClusterRunning reports whether c's Run has started.
func ClusterRunning(c *Cluster) bool { return c.life.Began() }
