package floatwire

import (
	"encoding/binary"
	"math"
	"testing"
)

func TestPortableAndNativePathsAgree(t *testing.T) {
	v := []float64{0, math.Copysign(0, -1), 1.5, math.Inf(-1), math.NaN(), math.SmallestNonzeroFloat64, -math.MaxFloat64, 1e-300}
	want := make([]byte, 0, 8*len(v))
	for _, x := range v {
		want = binary.LittleEndian.AppendUint64(want, math.Float64bits(x))
	}
	saved := little
	defer func() { little = saved }()
	for _, native := range []bool{false, saved} {
		little = native
		got := Append([]byte{9}, v)
		if string(got) != string(append([]byte{9}, want...)) {
			t.Fatalf("native=%v: Append wrote %x, want 09%x", native, got, want)
		}
		back := make([]float64, len(v))
		Decode(back, got[1:])
		inPlace := make([]float64, len(v))
		copy(Bytes(inPlace), want)
		FromWire(inPlace)
		for i := range v {
			if math.Float64bits(back[i]) != math.Float64bits(v[i]) || math.Float64bits(inPlace[i]) != math.Float64bits(v[i]) {
				t.Fatalf("native=%v value %d: Decode %v, FromWire %v, want %v", native, i, back[i], inPlace[i], v[i])
			}
		}
	}
	if len(Append(nil, nil)) != 0 || Bytes(nil) != nil {
		t.Fatal("empty input must give empty output")
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf8, 0x7f, 1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		// Any 8·k bytes decode to k values that encode back to the same bytes
		// (NaN payloads included), on both paths.
		b = b[:len(b)/8*8]
		saved := little
		defer func() { little = saved }()
		for _, native := range []bool{false, saved} {
			little = native
			v := make([]float64, len(b)/8)
			Decode(v, b)
			if again := Append(nil, v); string(again) != string(b) {
				t.Fatalf("native=%v: %x re-encodes as %x", native, b, again)
			}
		}
	})
}
