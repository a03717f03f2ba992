//go:build !unix

package chat

func newScratch() *scratch { return &scratch{buf: make([]byte, writeBufSize)} }

// tryWrite takes nothing where non-blocking writes on a socket's descriptor
// are not written for: every queue then goes to blockedWriter, which
// writes with the net package.
func (c *client) tryWrite(w *scratch, p []byte) (int, error) { return 0, nil }
