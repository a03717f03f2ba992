package reno_test

import (
	"context"
	"fmt"

	"github.com/netlab-go/netlab/reno"
)

// AIMD is a complete user-written congestion controller, the kind a reader
// adds in their own package: additive increase of Inc segments per RTT,
// multiplicative decrease to Dec times the flight at a loss, no window
// inflation during recovery. It uses only the exported API. The sender keeps
// Window.DupAcks; the controller writes Cwnd, Ssthresh and State.
type AIMD struct{ Inc, Dec float64 }

// Name implements reno.CongestionControl.
func (AIMD) Name() string { return "aimd" }

// OnAck implements reno.CongestionControl.
func (c AIMD) OnAck(w *reno.Window, a reno.Ack) reno.Action {
	if a.Kind == reno.DupAck {
		if w.State != reno.FastRecovery && w.DupAcks == 3 {
			w.Ssthresh = max(int(c.Dec*float64(a.Flight)), 2*w.SMSS)
			w.Cwnd = w.Ssthresh
			w.State = reno.FastRecovery
			return reno.Action{Retransmit: true, Event: reno.EventFastRetransmit}
		}
		return reno.Action{Event: reno.EventDupAck}
	}
	if w.State == reno.FastRecovery { // the retransmission arrived
		w.State = reno.CongestionAvoidance
		return reno.Action{Event: reno.EventRecoveryExit}
	}
	if w.Cwnd < w.Ssthresh {
		w.Cwnd += min(a.Acked, w.SMSS) // slow start
		w.State = reno.SlowStart
	} else {
		w.Cwnd += max(1, int(c.Inc*float64(w.SMSS)*float64(a.Acked)/float64(w.Cwnd)))
		w.State = reno.CongestionAvoidance
	}
	return reno.Action{Event: reno.EventNewAck}
}

// OnTimeout implements reno.CongestionControl.
func (c AIMD) OnTimeout(w *reno.Window, t reno.Timeout) {
	if !t.Repeat {
		w.Ssthresh = max(int(c.Dec*float64(t.Flight)), 2*w.SMSS)
	}
	w.Cwnd = w.SMSS
	w.State = reno.SlowStart
}

// A user-written controller plugs in through FlowConfig.Control: here an
// AIMD(2, 0.8) flow, its loss of segment 5001 and its recovery.
func ExampleCongestionControl() {
	cfg := reno.DefaultConfig()
	cfg.Link.Bandwidth = 100e6
	cfg.Link.Drops = []reno.Drop{{Seq: 5001}}
	cfg.Flows[0].Control = AIMD{Inc: 2, Dec: 0.8}
	cfg.Flows[0].Bytes = 30000
	cfg.OnEvent = func(r reno.Record) {
		switch r.Event {
		case reno.EventFastRetransmit, reno.EventRecoveryExit, reno.EventDone:
			fmt.Printf("%.5fs %-15s cwnd=%d ssthresh=%d %s\n", r.Time.Seconds(), r.Event, r.Cwnd, r.Ssthresh, r.State)
		}
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
	fmt.Printf("%s: retransmissions=%d timeouts=%d done=%v\n", f.Variant, f.Retransmissions, f.Timeouts, f.Done)
	// Output:
	// 0.20040s fast-retransmit cwnd=7200 ssthresh=7200 fast recovery
	// 0.30048s recovery-exit   cwnd=7200 ssthresh=7200 congestion avoidance
	// 0.60072s done            cwnd=10794 ssthresh=7200 congestion avoidance
	// aimd: retransmissions=1 timeouts=0 done=true
}
