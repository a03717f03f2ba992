//go:build !linux

package benchutil

import "time"

func threadCPUTime() time.Duration { return 0 }
