package reno

import (
	"fmt"
	"strings"
	"time"
)

// FlowStats is what one flow did.
type FlowStats struct {
	Flow            int
	Variant         string
	SegmentsSent    int64 // including retransmissions and lost segments
	BytesSent       int64
	Retransmissions int64
	Timeouts        int64
	FastRetransmits int64 // third-duplicate-ACK events acted upon
	FastRecoveries  int64 // fast retransmits that entered fast recovery (not Tahoe)
	Losses          int64 // segments the link dropped
	AcksReceived    int64
	Delivered       int64 // bytes delivered in order to the receiver
	// Throughput is the rate at which the flow's bytes crossed the bottleneck
	// (retransmissions included), bits per second, after the warm-up.
	Throughput float64
	// Goodput is the rate of new in-order bytes at the receiver, bits per
	// second, after the warm-up.
	Goodput    float64
	Done       bool          // a finite flow had all its data acknowledged
	Completion time.Duration // when it did
	SRTT       time.Duration // smoothed RTT at the end
	RTO        time.Duration // retransmission timeout at the end

	linkBytes, goodBytes int64
}

// Summary is what the whole run did.
type Summary struct {
	Flows      []FlowStats
	Simulated  time.Duration // simulated time covered
	Measured   time.Duration // the part after Config.Warmup that rates are over
	Throughput float64       // sum of the flows' throughput, bits per second
	Goodput    float64       // sum of the flows' goodput, bits per second
	// Fairness is [Jain]'s index over the flows' goodput: (sum x)^2 / (n sum x^2),
	// 1 when all flows get the same and 1/n when one gets everything.
	Fairness    float64
	Utilization float64 // Throughput / link bandwidth
	Events      int64   // events the simulator processed
	Packets     int64   // data segments sent plus ACKs sent
}

// Result is a [Summary] plus the trace when [Config.KeepTrace] was set.
type Result struct {
	Summary
	Trace []Record
}

func (s *Sim) result(end time.Duration) *Result {
	res := &Result{Trace: s.trace}
	sum := &res.Summary
	sum.Simulated = end
	sum.Measured = end - s.cfg.Warmup
	sec := sum.Measured.Seconds()
	var rates []float64
	for i := range s.flows {
		f := &s.flows[i]
		st := f.st
		if sec > 0 {
			st.Throughput = float64(st.linkBytes) * 8 / sec
			st.Goodput = float64(st.goodBytes) * 8 / sec
		}
		st.SRTT, st.RTO = f.est.srtt, f.est.rto
		sum.Flows = append(sum.Flows, st)
		sum.Throughput += st.Throughput
		sum.Goodput += st.Goodput
		sum.Packets += st.SegmentsSent
		rates = append(rates, st.Goodput)
	}
	sum.Packets += s.acks
	sum.Events = s.events
	sum.Fairness = Jain(rates)
	sum.Utilization = sum.Throughput / s.cfg.Link.Bandwidth
	return res
}

// Jain returns [Jain]'s fairness index (sum x)^2 / (n * sum x^2) of xs: 1 when
// all are equal, 1/n when one has everything, and 0 for no data.
func Jain(xs []float64) float64 {
	var s, s2 float64
	for _, x := range xs {
		s += x
		s2 += x * x
	}
	if s2 == 0 {
		return 0
	}
	return s * s / (float64(len(xs)) * s2)
}

// String formats the summary as a small table.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "simulated %v (rates over the last %v)\n", s.Simulated, s.Measured)
	fmt.Fprintf(&b, "%-4s %-8s %12s %12s %8s %8s %8s %8s\n", "flow", "variant", "throughput", "goodput", "retrans", "timeouts", "fast-rec", "losses")
	for _, f := range s.Flows {
		fmt.Fprintf(&b, "%-4d %-8s %12s %12s %8d %8d %8d %8d\n", f.Flow, f.Variant,
			Rate(f.Throughput), Rate(f.Goodput), f.Retransmissions, f.Timeouts, f.FastRecoveries, f.Losses)
	}
	fmt.Fprintf(&b, "total throughput %s, goodput %s, link utilization %.1f%%", Rate(s.Throughput), Rate(s.Goodput), 100*s.Utilization)
	if len(s.Flows) > 1 {
		fmt.Fprintf(&b, ", Jain fairness %.3f", s.Fairness)
	}
	b.WriteByte('\n')
	return b.String()
}

// Rate formats bits per second with a unit.
func Rate(bps float64) string {
	switch {
	case bps >= 1e9:
		return fmt.Sprintf("%.2f Gb/s", bps/1e9)
	case bps >= 1e6:
		return fmt.Sprintf("%.2f Mb/s", bps/1e6)
	case bps >= 1e3:
		return fmt.Sprintf("%.2f kb/s", bps/1e3)
	}
	return fmt.Sprintf("%.0f b/s", bps)
}
