//go:build !unix

package chat

import "errors"

// raiseNoFile cannot tell here how many files a process may open.
func raiseNoFile(need uint64) error {
	return errors.New("the C10K benchmark needs RLIMIT_NOFILE, which this system does not have")
}
