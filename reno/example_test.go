package reno_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/netlab-go/netlab/reno"
)

// A Reno flow of 16 segments loses segment 5001 once: three duplicate ACKs,
// fast retransmit, fast recovery with cwnd inflation, and the deflating ACK.
func Example() {
	cfg := reno.DefaultConfig()
	cfg.Link.Bandwidth = 100e6 // 80 µs per 1000-byte segment
	cfg.Link.Drops = []reno.Drop{{Seq: 5001}}
	cfg.Flows[0].Bytes = 16000
	cfg.OnEvent = func(r reno.Record) {
		ss := "inf"
		if r.Ssthresh < reno.InfiniteSsthresh {
			ss = fmt.Sprint(r.Ssthresh)
		}
		fmt.Printf("%.5fs %-15s %5d cwnd=%-5d ssthresh=%-4s %s\n",
			r.Time.Seconds(), r.Event, r.Seq, r.Cwnd, ss, r.State)
	}
	sim, err := reno.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := sim.Run(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	f := res.Flows[0]
	fmt.Printf("retransmissions=%d timeouts=%d fast recoveries=%d\n", f.Retransmissions, f.Timeouts, f.FastRecoveries)
	// Output:
	// 0.10008s loss             5001 cwnd=5000  ssthresh=inf  slow start
	// 0.10008s new-ack          1001 cwnd=5000  ssthresh=inf  slow start
	// 0.10016s new-ack          2001 cwnd=6000  ssthresh=inf  slow start
	// 0.10024s new-ack          3001 cwnd=7000  ssthresh=inf  slow start
	// 0.10032s new-ack          4001 cwnd=8000  ssthresh=inf  slow start
	// 0.20016s new-ack          5001 cwnd=9000  ssthresh=inf  slow start
	// 0.20024s dup-ack          5001 cwnd=9000  ssthresh=inf  slow start
	// 0.20032s dup-ack          5001 cwnd=9000  ssthresh=inf  slow start
	// 0.20040s fast-retransmit  5001 cwnd=7500  ssthresh=4500 fast recovery
	// 0.20048s dup-ack          5001 cwnd=8500  ssthresh=4500 fast recovery
	// 0.20056s dup-ack          5001 cwnd=9500  ssthresh=4500 fast recovery
	// 0.20064s dup-ack          5001 cwnd=10500 ssthresh=4500 fast recovery
	// 0.30024s dup-ack          5001 cwnd=11500 ssthresh=4500 fast recovery
	// 0.30032s dup-ack          5001 cwnd=12500 ssthresh=4500 fast recovery
	// 0.30048s recovery-exit   14001 cwnd=4500  ssthresh=4500 congestion avoidance
	// 0.30072s new-ack         15001 cwnd=4722  ssthresh=4500 congestion avoidance
	// 0.40032s new-ack         16001 cwnd=4933  ssthresh=4500 congestion avoidance
	// 0.40032s done            16001 cwnd=4933  ssthresh=4500 congestion avoidance
	// retransmissions=1 timeouts=0 fast recoveries=1
}

// The Narrator prints one line per state transition, like the course
// program.
func ExampleNarrator() {
	cfg := reno.DefaultConfig()
	cfg.Link.Bandwidth = 100e6
	cfg.Link.Drops = []reno.Drop{{Seq: 5001}, {Seq: 7001}}
	cfg.Flows[0].Variant = reno.VariantNewReno
	cfg.Flows[0].Bytes = 40000
	cfg.OnEvent = reno.NewNarrator(os.Stdout, cfg).Observe
	sim, _ := reno.New(cfg)
	if _, err := sim.Run(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// [t=0.20s] 3 dup ACKs -> fast recovery, cwnd=7.5 ssthresh=4.5 (segments)
	// [t=0.30s] partial ACK 7001 -> retransmit, stay in fast recovery, cwnd=10.5 ssthresh=4.5 (segments)
	// [t=0.40s] new ACK -> leave fast recovery, cwnd=4.5 ssthresh=4.5 (segments)
	// [t=0.90s] all data acknowledged, cwnd=8.3 ssthresh=4.5 (segments)
}

// The congestion-control state machines can be stepped by hand.
func ExampleNewReno() {
	w := reno.NewWindow(1000, 10000, 0) // cwnd 10 segments
	cc := reno.NewReno{}
	for i := 0; i < 3; i++ {
		reno.Step(cc, &w, reno.Ack{Kind: reno.DupAck, Ack: 1001, Flight: 10000, High: 10000})
	}
	fmt.Println(w.State, w.Cwnd, w.Ssthresh)
	act := reno.Step(cc, &w, reno.Ack{Kind: reno.NewAck, Ack: 4001, Acked: 3000, High: 10000})
	fmt.Println(act.Event, act.Retransmit, w.Cwnd)
	act = reno.Step(cc, &w, reno.Ack{Kind: reno.NewAck, Ack: 10001, Acked: 6000, High: 10000})
	fmt.Println(act.Event, w.State, w.Cwnd)
	// Output:
	// fast recovery 8000 5000
	// partial-ack true 6000
	// recovery-exit congestion avoidance 5000
}

func ExampleMathis() {
	rtt := 100 * time.Millisecond
	for _, p := range []float64{0.001, 0.01, 0.05} {
		fmt.Printf("p=%.3f Mathis %s  PFTK %s\n", p,
			reno.Rate(reno.Mathis(1460, rtt, p, 1)),
			reno.Rate(reno.PFTK(1460, rtt, p, 1, time.Second, 0)))
	}
	// Output:
	// p=0.001 Mathis 4.52 Mb/s  PFTK 4.42 Mb/s
	// p=0.010 Mathis 1.43 Mb/s  PFTK 1.17 Mb/s
	// p=0.050 Mathis 639.74 kb/s  PFTK 288.82 kb/s
}

// The course's round model: one coin flip per packet per RTT.
func ExampleRunRounds() {
	cfg := reno.DefaultRoundConfig()
	cfg.Loss = 0.05
	cfg.Rounds = 12
	cfg.InitialSsthresh = 16
	res, err := reno.RunRounds(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range res.Rounds {
		fmt.Printf("round %2d cwnd=%4.1f sent=%2d delivered=%2d %s\n", r.N, r.Cwnd, r.Sent, r.Delivered, r.Event)
	}
	// Output:
	// round  0 cwnd= 1.0 sent= 1 delivered= 1 new-ack
	// round  1 cwnd= 2.0 sent= 2 delivered= 2 new-ack
	// round  2 cwnd= 4.0 sent= 4 delivered= 4 new-ack
	// round  3 cwnd= 8.0 sent= 8 delivered= 8 new-ack
	// round  4 cwnd=16.0 sent=16 delivered=14 fast-retransmit
	// round  5 cwnd= 8.0 sent= 8 delivered= 7 fast-retransmit
	// round  6 cwnd= 4.0 sent= 4 delivered= 4 new-ack
	// round  7 cwnd= 5.0 sent= 5 delivered= 5 new-ack
	// round  8 cwnd= 6.0 sent= 6 delivered= 5 fast-retransmit
	// round  9 cwnd= 3.0 sent= 3 delivered= 3 new-ack
	// round 10 cwnd= 4.0 sent= 4 delivered= 4 new-ack
	// round 11 cwnd= 5.0 sent= 5 delivered= 5 new-ack
}
