package gossip

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hashicorp/memberlist"
)

// Encryption: memberlist's AES-GCM keyring and key rotation.

// AddKey installs an extra key for decryption (the first step of a key
// rotation: add the new key on every member, then UseKey it on every
// member, then RemoveKey the old one everywhere).
func (c *Cluster) AddKey(key []byte) error {
	if c.keyring == nil {
		return ErrNoEncryption
	}
	return c.keyring.AddKey(key)
}

// UseKey makes an installed key the one used to encrypt.
func (c *Cluster) UseKey(key []byte) error {
	if c.keyring == nil {
		return ErrNoEncryption
	}
	return c.keyring.UseKey(key)
}

// RemoveKey uninstalls a key that is not the primary.
func (c *Cluster) RemoveKey(key []byte) error {
	if c.keyring == nil {
		return ErrNoEncryption
	}
	return c.keyring.RemoveKey(key)
}

// Keys returns the installed keys, the primary first.
func (c *Cluster) Keys() [][]byte {
	if c.keyring == nil {
		return nil
	}
	return c.keyring.GetKeys()
}

// ParseKey decodes a key written in standard base64, as `head -c 32
// /dev/urandom | base64` prints one, and checks that it is 16, 24 or 32
// bytes (AES-128, AES-192 or AES-256).
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("gossip: key is not base64: it spans lines")
	}
	k, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("gossip: key is not base64: %w", err)
	}
	if err := memberlist.ValidateKey(k); err != nil {
		return nil, fmt.Errorf("gossip: key of %d bytes: want 16, 24 or 32", len(k))
	}
	return k, nil
}

// ReadKeyring reads a keyring file for ClusterConfig.Keys: one base64 key
// per line (see ParseKey), the first the primary; blank lines and lines
// starting with # are skipped. The file holds secrets: keep it readable by
// the member's user only.
func ReadKeyring(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("gossip: keyring: %w", err)
	}
	defer f.Close()
	var keys [][]byte
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		k, err := ParseKey(s)
		if err != nil {
			return nil, fmt.Errorf("gossip: keyring %s line %d: %s", path, line, strings.TrimPrefix(err.Error(), "gossip: "))
		}
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("gossip: keyring %s: %w", path, err)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("gossip: keyring %s holds no key", path)
	}
	return keys, nil
}

// LoadKeys returns the keys a program was given as one base64 key (see
// ParseKey) or as a keyring file (see ReadKeyring), for
// ClusterConfig.Keys: nil when both are empty (no encryption), an error
// when both are set.
func LoadKeys(key, keyringPath string) ([][]byte, error) {
	switch {
	case key != "" && keyringPath != "":
		return nil, errors.New("gossip: give a key or a keyring, not both")
	case key != "":
		k, err := ParseKey(key)
		if err != nil {
			return nil, err
		}
		return [][]byte{k}, nil
	case keyringPath != "":
		return ReadKeyring(keyringPath)
	}
	return nil, nil
}
