package mlcluster

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPowersOfTenTable(t *testing.T) {
	tab := powersOfTen()
	// Entries from Go's strconv table.
	assert.Equal(t, [2]uint64{0x1732C869CD60E453, 0xFA8FD5A0081C0288}, tab[-348-powMinExp10], "1e-348")
	assert.Equal(t, [2]uint64{0, 0x8000000000000000}, tab[0-powMinExp10], "1e0")
	assert.Equal(t, [2]uint64{0, 0xA000000000000000}, tab[1-powMinExp10], "1e1")
	assert.Equal(t, [2]uint64{0x4B7195F2D2D1A9FB, 0xD13EB46469447567}, tab[347-powMinExp10], "1e347")
}

func TestEiselLemireMatchesStrconv(t *testing.T) {
	cases := []struct {
		man uint64
		exp int
	}{{1, 0}, {17976931348623157, 292}, {22250738585072014, -324}, {9007199254740993, 0},
		{12345678901234567, -17}, {30000000000000004, -17}, {1, -400}, {18446744073709551615, 0}}
	for _, c := range cases {
		f, ok := eiselLemire64(c.man, c.exp, false)
		if !ok {
			continue
		}
		want, _ := strconv.ParseFloat(strconv.FormatUint(c.man, 10)+"e"+strconv.Itoa(c.exp), 64)
		assert.Equal(t, math.Float64bits(want), math.Float64bits(f), "%de%d", c.man, c.exp)
	}
}
