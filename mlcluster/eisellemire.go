package mlcluster

import (
	"math"
	"math/big"
	"math/bits"
	"sync"
)

// The Eisel-Lemire algorithm (D. Lemire, "Number parsing at a gigabyte per
// second", Software: Practice and Experience 51(8), 2021) converts a decimal
// mantissa of up to 19 digits and a power of ten to the correctly rounded
// float64 with one or two 64x64-bit multiplications against a table of
// 128-bit powers of ten, and says when it cannot decide (then strconv does).
// It is the same algorithm strconv uses inside; running it here saves
// strconv's second scan of the digits, which matters for the 17-digit
// numbers that shortest-round-trip formatting writes. This follows Go's
// strconv/eisel_lemire.go (BSD licence).

const (
	powMinExp10 = -348
	powMaxExp10 = 347
)

// powersOfTen holds, for q in [powMinExp10, powMaxExp10], the 128-bit
// mantissa of 10^q rounded down, normalised so its top bit is set:
// {low 64 bits, high 64 bits}. It is computed once, on first use.
var powersOfTen = sync.OnceValue(func() *[powMaxExp10 - powMinExp10 + 1][2]uint64 {
	var t [powMaxExp10 - powMinExp10 + 1][2]uint64
	ten := big.NewInt(10)
	for q := powMinExp10; q <= powMaxExp10; q++ {
		var m big.Int
		if q >= 0 {
			m.Exp(ten, big.NewInt(int64(q)), nil)
			if n := m.BitLen(); n > 128 {
				m.Rsh(&m, uint(n-128))
			} else {
				m.Lsh(&m, uint(128-n))
			}
		} else {
			var d big.Int
			d.Exp(ten, big.NewInt(int64(-q)), nil)
			// floor(2^s / 10^-q) with s chosen so the quotient has 128 bits.
			s := 127 + d.BitLen()
			m.Lsh(big.NewInt(1), uint(s))
			m.Quo(&m, &d)
			if m.BitLen() > 128 {
				m.Rsh(&m, uint(m.BitLen()-128))
			}
		}
		words := m.Bits() // little-endian words
		var lo, hi uint64
		if bits.UintSize == 64 {
			lo, hi = uint64(words[0]), uint64(words[1])
		} else {
			lo = uint64(words[0]) | uint64(words[1])<<32
			hi = uint64(words[2]) | uint64(words[3])<<32
		}
		t[q-powMinExp10] = [2]uint64{lo, hi}
	}
	return &t
})

// eiselLemire64 returns man·10^exp10 correctly rounded, or ok = false when
// it cannot be sure (the caller falls back to strconv).
func eiselLemire64(man uint64, exp10 int, neg bool) (float64, bool) {
	if man == 0 {
		if neg {
			return math.Copysign(0, -1), true
		}
		return 0, true
	}
	if exp10 < powMinExp10 || powMaxExp10 < exp10 {
		return 0, false
	}
	pow := &powersOfTen()[exp10-powMinExp10]
	clz := bits.LeadingZeros64(man)
	man <<= uint(clz)
	const bias = 1023
	retExp2 := uint64(217706*exp10>>16+64+bias) - uint64(clz)

	xHi, xLo := bits.Mul64(man, pow[1])
	if xHi&0x1FF == 0x1FF && xLo+man < man { // wider approximation
		yHi, yLo := bits.Mul64(man, pow[0])
		mergedHi, mergedLo := xHi, xLo+yHi
		if mergedLo < xLo {
			mergedHi++
		}
		if mergedHi&0x1FF == 0x1FF && mergedLo+1 == 0 && yLo+man < man {
			return 0, false
		}
		xHi, xLo = mergedHi, mergedLo
	}
	msb := xHi >> 63
	retMantissa := xHi >> (msb + 9)
	retExp2 -= 1 ^ msb
	if xLo == 0 && xHi&0x1FF == 0 && retMantissa&3 == 1 { // half-way ambiguity
		return 0, false
	}
	retMantissa += retMantissa & 1
	retMantissa >>= 1
	if retMantissa>>53 > 0 {
		retMantissa >>= 1
		retExp2++
	}
	if retExp2-1 >= 0x7FF-1 { // subnormal, infinite or NaN: leave it to strconv
		return 0, false
	}
	b := retExp2<<52 | retMantissa&0x000FFFFFFFFFFFFF
	if neg {
		b |= 0x8000000000000000
	}
	return math.Float64frombits(b), true
}
