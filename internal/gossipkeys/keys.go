// Package gossipkeys turns the -key and -keyring flags of netlab's gossip
// programs (examples/gossip-kv, examples/gossip-cluster) into
// [github.com/netlab-go/netlab/gossip.ClusterConfig.Keys]. It is flag glue
// for those programs, not part of the gossip API: a program of one's own
// decodes its keys with [github.com/netlab-go/netlab/gossip.ParseKey] and
// [github.com/netlab-go/netlab/gossip.ReadKeyring].
package gossipkeys

import (
	"errors"

	"github.com/netlab-go/netlab/gossip"
)

// Load returns the keys a program was given as one base64 key (see
// [github.com/netlab-go/netlab/gossip.ParseKey]) or as a keyring file (see
// [github.com/netlab-go/netlab/gossip.ReadKeyring]): nil when both are empty
// (no encryption), an error when both are set. Errors start with "gossip: ",
// as those of the functions it calls do.
func Load(key, keyringPath string) ([][]byte, error) {
	switch {
	case key != "" && keyringPath != "":
		return nil, errors.New("gossip: give a key or a keyring, not both")
	case key != "":
		k, err := gossip.ParseKey(key)
		if err != nil {
			return nil, err
		}
		return [][]byte{k}, nil
	case keyringPath != "":
		return gossip.ReadKeyring(keyringPath)
	}
	return nil, nil
}
