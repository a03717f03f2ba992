package gossip_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/netlab-go/netlab/gossip"
)

// The rumor engine stepped by hand, as a simulator or a test would: five
// engines push to one peer per round and never stop; the caller delivers
// every envelope itself. Seeds make the run the same every time.
func ExampleEngine() {
	names := []string{"a", "b", "c", "d", "e"}
	engines := map[string]*gossip.Engine{}
	for i, name := range names {
		cfg := gossip.DefaultConfig()
		cfg.Mode, cfg.Fanout, cfg.Stop, cfg.Seed = gossip.Push, 1, gossip.AfterRounds(100), uint64(i+1)
		e, err := gossip.NewEngine(cfg, name)
		if err != nil {
			panic(err)
		}
		var peers []string
		for _, p := range names {
			if p != name {
				peers = append(peers, p)
			}
		}
		e.SetPeers(peers)
		engines[name] = e
	}
	now := time.Unix(0, 0)
	id, _ := engines["a"].Publish(now, []byte("news"))
	for round := 1; ; round++ {
		now = now.Add(time.Second)
		var mail []gossip.Envelope
		var from []string
		for _, name := range names {
			for _, env := range engines[name].Round(now) {
				mail, from = append(mail, env), append(from, name)
			}
		}
		for i, env := range mail {
			engines[env.To].Receive(now, from[i], env.Msg)
		}
		var knows []string
		for _, name := range names {
			if engines[name].Known(id) {
				knows = append(knows, name)
			}
		}
		fmt.Printf("after round %d: %s\n", round, strings.Join(knows, " "))
		if len(knows) == len(names) {
			break
		}
	}
	// Output:
	// after round 1: a d
	// after round 2: a c d
	// after round 3: a c d e
	// after round 4: a c d e
	// after round 5: a b c d e
}

// A key for ClusterConfig.Keys, written in base64 as it would be in a flag
// or a keyring file.
func ExampleParseKey() {
	flag := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	key, err := gossip.ParseKey(flag)
	fmt.Println(len(key), err)
	_, err = gossip.ParseKey(base64.StdEncoding.EncodeToString([]byte("too short")))
	fmt.Println(err)
	// Output:
	// 32 <nil>
	// gossip: key of 9 bytes: want 16, 24 or 32
}
