package mlcluster

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseCSVWithHeader(t *testing.T) {
	text := "x, y ,\"z\"\r\n1,2,3\r\n\r\n# a comment\r\n4.5, -6e1 ,7\r\n"
	ds, err := Parse(strings.NewReader(text), ParseOptions{Name: "a.csv"})
	require.NoError(t, err)
	assert.Equal(t, []string{"x", "y", "z"}, ds.Header)
	assert.Equal(t, 2, ds.Rows)
	assert.Equal(t, 3, ds.Cols)
	assert.Equal(t, []float64{1, 2, 3, 4.5, -60, 7}, ds.Data)
}

func TestParseWhitespaceWithoutHeader(t *testing.T) {
	text := "  1 2\t3\n4\t\t5   6  \n7 8 9"
	ds, err := Parse(strings.NewReader(text), ParseOptions{})
	require.NoError(t, err)
	assert.Nil(t, ds.Header)
	assert.Equal(t, 3, ds.Rows)
	assert.Equal(t, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}, ds.Data)
	assert.Equal(t, []float64{4, 5, 6}, ds.Row(1))
}

func TestParseSkipsByteOrderMark(t *testing.T) {
	ds, err := Parse(strings.NewReader("\xef\xbb\xbfx,y\n1,2\n"), ParseOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"x", "y"}, ds.Header)
	ds, err = Parse(strings.NewReader("\xef\xbb\xbf1 2\n"), ParseOptions{})
	require.NoError(t, err)
	assert.Equal(t, []float64{1, 2}, ds.Data)
}

func TestParseHeaderModes(t *testing.T) {
	ds, err := Parse(strings.NewReader("1,2\n3,4\n"), ParseOptions{Header: HeaderPresent})
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2"}, ds.Header)
	assert.Equal(t, 1, ds.Rows)

	_, err = Parse(strings.NewReader("a,b\n3,4\n"), ParseOptions{Name: "h.csv", Header: HeaderAbsent})
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, ParseError{File: "h.csv", Line: 1, Column: 1, Msg: `"a" is not a number`}, *pe)

	for s, want := range map[string]HeaderMode{"": HeaderAuto, "auto": HeaderAuto, "yes": HeaderPresent, "no": HeaderAbsent} {
		got, err := ParseHeaderMode(s)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	}
	_, err = ParseHeaderMode("maybe")
	assert.ErrorIs(t, err, ErrBadParams)
}

func TestParseErrorsNameFileLineColumn(t *testing.T) {
	cases := []struct {
		name, text string
		line, col  int
		msg        string
	}{
		{"ragged short", "1,2,3\n4,5,6\n7,8\n", 3, 3, "ragged row: 2 fields, want 3 (as on line 1)"},
		{"ragged long", "1 2\n3 4 5\n", 2, 3, "ragged row: more than 2 fields"},
		{"non-numeric", "a,b\n1,2\n3,x1\n", 3, 2, `"x1" is not a number`},
		{"empty", "", 1, 1, "no data rows (empty file)"},
		{"blank only", "\n\n  \n", 4, 1, "no data rows (empty file)"},
		{"header only", "a,b,c\n", 2, 1, "no data rows (empty file)"},
		{"empty field", "1,,3\n", 1, 2, "empty field"},
		{"trailing comma", "1,2,\n", 1, 3, "empty field"},
		{"header width", "a,b,c\n1,2\n", 2, 3, "ragged row: 2 fields but the header names 3"},
		{"infinite", "1,2\n1e999,2\n", 2, 1, `"1e999" is not a number`},
		{"nan", "1,2\n3,NaN\n", 2, 2, `"NaN" is not a number`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(c.text), ParseOptions{Name: "data.csv"})
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "data.csv", pe.File)
			assert.Equal(t, c.line, pe.Line, "line")
			assert.Equal(t, c.col, pe.Column, "column")
			assert.Contains(t, pe.Msg, c.msg)
			assert.ErrorIs(t, err, ErrBadInput)
			assert.Contains(t, err.Error(), "data.csv line "+strconv.Itoa(c.line)+": column "+strconv.Itoa(c.col))
		})
	}
}

func TestParseLongLine(t *testing.T) {
	var b strings.Builder
	const cols = 200_000 // a line of ~1.4 MB, longer than the read buffer
	for j := 0; j < cols; j++ {
		if j > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(j % 1000))
	}
	b.WriteByte('\n')
	line := b.String()
	ds, err := Parse(strings.NewReader(line+line), ParseOptions{MaxColumns: cols})
	require.NoError(t, err)
	assert.Equal(t, 2, ds.Rows)
	assert.Equal(t, cols, ds.Cols)
	assert.Equal(t, 999.0, ds.Data[cols+999])
	_, err = Parse(strings.NewReader(line), ParseOptions{MaxColumns: 10})
	assert.ErrorContains(t, err, "more than 10 fields")
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestParseReadError(t *testing.T) {
	_, err := Parse(failingReader{}, ParseOptions{Name: "f.csv"})
	assert.ErrorContains(t, err, "f.csv line 1: disk on fire")
}

func TestWriteCSVRoundTrip(t *testing.T) {
	ds := &Dataset{Name: "r", Header: []string{"a", "b"}, Rows: 2, Cols: 2, Data: []float64{0.1, -2e-300, math.Pi, 12345678901234567890}}
	var buf bytes.Buffer
	require.NoError(t, WriteCSV(&buf, ds))
	back, err := Parse(&buf, ParseOptions{Name: "r"})
	require.NoError(t, err)
	assert.Equal(t, ds, back)
}

