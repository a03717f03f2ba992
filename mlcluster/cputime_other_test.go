//go:build !unix

package mlcluster

import "time"

func processCPU() time.Duration { return 0 }
