package gossip

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
