// Package gossipkeys turns the -key and -keyring flags of netlab's gossip
// programs (examples/gossip-kv, examples/gossip-cluster) into
// [github.com/netlab-go/netlab/gossip.ClusterConfig.Keys]. It is flag glue
// for those programs, not part of the gossip API: a program of one's own
// decodes its keys with [github.com/netlab-go/netlab/gossip.ParseKey] and
// [github.com/netlab-go/netlab/gossip.ReadKeyring].
package gossipkeys

import (
	"errors"
	"fmt"
	"strings"

	"github.com/netlab-go/netlab/gossip"
	"github.com/netlab-go/netlab/internal/cli"
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

// FromFlags is [Load] for a program's -key and -keyring flags: it checks
// first that a keyring file exists and is readable ([cli.InFile]), and its
// errors name the flag at fault ("flag -key: ...", "flag -keyring: ..."),
// ready for [cli.Command.Check].
func FromFlags(key, keyring string) ([][]byte, error) {
	if keyring != "" {
		if err := cli.InFile("keyring", keyring); err != nil {
			return nil, err
		}
	}
	keys, err := Load(key, keyring)
	if err != nil {
		which := "-keyring"
		if keyring == "" {
			which = "-key"
		}
		return nil, fmt.Errorf("flag %s: %s", which, strings.TrimPrefix(err.Error(), "gossip: "))
	}
	return keys, nil
}
