package capture

import "unsafe"

// prefetch asks the processor to bring the cache line of p into the
// cache, and goes on without waiting for it (PREFETCHT0): unlike a load,
// a line that is late stalls nothing. It never faults.
//
//go:noescape
func prefetch(p unsafe.Pointer)
