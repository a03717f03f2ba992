package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/netlab-go/netlab/matrix"
)

func runMatrix(ctx context.Context, e *env) error {
	const n = 512
	e.Printf("starting a coordinator and 7 workers on loopback ...")
	cluster, err := matrix.StartLocal(ctx, matrix.DefaultLocalConfig())
	if err != nil {
		return err
	}
	defer cluster.Close()
	cfg := matrix.DefaultClientConfig(cluster.Addr())
	cfg.OnStatus = func(s matrix.Status) {
		e.Printf("waiting: position %d of %d, %d of %d peers free", s.Position, s.Waiting, s.Free, s.Peers)
	}
	client, err := matrix.NewClient(cfg)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(1, 7))
	a, b := matrix.RandomDense(rng, n, n), matrix.RandomDense(rng, n, n)
	e.Printf("multiplying two %d×%d matrices: M1..M7 go to 7 leased peers ...", n, n)
	cmp, err := matrix.Compare(ctx, client, a, b)
	if err != nil {
		return err
	}
	r := cmp.Report
	if r.Local {
		return fmt.Errorf("the grid was not used: %s", r.Reason)
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
	e.Printf("acquire %s, send %s, compute %s, combine %s", ms(r.Acquire), ms(r.Send), ms(r.Compute), ms(r.Combine))
	e.Printf("gonum Dense.Mul on the same matrices: %s", ms(cmp.Gonum))
	if cmp.MaxAbsDiff > cmp.Bound {
		return fmt.Errorf("max |C − gonum| = %.3g exceeds the bound %.3g", cmp.MaxAbsDiff, cmp.Bound)
	}
	e.Report("n=%d on 7 peers: %s distributed vs %s gonum (%.2f×)", n, ms(cmp.Distributed), ms(cmp.Gonum), cmp.Ratio())
	e.Report("max |C − gonum| = %.2g (bound %.2g)", cmp.MaxAbsDiff, cmp.Bound)
	return cluster.Close()
}
