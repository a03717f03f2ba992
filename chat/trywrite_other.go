//go:build !unix

package chat

// tryWrite takes nothing where non-blocking writes on a socket's descriptor
// are not written for: every queue then goes to blockedWriter, which
// writes with the net package.
func (c *client) tryWrite(p []byte) (int, error) { return 0, nil }
