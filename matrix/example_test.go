package matrix_test

import (
	"context"
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

// A whole grid in one process, as `go run ./examples/matrix -local` does: a
// coordinator, seven workers and a client on loopback.
func ExampleStartLocal() {
	ctx := context.Background()
	cluster, err := matrix.StartLocal(ctx, matrix.DefaultLocalConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cluster.Close()

	client, err := matrix.NewClient(matrix.DefaultClientConfig(cluster.Addr()))
	if err != nil {
		fmt.Println(err)
		return
	}
	n := 200
	a, b := mat.NewDense(n, n, nil), mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			a.Set(i, j, float64((i+j)%7-3)) // small integers: every sum is exact
			b.Set(i, j, float64((i*j)%5-2))
		}
	}
	c, rep, err := client.MultiplyReport(ctx, a, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	var want mat.Dense
	want.Mul(a, b)
	fmt.Println("peers used:", len(rep.Lease.Peers))
	fmt.Println("computed locally:", rep.Local)
	fmt.Println("max |C − gonum|:", matrix.MaxAbsDiff(c, &want))
	// Output:
	// peers used: 7
	// computed locally: false
	// max |C − gonum|: 0
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
