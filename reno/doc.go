// Package reno is a packet-level, discrete-event simulator of TCP congestion
// control: Tahoe, [Reno] (RFC 5681), [NewReno] (RFC 6582), [SACK] (RFC 2018,
// RFC 6675) and CUBIC (RFC 9438, with HyStart++ of RFC 9406) senders with the
// RFC 6298 retransmission timer, sharing one bottleneck link. It also keeps
// the course's per-RTT "round model" for comparison, and the two classic
// throughput formulas ([Mathis] et al. 1997, Padhye et al. 1998) as functions.
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
// Data segments queue in a drop-tail buffer of [LinkConfig.Buffer] packets,
// are serialised at [LinkConfig.Bandwidth] and arrive after [LinkConfig.Delay].
// The link loses packets three ways: the buffer is full (overflow), a coin
// flip with probability [LinkConfig.Loss] (Bernoulli, or exactly one in 1/p
// with [LossPeriodic]), and [LinkConfig.Drops], a script such as "drop the first
// transmission of segment 5001" that tests use to build exact scenarios.
// Sequence numbers count bytes and the first data byte of a flow is 1, so
// with 1000-byte segments the sixth segment is 5001.
//
// The receiver sends cumulative ACKs (the next byte it expects), an
// immediate duplicate ACK for every out-of-order segment, and an immediate
// ACK when a segment fills a gap. With [FlowConfig.DelayedAck] it acknowledges
// every second full segment, or after [Config.DelayedAckTimeout] (RFC 5681
// section 4.2), so b=2 segments per ACK.
//
// The simulator is single-threaded and deterministic: the same [Config] and
// Seed give the same run, event for event. Time is simulated, nothing
// sleeps. Events wait in a binary heap ordered by (time, order of
// scheduling); packets on a fixed-delay path wait in FIFO pipes of which only
// the head is in the heap, so a step costs a few comparisons and no
// allocation.
//
// # The sender's four algorithms
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
// acknowledged bytes; [FlowConfig.ByteCounting] selects that rule. Equation 3
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
// 4. Fast recovery ([Reno]). The duplicate ACKs mean packets are still leaving
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
// and goes back N. [FlowConfig.LimitedTransmit] adds RFC 3042: each of the
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
// start. chart.Cwnd (package reno/chart) draws the real thing from a trace,
// with the states shaded.
//
// # NewReno
//
// With several losses in one window, [Reno] leaves fast recovery on the first
// new ACK even if it only covers the first hole (a "partial ACK"); the next
// hole then needs three more duplicate ACKs, which often never come, and the
// flow waits for the timer. [NewReno] remembers recover, the highest sequence
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
// start a spurious fast retransmit. (Plain [Reno] has no recover and can do
// exactly that; the [Tahoe] here borrows ns-2's guard.)
//
// # Selective acknowledgments
//
// [NewReno] still learns of one hole per round trip. With [SACK] ([FlowConfig.SACK],
// or [VariantSACK]) the receiver reports, on every ACK, up to three blocks of
// data it holds beyond the cumulative ACK (RFC 2018), the first block being
// the one that holds the segment that triggered the ACK. The sender keeps
// them in a scoreboard and recovers by RFC 6675:
//
//	IsLost(S)    more than (DupThresh-1)*SMSS bytes above S are SACKed
//	pipe         bytes not SACKed and not lost, plus bytes retransmitted
//	             (at or below HighRxt): the estimate of what is in flight
//	entry        third duplicate ACK: RecoveryPoint = highest byte sent,
//	             ssthresh as the controller says, cwnd = ssthresh,
//	             retransmit the first hole
//	each ACK     while cwnd - pipe >= SMSS send NextSeg: a lost hole not yet
//	             resent, else new data, else any hole below the SACKed data
//	exit         an ACK above RecoveryPoint
//
// so every hole known from the [SACK] blocks is resent in the first round trip
// of recovery. With 2, 3 and 4 losses in a window of 20 segments
// (TestSACKRecoversSeveralLossesInOneWindow), [Reno] recovers from 2 and waits
// 1 s for the timer with 3 or 4; [NewReno] takes 2, 3 and 4 round trips; [SACK]
// takes one. The sender forgets the scoreboard after a timeout (a receiver
// may renege, RFC 2018) and there is no rescue retransmission, so a lost
// retransmission still costs a timeout.
//
// # CUBIC
//
// Reno adds one segment per round trip, so refilling a window of W segments
// after a loss takes W/2 round trips: on a 1 Gb/s path with 100 ms of RTT
// (W = 8333) that is seven minutes, and a loss every few seconds keeps the
// window far below the pipe. CUBIC ([Cubic], [VariantCubic]) grows as a function
// of the time t since the last reduction:
//
//	W_cubic(t) = C (t - K)^3 + W_max,   K = cbrt((W_max - cwnd_epoch) / C)
//	C = 0.4, cut to beta = 0.7 of the flight at a loss
//
//	cwnd
//	 W_max ...........-------............ /    concave: fast, then flat near
//	                /          \__      /     the old maximum; convex beyond
//	              /                ----      it, probing for more
//	 0.7 W_max  /
//	           +------------|-------------> t
//	           loss         K
//
// Each ACK moves cwnd toward W_cubic(t + RTT). Where standard TCP would do
// better (short RTTs, small windows), cwnd follows the [Reno]-friendly
// estimate W_est, an AIMD with alpha = 3(1-beta)/(1+beta) that matches
// Reno's average. Fast convergence lowers W_max to cwnd(1+beta)/2 when a loss
// comes before the window regained its previous maximum, freeing room for a
// newer flow. With periodic loss p the average window is, in segments
// (RFC 9438 section 5.1),
//
//	W_avg = (C (3+beta) / (4 (1-beta)))^(1/4) * RTT^(3/4) / p^(3/4)
//
// against [Reno]'s 1.22/sqrt(p): CUBIC's advantage grows with RTT and falls
// with p. Measured (TestCubicResponseFunction): 0.905, 0.920 and 0.959 of
// W_avg at (RTT, p) = (200 ms, 1e-4), (400 ms, 1e-4), (200 ms, 3e-5); below
// it because each cycle spends its detection and recovery round trips off
// the curve. The window after a loss follows W_cubic(t) within 2% at every
// RTT (TestCubicTrajectoryAfterLoss). At 1 Gb/s, 100 ms and p = 2e-5 CUBIC
// moves 2.12 times [Reno]'s rate where the two response functions predict
// 2.31 (TestCubicBeatsRenoOnLongFatPipe). Sharing a 20 Mb/s drop-tail
// bottleneck with a one-BDP buffer, CUBIC takes 87% and [Reno] 13% ([Jain]'s
// index 0.64); two CUBIC flows split it 50/50
// (TestCubicAndRenoShareABottleneck).
//
// [Cubic.HyStart] adds HyStart++ (RFC 9406): in slow start, when the minimum
// RTT of a round exceeds the previous round's by max(4 ms, min(16 ms,
// RTT/8)), the queue is building, and the sender switches to conservative
// slow start (a quarter of the growth) for five rounds, then to congestion
// avoidance. On a 20 Mb/s link with a one-BDP buffer it cuts the losses of
// the first slow start from 1,888 to 242, a factor of about 8
// (TestHyStartLeavesSlowStartBeforeTheBufferOverflows). Fast recovery is [NewReno]'s, or
// RFC 6675's with [FlowConfig.SACK] (Linux always runs CUBIC with [SACK], and
// with PRR, RFC 6937, which this package does not have). Without [SACK] a
// slow-start overshoot of hundreds of segments is repaired one per RTT and
// usually ends in timeouts; use [SACK] or HyStart for CUBIC on deep buffers.
//
// # Writing a congestion controller
//
// [CongestionControl] is three methods: Name, OnAck and OnTimeout. The sender
// measures, counts and sends; the controller only decides the window. Per
// ACK it gets an [Ack] (new or duplicate, bytes acknowledged, FlightSize, the
// highest byte sent, the time, the smoothed RTT and an RTT sample) and the
// flow's [Window], in which the sender has already counted DupAcks; it sets
// Cwnd, Ssthresh and [State] and returns an [Action] (resend the first hole,
// go back N, keep the timer, what to call the event). The Window
// documentation lists who writes each field. Set [FlowConfig.Control] to use
// it; ExampleCongestionControl is a complete AIMD controller in a user's
// package, and [Step] drives one by hand in a unit test. A controller with
// per-flow state (like [Cubic]) needs one value per flow.
//
// # The retransmission timer
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
// [RunRounds] reproduces the course simulator: in each round of one RTT send
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
//     round model is far too optimistic there (see chart.Throughput).
//   - Several losses in one window are one event in the model. Reno really
//     halves twice or times out; NewReno repairs one hole per RTT.
//   - There is no ACK clock, no queue and no link: the model cannot show
//     buffer overflow, queueing delay, RTT growth or flows sharing a link.
//   - Fast recovery takes no time and cwnd is in whole packets.
//
// At low loss, where each loss is alone in its window and is repaired by fast
// retransmit, the round model and the simulator agree with each other and
// with [Mathis].
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
// duplicate ACK, a tooth from a to 2a would last a round trips; a [Reno] cycle
// has two more:
//
//	growth      a, a+1, ..., 2a     a+1 round trips; the last is the detection
//	                                round, still at the peak, while the
//	                                duplicate ACKs come back
//	recovery    about a segments    1 round trip (the retransmission's) in
//	                                which cwnd does not grow (RFC 5681)
//
// Counting segments: the growth rounds carry a + (a+1) + ... + 2a =
// 3/2 a(a+1), the recovery round a, and exactly one of them is lost, so
//
//	1/p = 3/2 a(a+1) + a  segments in a+2 round trips      (the cycle model)
//	a   = (sqrt(25/4 + 6/p) - 5/2) / 3
//	B   = (1/p - 1)/(a+2) segments per RTT                  (RenoCycle)
//
// Why Mathis is its limit: as p -> 0, a grows like sqrt(2/(3p)) and
// 1/p ~ 3/2 a^2, which is [Mathis]' packets per cycle with a = W/2; the
// 5/2 a extra segments and the two extra round trips are lower order. Expanding,
// a + 2 = sqrt(2/(3p)) + 7/6 + O(sqrt p), so
//
//	B / Mathis = sqrt(2/(3p)) / (a + 2) = 1 - (7/6) sqrt(3p/2) + O(p)
//
// and B tends to (1/RTT) sqrt(3/(2p)): the constant sqrt(3/2) is the cycle
// model's leading term, and [Mathis]' error is the O(sqrt p) term, 4.5% at
// p = 0.001 and 16% at p = 0.02.
//
// A sender that keeps its window in whole segments ([FlowConfig.WholeSegments],
// as Linux does) has a whole-number a and a peak W of 2a or 2a+1; a loss
// period between two such cycles makes it alternate between them.
// [RenoCycleSegments] is the cycle model with that rounding. Measured with
// periodic loss (one in 1/p dropped, retransmissions included), one ACK per
// segment, WholeSegments and LimitedTransmit, over a link that never queues
// (RTT = 100 ms + 80 us of serialisation), 200-420 s flows
// (TestRenoCycleModelPeriodicLoss):
//
//	p        sim/cycle(whole)  sim/cycle  sim/Mathis  cycle/Mathis
//	0.0005   1.000             0.992      0.961       0.968
//	0.001    1.001             1.001      0.957       0.955
//	0.002    1.010             0.997      0.935       0.937
//	0.003    1.009             1.006      0.929       0.923
//	0.005    1.000             0.980      0.883       0.902
//	0.0075   0.999             0.966      0.850       0.880
//	0.01     1.010             0.987      0.851       0.862
//	0.015    1.032             1.017      0.847       0.833
//	0.02     1.000             1.000      0.808       0.808
//	0.03     1.000             0.992      0.762       0.768
//	0.04     0.983             0.941      0.691       0.735
//	0.05     0.833             0.819      0.578       0.706
//
// Within 2% of the whole-segment cycle model from p = 0.0005 to 0.04 but for
// two cases. At p = 0.015 the hole falls early in its round, recovery sends
// inside the detection burst and the cycle is a quarter round trip shorter
// (3.2% above). At p = 0.05 the peak is 5 segments and the hole is among the
// last three of its round, so the third duplicate ACK waits for the
// limited-transmit segments' round trip: 6 round trips where the model has
// 5 (17% below). The continuous model (sim/cycle) is within 2% wherever the
// fixed point has whole-segment windows, and off by up to 6% between them.
//
// Without WholeSegments ssthresh = FlightSize/2 can be half a segment that
// cannot be sent, and byte counting (one SMSS per cwnd of acknowledged
// bytes) then sometimes takes two round trips for one SMSS: at p=0.005 that
// costs 0.85 RTT more per cycle (sim/Mathis 0.861 instead of 0.883). With
// equation 3 instead of byte counting it is 6%, 12%, 19% and 19% below
// Mathis at p=0.001, 0.005, 0.01 and 0.02.
//
// Padhye, Firoiu, Towsley and Kurose (1998) model [Reno] with random loss
// including timeouts. A loss is detected by triple duplicate ACK with a
// probability that falls as the window shrinks; otherwise the flow waits T0
// and backs off. Their approximation, in segments per second,
//
//	B = min( Wmax/RTT, 1 / ( RTT*sqrt(2bp/3) + T0*min(1, 3*sqrt(3bp/8))*p*(1+32p^2) ) )
//
// tends to [Mathis] for small p and falls much faster once timeouts dominate
// (p of a few percent). This package's [Reno] with Bernoulli loss and T0 = 1 s
// measures 1.06, 1.06, 1.09, 1.05 and 0.93 times [PFTK] at p = 0.001, 0.003,
// 0.01, 0.02 and 0.05, two seeds of 300 s each (TestPFTKAgreementRandomLoss,
// the bound is 25%), and falls below it beyond, where repeated timeouts back off further than
// the formula assumes.
//
// # Against Linux
//
// examples/reno-linux runs Linux's own reno and cubic (TCP_CONGESTION)
// through a loss-and-delay emulator: two network namespaces joined by TUN
// devices, with a userspace drop-tail bottleneck, RTT/2 of delay each way
// and each data packet lost with probability p, and runs this simulator at
// the same bandwidth, RTT and p with Linux's defaults (1448-byte segments,
// IW 10, [SACK], delayed ACKs, a 200 ms minimum RTO, HyStart for CUBIC).
// Measured with 20 s transfers at 50 Mb/s on a shared 2-core machine
// (Linux/simulated):
//
//	loss      p       RTT     reno   cubic
//	random    0.002   20 ms   1.00   0.84
//	random    0.002   80 ms   1.07   1.03
//	random    0.01    20 ms   0.85   0.76
//	random    0.01    80 ms   1.03   0.95
//	periodic  0.002   80 ms   1.01   1.15
//	periodic  0.01    80 ms   1.01   0.98
//
// 12 of 12 within 25%. At 20 ms Linux runs lower: the forwarder's
// scheduling delay on a loaded machine adds several milliseconds to the RTT
// (Linux measured 84-95 ms through the 80 ms setting). Linux's RACK, PRR and
// undo logic are not in the simulator; at these windows they change little.
// TestLinuxAgainstTheSimulator (root only) repeats two points with periodic
// loss.
//
// # Output
//
// Every event (new ACK, duplicate ACK, partial ACK, fast retransmit, end of
// recovery, timeout, loss) gives a [Record]: time, flow, cwnd, ssthresh, state,
// FlightSize and RTO. Records go to [Config.OnEvent] (a [Narrator] turns them
// into the course's "[t=12.30s] 3 dup ACKs -> fast recovery, cwnd=..."
// lines), to [Config.TraceCSV] as CSV streamed through a buffer (memory stays
// flat however long the run), and to [Result.Trace] with [Config.KeepTrace]. The
// Summary has each flow's throughput and goodput, retransmissions, timeouts
// and fast recoveries, and [Jain]'s fairness index over the flows,
// (sum x)^2 / (n sum x^2). Package reno/chart draws PNG or SVG charts with
// gonum/plot, kept apart so that this package needs only the standard library.
//
// # Lifecycle and defaults
//
// A zero field of [Config] means its default (as in net/http), so
// New(Config{}) simulates one [Reno] flow over [DefaultConfig]'s link; fields
// whose zero is meaningful (Link.Delay, Link.Loss, Seed, Warmup) stay as
// given, and an invalid value is refused with an error naming the field.
// A [Sim] holds no goroutine, socket or file: [Sim.Run] computes in the
// caller's goroutine and, when ctx ends first, returns the summary so far
// with ctx's error. There is nothing to close, so reno has no Close and no
// ErrClosed; a second Run is an error.
//
// # Limits
//
// No receiver window limit, no Nagle, no slow-start restart after
// idle, no SYN exchange; headers are not counted on the wire; ACKs are never
// lost and never queue. One bottleneck per run. No PRR (RFC 6937), RACK-TLP
// (RFC 8985) or [SACK] rescue retransmission, which Linux has.
//
// # Speed
//
// BenchmarkSimulatedPackets measured 11.5 and 11.8 million simulated packets
// (data segments plus ACKs) per wall-clock second for [NewReno] and CUBIC on
// one core, 6.1 million with [SACK] (a loaded 2-core machine: figures vary by
// a factor of 2 between runs); BenchmarkCubicGigabit simulates 100 s of
// CUBIC with [SACK] and HyStart++ at 1 Gb/s and 100 ms, 16.6 million packets,
// in 1.7 s of this process's CPU time (sim-s/cpu-s = 57.6; the wall clock,
// shared with other work, said 5.1 s).
//
// # References
//
//   - RFC 5681, TCP Congestion Control (M. Allman, V. Paxson, E. Blanton), 2009.
//   - RFC 6582, The NewReno Modification to TCP's Fast Recovery Algorithm, 2012.
//   - RFC 6298, Computing TCP's Retransmission Timer, 2011.
//   - RFC 3042, Enhancing TCP's Loss Recovery Using Limited Transmit, 2001.
//   - RFC 2018, TCP Selective Acknowledgment Options, 1996.
//   - RFC 6675, A Conservative Loss Recovery Algorithm Based on Selective
//     Acknowledgment (SACK) for TCP, 2012.
//   - RFC 9438, CUBIC for Fast and Long-Distance Networks, 2023.
//   - RFC 9406, HyStart++: Modified Slow Start for TCP, 2023.
//   - S. Ha, I. Rhee, L. Xu, CUBIC: A New TCP-Friendly High-Speed TCP
//     Variant, ACM SIGOPS Operating Systems Review 42(5), 2008.
//   - ns-3's TCP test suite (src/internet/test: tcp-slow-start-test.cc,
//     tcp-cong-avoid-test.cc, tcp-classic-recovery-test.cc), whose scenarios
//     ns3_test.go reproduces.
//   - V. Jacobson, Congestion Avoidance and Control, SIGCOMM 1988.
//   - M. Mathis, J. Semke, J. Mahdavi, T. Ott, The Macroscopic Behavior of the
//     TCP Congestion Avoidance Algorithm, Computer Communication Review 27(3), 1997.
//   - J. Padhye, V. Firoiu, D. Towsley, J. Kurose, Modeling TCP Throughput: A
//     Simple Model and its Empirical Validation, SIGCOMM 1998.
//   - R. Jain, D. Chiu, W. Hawe, A Quantitative Measure of Fairness and
//     Discrimination for Resource Allocation in Shared Computer Systems, DEC TR-301, 1984.
package reno
