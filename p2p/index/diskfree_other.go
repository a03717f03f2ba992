//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package index

// freeSpace is unknown on this system: downloads are bounded by
// PeerConfig.MaxDownload only.
func freeSpace(string) (uint64, bool) { return 0, false }
