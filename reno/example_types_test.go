package reno_test

import (
	"context"
	"fmt"
	"time"

	"github.com/netlab-go/netlab/reno"
)

// ExampleSim runs two flows, Reno and CUBIC, through one bottleneck that
// drops a few chosen segments. [reno.New] validates the [reno.Config] and
// [reno.Sim.Run] runs it once; the simulation is single-threaded and
// deterministic, so the figures are the same on every machine.
func ExampleSim() {
	cfg := reno.DefaultConfig()
	cfg.Link.Bandwidth = 10e6
	cfg.Link.Drops = []reno.Drop{{Flow: 0, Seq: 20001}, {Flow: 1, Seq: 30001}}
	cfg.Flows = []reno.FlowConfig{reno.DefaultFlow(reno.VariantReno), reno.DefaultFlow(reno.VariantCubic)}
	cfg.Flows[0].Bytes = 200_000
	cfg.Flows[1].Bytes = 200_000
	cfg.Duration = 30 * time.Second

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
	for _, f := range res.Flows {
		fmt.Printf("%s: done=%v delivered=%d losses=%d retransmissions=%d\n",
			f.Variant, f.Done, f.Delivered, f.Losses, f.Retransmissions)
	}
	// Output:
	// reno: done=true delivered=200000 losses=1 retransmissions=1
	// cubic: done=true delivered=200000 losses=1 retransmissions=1
}

// ExampleWindow steps a [reno.Window] by hand through [reno.Reno]: slow
// start adds one SMSS per new ACK until cwnd reaches ssthresh, then
// congestion avoidance adds about SMSS*SMSS/cwnd per ACK, and a timeout
// halves ssthresh and drops cwnd to one segment.
func ExampleWindow() {
	w := reno.NewWindow(1000, 2000, 4000) // SMSS 1000, IW 2 segments, ssthresh 4000
	cc := reno.Reno{}
	next := int64(1)
	for i := 0; i < 4; i++ {
		next += 1000
		reno.Step(cc, &w, reno.Ack{Kind: reno.NewAck, Ack: next, Acked: 1000, Flight: w.Cwnd, High: next + int64(w.Cwnd)})
		fmt.Println(w.State, w.Cwnd, w.Ssthresh)
	}
	cc.OnTimeout(&w, reno.Timeout{Flight: w.Cwnd, High: next + int64(w.Cwnd)})
	fmt.Println(w.State, w.Cwnd, w.Ssthresh)
	// Output:
	// slow start 3000 4000
	// congestion avoidance 4000 4000
	// congestion avoidance 4250 4000
	// congestion avoidance 4485 4000
	// slow start 1000 2242
}

// ExampleCubic shows the cubic window function of a [reno.Cubic] after a
// loss at W_max = 100 segments: cut to beta*W_max, it climbs back to W_max
// at t = K (concave), stays flat there, then probes beyond it (convex).
// [reno.NewCubic] gives each flow its own state.
func ExampleCubic() {
	c := reno.NewCubic()
	w := reno.NewWindow(1000, 100_000, 100_000) // cwnd 100 segments, in congestion avoidance
	// Three duplicate ACKs: the loss that sets W_max and cuts cwnd to beta*W_max.
	for i := 1; i <= 3; i++ {
		w.DupAcks = i
		c.OnAck(&w, reno.Ack{Kind: reno.DupAck, Ack: 1001, Flight: 100_000, High: 100_000})
	}
	// The ACK that ends fast recovery, then the first ACK of the new epoch.
	c.OnAck(&w, reno.Ack{Kind: reno.NewAck, Ack: 100_001, Acked: 99_000, High: 100_001})
	c.OnAck(&w, reno.Ack{Kind: reno.NewAck, Ack: 101_001, Acked: 1000, High: 170_001, Now: time.Second})
	fmt.Printf("W_max=%.0f cwnd=%d segments K=%v\n", c.WMax(), w.Cwnd/1000, c.K().Round(time.Millisecond))
	for _, t := range []time.Duration{0, c.K() / 2, c.K(), c.K() + 2*time.Second} {
		fmt.Printf("W(%v)=%.1f\n", t.Round(time.Millisecond), c.W(t))
	}
	// Output:
	// W_max=100 cwnd=70 segments K=4.217s
	// W(0s)=70.0
	// W(2.109s)=96.2
	// W(4.217s)=100.0
	// W(6.217s)=103.2
}
