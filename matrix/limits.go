package matrix

import "fmt"

// Limits bound what a decoder accepts, checked before anything is allocated.
//
// MaxElements bounds every matrix a task makes a worker hold, not only the
// two on the wire: the product rows(A)·cols(B), and each operand and the
// product padded to even dimensions, which bound every buffer [Strassen]'s
// recursion allocates (each level's quadrants, operand sums and seven
// products are smaller). Without the product bound, A 65536×1 times
// B 1×65536 (1 MiB on the wire) asks for a 32 GiB product.
type Limits struct {
	MaxDim      int // largest row or column count of one matrix
	MaxElements int // largest rows·cols of one matrix: operand, product or Strassen buffer
	MaxControl  int // largest body of a control frame, in bytes
}

// DefaultLimits accepts matrices up to 65536 rows or columns and 32 Mi
// elements (256 MiB of float64), and control frames up to 64 KiB.
func DefaultLimits() Limits {
	return Limits{MaxDim: 1 << 16, MaxElements: 1 << 25, MaxControl: 64 << 10}
}

func (l Limits) validate(prefix string) error {
	switch {
	case l.MaxDim < 1:
		return fmt.Errorf("matrix: %sLimits.MaxDim %d must be at least 1", prefix, l.MaxDim)
	case l.MaxElements < 1 || l.MaxElements > 1<<40:
		return fmt.Errorf("matrix: %sLimits.MaxElements %d must be in [1, 2^40]", prefix, l.MaxElements)
	case l.MaxControl < 64:
		return fmt.Errorf("matrix: %sLimits.MaxControl %d must be at least 64", prefix, l.MaxControl)
	}
	return nil
}

// checkTask bounds what multiplying an r×k matrix by a k×c one allocates:
// the product r×c, and each operand and the product padded to even
// dimensions (the largest buffers of Strassen's recursion). The error says
// which one is too large; it does not wrap ErrTooLarge, its callers do.
func (l Limits) checkTask(r, k, c int) error {
	even := func(n int) uint64 { return uint64(n + n%2) }
	for _, m := range []struct {
		what string
		n    uint64
	}{
		{fmt.Sprintf("the product of %d×%d by %d×%d is %d×%d", r, k, k, c, r, c), uint64(r) * uint64(c)},
		{fmt.Sprintf("A padded for Strassen is %d×%d", even(r), even(k)), even(r) * even(k)},
		{fmt.Sprintf("B padded for Strassen is %d×%d", even(k), even(c)), even(k) * even(c)},
		{fmt.Sprintf("the product padded for Strassen is %d×%d", even(r), even(c)), even(r) * even(c)},
	} {
		if m.n > uint64(l.MaxElements) {
			return fmt.Errorf("%s = %d elements (%s), over the limit of %d", m.what, m.n, byteSize(8*m.n), l.MaxElements)
		}
	}
	return nil
}

// checkBlocks checks the seven tasks of one Strassen level of an r×k by
// k×c product against the limits a worker applies to a task.
func (l Limits) checkBlocks(r, k, c int) error {
	hr, hk, hc := (r+1)/2, (k+1)/2, (c+1)/2
	if max(hr, hk, hc) > l.MaxDim {
		return fmt.Errorf("blocks of %d×%d by %d×%d exceed %d rows or columns", hr, hk, hk, hc, l.MaxDim)
	}
	for _, n := range []uint64{uint64(hr) * uint64(hk), uint64(hk) * uint64(hc)} {
		if n > uint64(l.MaxElements) {
			return fmt.Errorf("a block of %d elements exceeds the limit of %d", n, l.MaxElements)
		}
	}
	return l.checkTask(hr, hk, hc)
}

// byteSize prints a byte count in binary units.
func byteSize(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
