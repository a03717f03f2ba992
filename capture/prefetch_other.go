//go:build !amd64

package capture

import "unsafe"

// prefetch does nothing where there is no prefetch instruction of ours.
func prefetch(unsafe.Pointer) {}
