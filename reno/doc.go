// Package reno is a packet-level, discrete-event simulator of TCP congestion
// control: Tahoe, Reno (RFC 5681) and NewReno (RFC 6582) senders with the
// RFC 6298 retransmission timer, sharing one bottleneck link. It also keeps
// the course's per-RTT "round model" for comparison, and the two classic
// throughput formulas (Mathis et al. 1997, Padhye et al. 1998) as functions.
//
// # The problem
//
// A TCP sender must guess how much data the network can hold. Send too
// little and the link idles; send too much and a router queue overflows and
// drops packets, and if everyone keeps sending, the network collapses (the
// 1986 congestion collapse). Van Jacobson's answer (1988) is a congestion
// window, cwnd: the sender keeps at most cwnd bytes unacknowledged in the
// network ("in flight"), grows it while ACKs come back, and shrinks it when
// a loss tells it the network is full. Loss is the only congestion signal.
//
// # The topology
//
//	 senders                 bottleneck link                        receivers
//	flow 0 --\      +----------------+-----------+                  /--> flow 0
//	flow 1 ---+---> | drop-tail FIFO | Bandwidth |--- Delay ----->+---> flow 1
//	flow 2 --/      |  Buffer pkts   |  bits/s   |   (+ Loss,     \--> flow 2
//	                +----------------+-----------+    Drops)      |
//	   ^                                                          |
//	   +------------- ACKs: Delay (+ ExtraDelay), never lost -----+
//
// Data segments queue in a drop-tail buffer of LinkConfig.Buffer packets,
// are serialised at LinkConfig.Bandwidth and arrive after LinkConfig.Delay.
// The link loses packets three ways: the buffer is full (overflow), a coin
// flip with probability LinkConfig.Loss (Bernoulli, or exactly one in 1/p
// with LossPeriodic), and LinkConfig.Drops, a script such as "drop the first
// transmission of segment 5001" that tests use to build exact scenarios.
// Sequence numbers count bytes and the first data byte of a flow is 1, so
// with 1000-byte segments the sixth segment is 5001.
//
// The receiver sends cumulative ACKs (the next byte it expects), an
// immediate duplicate ACK for every out-of-order segment, and an immediate
// ACK when a segment fills a gap. With FlowConfig.DelayedAck it acknowledges
// every second full segment, or after Config.DelayedAckTimeout (RFC 5681
// section 4.2), so b=2 segments per ACK.
//
// The simulator is single-threaded and deterministic: the same Config and
// Seed give the same run, event for event. Time is simulated, nothing
// sleeps. Events wait in a binary heap ordered by (time, order of
// scheduling); packets on a fixed-delay path wait in FIFO pipes of which only
// the head is in the heap, so a step costs a few comparisons and no
// allocation.
//
// # The sender's four algorithms (RFC 5681)
//
// cwnd and ssthresh are in bytes; SMSS is the sender's segment size.
//
// 1. Slow start, while cwnd < ssthresh. Start from the initial window
// (RFC 5681 3.1: IW = 4*SMSS for SMSS <= 1095 bytes, 3*SMSS up to 2190,
// else 2*SMSS) and for each ACK of new data add
//
//	cwnd += min(N, SMSS)        N = bytes newly acknowledged
//
// so cwnd doubles every round trip. ssthresh starts "arbitrarily high".
//
// 2. Congestion avoidance, while cwnd >= ssthresh: about one SMSS per round
// trip, additive increase. Per ACK of new data (equation 3):
//
//	cwnd += SMSS*SMSS/cwnd      (at least 1 byte)
//
// RFC 5681 RECOMMENDS counting bytes instead, one SMSS per cwnd of
// acknowledged bytes; FlowConfig.ByteCounting selects that rule. Equation 3
// grows slightly slower than one SMSS per RTT because cwnd rises during the
// round.
//
// 3. Fast retransmit. A duplicate ACK (same cumulative ACK, data
// outstanding) says a later segment arrived while an earlier one did not. On
// the third duplicate ACK the sender does not wait for the timer:
//
//	ssthresh = max(FlightSize/2, 2*SMSS)      (equation 4)
//	retransmit the first unacknowledged segment
//
// 4. Fast recovery (Reno). The duplicate ACKs mean packets are still leaving
// the network, so instead of starting over:
//
//	cwnd = ssthresh + 3*SMSS    (the three segments that left)
//	cwnd += SMSS                for each further duplicate ACK ("inflation")
//	cwnd = ssthresh             on the first ACK of new data ("deflation")
//
// and send new data whenever cwnd allows. Tahoe (4.3BSD, 1988) has fast
// retransmit but no fast recovery: cwnd = 1*SMSS and slow start again from
// the hole (go-back-N).
//
// When the retransmission timer expires instead, every variant does
//
//	ssthresh = max(FlightSize/2, 2*SMSS)      (not again for the same segment)
//	cwnd = 1*SMSS                             (the loss window)
//
// and goes back N. FlowConfig.LimitedTransmit adds RFC 3042: each of the
// first two duplicate ACKs may send one new segment, so small windows still
// collect three duplicates. Those segments are left out of the FlightSize
// that ssthresh is computed from (RFC 5681 3.2, step 2).
//
// # The sawtooth
//
// A Reno flow with a loss now and then: slow start, then additive increase
// and multiplicative decrease (AIMD). F = fast recovery, T = timeout.
//
//	cwnd (segments)
//	 16 |      F       F       F
//	 14 |     *|      /|      /|
//	 12 |    * |    /  |    /  |
//	 10 |   *  |  /    |  /    |           /
//	  8 |  *   |/      |/      |        */
//	  4 | *                    |      *
//	  2 |*                     |    *
//	  1 |                      T  *
//	    +------------------------------------------> time
//	     slow  congestion avoidance   slow   congestion
//	     start (+1 segment per RTT)   start  avoidance
//
//	F = three duplicate ACKs: ssthresh = cwnd/2, fast recovery, then cwnd = ssthresh
//	T = timeout: ssthresh = cwnd/2, cwnd = 1, slow start up to ssthresh
//
// Tahoe draws the same teeth but each falls to 1 SMSS and climbs in slow
// start. CwndChart draws the real thing from a trace, with the states shaded.
//
// # NewReno (RFC 6582)
//
// With several losses in one window, Reno leaves fast recovery on the first
// new ACK even if it only covers the first hole (a "partial ACK"); the next
// hole then needs three more duplicate ACKs, which often never come, and the
// flow waits for the timer. NewReno remembers recover, the highest sequence
// number sent when fast retransmit began, and stays in fast recovery until
// an ACK covers it:
//
//	third duplicate ACK, and Ack > recover:   recover = highest sent; enter as Reno
//	  (Ack <= recover: do nothing, these are echoes of an earlier episode)
//	partial ACK (Ack <= recover):  retransmit the next hole at once,
//	                               cwnd -= newly acked bytes, then += SMSS if >= SMSS,
//	                               restart the timer on the first partial ACK only
//	full ACK (Ack > recover):      cwnd = ssthresh, leave fast recovery
//
// For the full ACK RFC 6582 allows cwnd = ssthresh or min(ssthresh,
// max(FlightSize, SMSS) + SMSS); this package takes the first. A timeout also
// sets recover, so that duplicate ACKs caused by go-back-N resends do not
// start a spurious fast retransmit. (Plain Reno has no recover and can do
// exactly that; the Tahoe here borrows ns-2's guard.)
//
// # The retransmission timer (RFC 6298)
//
// One RTT measurement runs at a time. With a sample R:
//
//	first sample:  SRTT = R, RTTVAR = R/2
//	later:         RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|,  SRTT = 7/8 SRTT + 1/8 R
//	RTO = SRTT + max(G, 4*RTTVAR), at least RTOConfig.Min (1 s), at most Max
//
// Before the first sample the RTO is 1 s. Karn's rule: a retransmitted
// segment gives no sample, since its ACK may answer either copy. On expiry
// the RTO doubles (exponential backoff) and stays doubled until a new sample
// from a segment sent once. The timer runs whenever data is outstanding,
// restarts on every ACK of new data and stops when everything is
// acknowledged.
//
// # The course round model and where it is wrong
//
// RunRounds reproduces the course simulator: in each round of one RTT send
// floor(cwnd) packets, flip a coin for each, then double cwnd (below
// ssthresh) or add one; if some packet was lost, call it "3 duplicate ACKs"
// when at least three packets of the round got through (ssthresh = cwnd/2,
// cwnd = ssthresh), else a timeout (cwnd = 1). It draws a fine sawtooth, but:
//
//   - Duplicate ACKs come only from segments after the hole, and arrive one
//     RTT later; the model counts successes anywhere in the round, and reacts
//     in the same round.
//   - A timeout costs RTO >= 1 s (and doubles when repeated), not one round;
//     at high loss this is what dominates throughput (PFTK's T0 term), so the
//     round model is far too optimistic there (see SweepChart).
//   - Several losses in one window are one event in the model. Reno really
//     halves twice or times out; NewReno repairs one hole per RTT.
//   - There is no ACK clock, no queue and no link: the model cannot show
//     buffer overflow, queueing delay, RTT growth or flows sharing a link.
//   - Fast recovery takes no time and cwnd is in whole packets.
//
// At low loss, where each loss is alone in its window and is repaired by fast
// retransmit, the round model and the simulator agree with each other and
// with Mathis.
//
// # Where the models come from
//
// Mathis et al. (1997) assume a periodic loss once every 1/p packets and a
// perfect sawtooth. cwnd climbs from W/2 to W segments, one per RTT, so a
// cycle lasts W/2 RTTs and carries the area under the tooth:
//
//	packets per cycle = (W/2)^2 + (1/2)(W/2)^2 = 3/8 W^2 = 1/p  =>  W = sqrt(8/(3p))
//	throughput = (3/8 W^2 * MSS) / (W/2 * RTT) = (MSS/RTT) * sqrt(3/(2p))
//
// so B = (MSS/RTT) * C/sqrt(p) with C = sqrt(3/2) ~ 1.22, or sqrt(3/4) with
// delayed ACKs (cwnd grows half as fast, b=2).
//
// The tooth halves the moment the window reaches W and grows again at once.
// A Reno sender cannot. With ssthresh a = FlightSize/2 at the third
// duplicate ACK, a tooth from a to 2a would last a round trips; a Reno cycle
// has two more:
//
//	growth      a, a+1, ..., 2a     a+1 round trips; the last is the detection
//	                                round, still at the peak, while the
//	                                duplicate ACKs come back
//	recovery    about a segments    1 round trip (the retransmission's) in
//	                                which cwnd does not grow (RFC 5681)
//
//	1/p = 3/2 a(a+1) + a segments in a+2 round trips,
//	B   = (1/p - 1)/(a+2) segments per RTT    (the lost one is not delivered)
//
// Those two round trips carry segments too, so for the same 1/p the window
// stays lower than Mathis' (a < W/2) and the cycle is 1 to 2 round trips
// longer than W/2: the rate is below Mathis by a relative O(1/W), that is
// O(sqrt p). (When the hole is early in its round, recovery sends within the
// detection burst and the cycle is nearer a+1.) Measured with periodic loss,
// one ACK per segment, ByteCounting and LimitedTransmit, over a link that
// never queues (RTT = 100 ms + 80 µs of serialisation):
//
//	p        cycle (Mathis W/2)    ssthresh a   sim/Mathis   model/Mathis
//	0.0002   58.77 RTT (57.74)     57.0          0.982        0.980
//	0.001    27.00 RTT (25.82)     25.0          0.956        0.955
//	0.005    13.34 RTT (11.55)     10.5          0.861        0.902
//	0.01      9.50 RTT  (8.16)      7.0          0.851        0.862
//	0.02      7.00 RTT  (5.77)      5.0          0.808        0.808
//
// The ratios are the same, within 1%, for RTTs from 60 to 200 ms and links
// from 1.2 Mb/s to 1 Gb/s, as long as Mathis gets the RTT the flow sees
// (SRTT, which grows with serialisation on a slow link). Periodic loss drops
// one in every 1/p segments sent, retransmissions included; taking p per
// delivered segment instead would raise the ratios by at most 1% (p=0.02).
//
// When FlightSize is an odd number of segments, ssthresh is half a segment
// more than the whole segments that can be sent, and byte counting (one SMSS
// per cwnd of acknowledged bytes) sometimes takes two round trips for one
// SMSS: at p=0.005 that costs 0.85 RTT more per cycle. So periodic loss
// keeps Reno within 10% of Mathis only while W/2 is above about 13 segments
// (0.918 at p=0.004, 0.861 at 0.005); at p=0.01-0.02, where W/2 is 6-8
// segments, it is 15-19% below. With equation 3 instead of byte counting it
// is 6%, 12%, 19% and 19% below at p=0.001, 0.005, 0.01 and 0.02.
//
// Padhye, Firoiu, Towsley and Kurose (1998) model Reno with random loss
// including timeouts. A loss is detected by triple duplicate ACK with a
// probability that falls as the window shrinks; otherwise the flow waits T0
// and backs off. Their approximation, in segments per second,
//
//	B = min( Wmax/RTT, 1 / ( RTT*sqrt(2bp/3) + T0*min(1, 3*sqrt(3bp/8))*p*(1+32p^2) ) )
//
// tends to Mathis for small p and falls much faster once timeouts dominate
// (p of a few percent). This package's Reno with Bernoulli loss and T0 = 1 s
// stays within about 15% of PFTK from p=0.001 to p=0.05 (see the sweep chart),
// and falls below it beyond, where repeated timeouts back off further than
// the formula assumes.
//
// # Output
//
// Every event (new ACK, duplicate ACK, partial ACK, fast retransmit, end of
// recovery, timeout, loss) gives a Record: time, flow, cwnd, ssthresh, state,
// FlightSize and RTO. Records go to Config.OnEvent (a Narrator turns them
// into the course's "[t=12.30s] 3 dup ACKs -> fast recovery, cwnd=..."
// lines), to Config.TraceCSV as CSV streamed through a buffer (memory stays
// flat however long the run), and to Result.Trace with Config.KeepTrace. The
// Summary has each flow's throughput and goodput, retransmissions, timeouts
// and fast recoveries, and Jain's fairness index over the flows,
// (sum x)^2 / (n sum x^2). CwndChart, VariantsChart and SweepChart draw
// PNG or SVG charts with gonum/plot.
//
// # Limits
//
// No SACK, no receiver window limit, no Nagle, no slow-start restart after
// idle, no SYN exchange; headers are not counted on the wire; ACKs are never
// lost and never queue. One bottleneck per run.
//
// # References
//
//   - RFC 5681, TCP Congestion Control (M. Allman, V. Paxson, E. Blanton), 2009.
//   - RFC 6582, The NewReno Modification to TCP's Fast Recovery Algorithm, 2012.
//   - RFC 6298, Computing TCP's Retransmission Timer, 2011.
//   - RFC 3042, Enhancing TCP's Loss Recovery Using Limited Transmit, 2001.
//   - V. Jacobson, Congestion Avoidance and Control, SIGCOMM 1988.
//   - M. Mathis, J. Semke, J. Mahdavi, T. Ott, The Macroscopic Behavior of the
//     TCP Congestion Avoidance Algorithm, Computer Communication Review 27(3), 1997.
//   - J. Padhye, V. Firoiu, D. Towsley, J. Kurose, Modeling TCP Throughput: A
//     Simple Model and its Empirical Validation, SIGCOMM 1998.
//   - R. Jain, D. Chiu, W. Hawe, A Quantitative Measure of Fairness and
//     Discrimination for Resource Allocation in Shared Computer Systems, DEC TR-301, 1984.
package reno
