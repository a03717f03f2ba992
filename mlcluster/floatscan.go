package mlcluster

import (
	"math"
	"strconv"
	"unsafe"
)

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// parseFloat parses a decimal number without allocating. The common case
// (at most 15 significant digits, so the mantissa is below 2^53, and a
// decimal exponent within ±22) is Clinger's fast path: the mantissa and the power of
// ten are both exact float64 values, so one multiplication or division rounds
// correctly. Everything else (long mantissas, big exponents, hex floats, inf,
// nan) falls back to strconv.ParseFloat, which is exact for all inputs; the
// result is the same float64 either way. ok is false when b is not a finite
// number.
func parseFloat(b []byte) (float64, bool) {
	if f, ok := fastFloat(b); ok {
		return f, true
	}
	if len(b) == 0 {
		return 0, false
	}
	// strconv does not keep the string, so viewing b without a copy is safe.
	f, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// fastFloat is the exact fast path of parseFloat; ok is false when the input
// needs the slow path (or is not a number at all).
func fastFloat(b []byte) (float64, bool) {
	i, n := 0, len(b)
	neg := false
	if i < n && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	var mant uint64
	digits, exp := 0, 0
	start := i
	for ; i < n; i++ {
		c := b[i] - '0'
		if c > 9 {
			break
		}
		mant = mant*10 + uint64(c)
		if mant != 0 {
			if digits++; digits > 19 {
				return 0, false // too long for a uint64 mantissa: stop scanning now
			}
		}
	}
	intDigits := i - start
	fracDigits := 0
	if i < n && b[i] == '.' {
		i++
		fs := i
		for ; i < n; i++ {
			c := b[i] - '0'
			if c > 9 {
				break
			}
			mant = mant*10 + uint64(c)
			if mant != 0 {
				if digits++; digits > 19 {
					return 0, false
				}
			}
			exp--
		}
		fracDigits = i - fs
	}
	if intDigits+fracDigits == 0 {
		return 0, false
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < n && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		es, e := i, 0
		for ; i < n; i++ {
			c := b[i] - '0'
			if c > 9 {
				break
			}
			if e < 10000 {
				e = e*10 + int(c)
			}
		}
		if i == es {
			return 0, false
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i != n {
		return 0, false
	}
	if digits > 15 || exp > 22 || exp < -22 {
		return eiselLemire64(mant, exp, neg)
	}
	f := float64(mant)
	switch {
	case mant == 0:
		f = 0
	case exp > 0:
		f *= pow10[exp]
	case exp < 0:
		f /= pow10[-exp]
	}
	if neg {
		f = -f
	}
	return f, true
}
