package mlcluster

import (
	"math"
	"strconv"
	"unsafe"
)

// parseFloat parses one field as a finite float64 with strconv.ParseFloat
// (correctly rounded for every input; Eisel-Lemire inside). The field is
// viewed as a string without copying it: strconv keeps no reference to its
// argument (its errors carry a copy), so the loader converts nothing per
// field. ok is false when b is not a finite number (NaN and infinities are
// refused: no algorithm here means anything by them).
func parseFloat(b []byte) (float64, bool) {
	if len(b) == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}
