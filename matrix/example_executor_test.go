package matrix_test

import (
	"context"
	"fmt"

	"github.com/netlab-go/netlab/matrix"
	"gonum.org/v1/gonum/mat"
)

// countingExecutor is an Executor of your own: it computes every product
// here with gonum and counts them. Client does the same job on the TCP
// grid, AMQPExecutor on RabbitMQ.
type countingExecutor struct{ n *int }

func (e countingExecutor) Products(_ context.Context, ps []matrix.Product) ([]*mat.Dense, error) {
	out := make([]*mat.Dense, len(ps))
	for i, p := range ps {
		r, _ := p.A.Dims()
		_, c := p.B.Dims()
		out[i] = mat.NewDense(r, c, nil)
		out[i].Mul(p.A, p.B)
		*e.n++
	}
	return out, nil
}

// MultiplyOn splits once, runs the seven products on an Executor and
// combines them: the answer is Strassen's with the same cutoff, whatever
// the executor.
func ExampleMultiplyOn() {
	a := mat.NewDense(2, 3, []float64{1, 2, 3, 4, 5, 6})
	b := mat.NewDense(3, 2, []float64{7, 8, 9, 10, 11, 12})
	var n int
	c, err := matrix.MultiplyOn(context.Background(), countingExecutor{&n}, a, b, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(mat.Formatted(c))
	fmt.Println("products computed by the executor:", n)
	// Output:
	// ⎡ 58   64⎤
	// ⎣139  154⎦
	// products computed by the executor: 7
}
