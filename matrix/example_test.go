package matrix_test

import (
	"fmt"

	"github.com/netlab-go/netlab/matrix"
	"gonum.org/v1/gonum/mat"
)

// Strassen on its own: one level (cutoff 1 forces the split) on a 2×3 by
// 3×2 product, padded to 4×4 blocks internally.
func ExampleStrassen() {
	a := mat.NewDense(2, 3, []float64{1, 2, 3, 4, 5, 6})
	b := mat.NewDense(3, 2, []float64{7, 8, 9, 10, 11, 12})
	c, err := matrix.Strassen(a, b, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(mat.Formatted(c))
	// Output:
	// ⎡ 58   64⎤
	// ⎣139  154⎦
}

// Any mat.Matrix multiplies, as with gonum's own functions: here the
// transpose of a view, Aᵀ·A of the top-left 3×2 corner.
func ExampleStrassen_matrixInterface() {
	m := mat.NewDense(4, 4, []float64{
		1, 2, 0, 0,
		3, 4, 0, 0,
		5, 6, 0, 0,
		0, 0, 0, 0,
	})
	a := m.Slice(0, 3, 0, 2) // a view, not a copy
	c, err := matrix.Strassen(a.T(), a, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(mat.Formatted(c))
	// Output:
	// ⎡35  44⎤
	// ⎣44  56⎦
}
