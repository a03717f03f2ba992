package mlcluster

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"gonum.org/v1/gonum/mat"
)

// Dataset is a parsed numeric table held row-major in one slice: row i is
// Data[i*Cols : (i+1)*Cols]. Name is the file name used in error messages.
type Dataset struct {
	Name   string
	Header []string // column names when the input had a header line, else nil
	Rows   int
	Cols   int
	Data   []float64
}

// Row returns row i (a view into Data, not a copy).
func (d *Dataset) Row(i int) []float64 { return d.Data[i*d.Cols : (i+1)*d.Cols : (i+1)*d.Cols] }

// Shape returns the dataset's number of rows and columns.
func (d *Dataset) Shape() Shape { return Shape{Rows: d.Rows, Cols: d.Cols} }

// NewDataset builds a dataset from rows that must all have the same length.
func NewDataset(name string, rows [][]float64) (*Dataset, error) {
	if len(rows) == 0 {
		return nil, fmt.Errorf("mlcluster: %s: no rows", name)
	}
	ds := &Dataset{Name: name, Rows: len(rows), Cols: len(rows[0])}
	if ds.Cols == 0 {
		return nil, fmt.Errorf("mlcluster: %s: row 1 has no columns", name)
	}
	ds.Data = make([]float64, 0, ds.Rows*ds.Cols)
	for i, r := range rows {
		if len(r) != ds.Cols {
			return nil, fmt.Errorf("mlcluster: %s: row %d has %d columns, want %d", name, i+1, len(r), ds.Cols)
		}
		ds.Data = append(ds.Data, r...)
	}
	return ds, nil
}

// WriteCSV writes the dataset as CSV text (with its header when it has one),
// using the shortest representation that parses back to the same float64.
func WriteCSV(w io.Writer, ds *Dataset) error { return WriteCSVDecimals(w, ds, -1) }

// WriteCSVDecimals is [WriteCSV] with a fixed number of decimals per value
// (-1: the shortest exact representation), for files meant to be read by
// people as well.
func WriteCSVDecimals(w io.Writer, ds *Dataset, decimals int) error {
	format := byte('f')
	if decimals < 0 {
		format = 'g'
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if len(ds.Header) > 0 {
		for j, h := range ds.Header {
			if j > 0 {
				bw.WriteByte(',')
			}
			bw.WriteString(h)
		}
		bw.WriteByte('\n')
	}
	var buf []byte
	for i := 0; i < ds.Rows; i++ {
		buf = buf[:0]
		for j, v := range ds.Row(i) {
			if j > 0 {
				buf = append(buf, ',')
			}
			buf = strconv.AppendFloat(buf, v, format, decimals, 64)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// Shape is the size of a dataset: what an algorithm needs to validate its
// parameters before any data moves.
type Shape struct {
	Rows int
	Cols int
}

// Matrix is a dense row-major table of float64, the unit of every result.
// It is a plain value rather than gonum's *mat.Dense because it travels on
// the wire as it is (Rows, Cols, Data in one of the table forms), compares
// with == and reflect.DeepEqual, and may be empty (a result with no rows),
// which mat.Dense does not allow; Dense converts it for gonum's functions.
type Matrix struct {
	Rows int
	Cols int
	Data []float64
}

// Dense returns the matrix as a gonum *mat.Dense sharing its Data (no
// copy), or nil when it is empty.
func (m Matrix) Dense() *mat.Dense {
	if m.Rows == 0 || m.Cols == 0 || len(m.Data) != m.Rows*m.Cols {
		return nil
	}
	return mat.NewDense(m.Rows, m.Cols, m.Data)
}

// Row returns row i of the matrix (a view, not a copy).
func (m Matrix) Row(i int) []float64 { return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols] }

// At returns element (i, j).
func (m Matrix) At(i, j int) float64 { return m.Data[i*m.Cols+j] }

// RowSlices copies the matrix into one slice per row.
func (m Matrix) RowSlices() [][]float64 {
	out := make([][]float64, m.Rows)
	for i := range out {
		out[i] = append([]float64(nil), m.Row(i)...)
	}
	return out
}