// TestParseFloatMatchesStrconv: a field is a number exactly when strconv
// says so and the value is finite.
func TestParseFloatMatchesStrconv(t *testing.T) {
	inputs := []string{"0", "-0", "1", "+1", ".5", "5.", "1.5", "-2.25e3", "1e22", "1e23", "1E-22", "1e-23",
		"123456789012345", "1234567890123456", "0.1", "0.30000000000000004", "9007199254740993",
		"3.141592653589793", "1e308", "4.9e-324", "2.2250738585072014e-308", "000123.4500", "0x1p-2",
		"inf", "nan", "1e", "e5", "--1", "1.2.3", "", ".", "+", "1_0", "12abc", "1e+", "0.000000000000000000000000001"}
	for _, in := range inputs {
		want, err := strconv.ParseFloat(in, 64)
		wantOK := err == nil && !math.IsInf(want, 0) && !math.IsNaN(want)
		got, ok := parseFloat([]byte(in))
		assert.Equal(t, wantOK, ok, "%q ok", in)
		if wantOK {
			assert.Equal(t, math.Float64bits(want), math.Float64bits(got), "%q: %v vs %v", in, got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a,b\n1,2\n3,4\n", "1 2 3\n4 5 6", "", "1,,2", "x\n1\n2,3", "# c\n\n1\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		ds, err := Parse(bytes.NewReader(in), ParseOptions{Name: "fuzz", MaxColumns: 1000})
		// Cut into chunks of a few bytes, parsed in parallel: the same answer.
		opt := ParseOptions{Name: "fuzz", MaxColumns: 1000, MaxValues: 50}
		one, oneErr := parse(bytes.NewReader(in), opt, 1<<30)
		many, manyErr := parse(bytes.NewReader(in), opt, 5)
		if (oneErr == nil) != (manyErr == nil) || (oneErr != nil && oneErr.Error() != manyErr.Error()) {
			t.Fatalf("chunked parse disagrees: %v vs %v", manyErr, oneErr)
		}
		if oneErr == nil && (one.Rows != many.Rows || !slicesEqualBits(one.Data, many.Data)) {
			t.Fatalf("chunked parse gives other values")
		}
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) && (pe.Line < 1 || pe.Column < 1) {
				t.Fatalf("error without a position: %v", err)
			}
			return
		}
		if ds.Rows < 1 || ds.Cols < 1 || len(ds.Data) != ds.Rows*ds.Cols {
			t.Fatalf("inconsistent dataset %dx%d with %d values", ds.Rows, ds.Cols, len(ds.Data))
		}
		var buf bytes.Buffer
		if err := WriteCSV(&buf, &Dataset{Rows: ds.Rows, Cols: ds.Cols, Data: ds.Data}); err != nil {
			t.Fatal(err)
		}
		back, err := Parse(&buf, ParseOptions{Header: HeaderAbsent})
		if err != nil || !slicesEqualBits(back.Data, ds.Data) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func slicesEqualBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestParallelParseEqualsOneChunk: cutting the text into many small chunks
// parsed in parallel gives the same dataset, and the same first error, as
// parsing it in one piece.
func TestParallelParseEqualsOneChunk(t *testing.T) {
	var good strings.Builder
	good.WriteString("x,y,z\n")
	for i := range 600 {
		if i%97 == 0 {
			good.WriteString("\n# a comment\n")
		}
		fmt.Fprintf(&good, "%d.5, %d,-%de-3\n", i, i*7, i)
	}
	text := good.String()
	bad := []string{
		text + "1,2\n", // ragged at the very end
		strings.Replace(text, "300.5", "3x0.5", 1),     // not a number in the middle
		strings.Replace(text, "599.5, ", "599.5,,", 1), // empty field
		text[:len(text)/2] + "\x00\n" + text[len(text)/2:],
	}
	for _, in := range append([]string{text}, bad...) {
		for _, opt := range []ParseOptions{{Name: "f.csv"}, {Name: "f.csv", MaxValues: 1000}, {Name: "f.csv", MaxValues: 1700}} {
			want, wantErr := parse(strings.NewReader(in), opt, 1<<30)
			for _, chunk := range []int{13, 4096} {
				got, err := parse(strings.NewReader(in), opt, chunk)
				if wantErr != nil {
					require.Error(t, err, "chunk %d", chunk)
					assert.Equal(t, wantErr.Error(), err.Error(), "chunk %d", chunk)
					continue
				}
				require.NoError(t, err, "chunk %d", chunk)
				assert.Equal(t, want, got, "chunk %d", chunk)
			}
		}
	}
	ds, err := Parse(strings.NewReader(text), ParseOptions{})
	require.NoError(t, err)
	assert.Equal(t, 600, ds.Rows)
	assert.Equal(t, []string{"x", "y", "z"}, ds.Header)
	assert.Equal(t, []float64{599.5, 599 * 7, -0.599}, ds.Row(599))
	_, err = Parse(strings.NewReader(bad[1]), ParseOptions{Name: "f.csv"})
	assert.EqualError(t, err, `mlcluster: f.csv line 310: column 1: "3x0.5" is not a number`)
}
