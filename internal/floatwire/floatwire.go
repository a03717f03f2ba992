// Package floatwire is the one wire form of float64 arrays that the grid
// packages (matrix, mlcluster) send: little-endian IEEE 754 binary64, 8
// bytes per value, no header of its own (each protocol frames it).
//
// On little-endian machines (amd64, arm64, riscv64, ...) that form is the
// values' memory form, so encoding and decoding are one memmove and a
// sender can write a slice's own memory to a socket ([Bytes]); elsewhere
// every value is converted. gonum's mat.Dense MarshalBinaryTo and
// UnmarshalBinaryFrom write the same bytes per value but one value at a
// time; the benchmarks BenchmarkCodecVsGonum (matrix) and
// BenchmarkShardCodecVsGonum (mlcluster) measure them against this.
package floatwire

import (
	"encoding/binary"
	"math"
	"slices"
	"unsafe"
)

// little reports whether this machine stores float64 in the wire's byte
// order (a variable so that the tests can run the portable path).
var little = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Native reports whether a float64's memory form is its wire form, so that
// [Bytes] may be written to the wire as it is.
func Native() bool { return little }

// Append appends v in wire form to b, growing b once.
func Append(b []byte, v []float64) []byte {
	n := len(b)
	b = slices.Grow(b, 8*len(v))[:n+8*len(v)]
	Put(b[n:], v)
	return b
}

// Put writes v in wire form to the first 8·len(v) bytes of b.
func Put(b []byte, v []float64) {
	b = b[:8*len(v)]
	if little {
		copy(b, Bytes(v))
		return
	}
	for i, x := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(x))
	}
}

// Decode fills dst from the first 8·len(dst) bytes of b, which hold
// values in wire form.
func Decode(dst []float64, b []byte) {
	b = b[:8*len(dst)]
	if little {
		copy(Bytes(dst), b)
		return
	}
	for i := range dst {
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
}

// FromWire converts, in place, values whose memory holds wire-form bytes
// (read from a socket straight into the slice) to this machine's form; on
// little-endian machines there is nothing to do.
func FromWire(v []float64) {
	if little {
		return
	}
	raw := Bytes(v)
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
	}
}

// Bytes views v's memory as bytes, without copying: the wire form when
// [Native] is true.
func Bytes(v []float64) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 8*len(v))
}
