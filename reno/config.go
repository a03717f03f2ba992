package reno

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"time"
)

// ErrInvalidConfig is wrapped by every error that [New], [RunRounds] and [Sweep]
// return for a bad parameter; the message names the field.
var ErrInvalidConfig = errors.New("invalid config")

// Variant names a congestion-control algorithm.
type Variant string

// The congestion-control variants the simulator knows.
const (
	VariantTahoe   Variant = "tahoe"   // slow start, congestion avoidance, fast retransmit, no fast recovery
	VariantReno    Variant = "reno"    // RFC 5681: fast retransmit and fast recovery
	VariantNewReno Variant = "newreno" // RFC 6582: Reno plus partial ACKs and "recover"
	// VariantSACK is [NewReno]'s window rules with [SACK] loss recovery: the
	// receiver reports [SACK] blocks (RFC 2018) and the sender recovers by its
	// scoreboard and pipe (RFC 6675), so [FlowConfig.SACK] is implied.
	VariantSACK Variant = "sack"
	// VariantCubic is CUBIC (RFC 9438), Linux's default: the window follows
	// a cubic function of the time since the last loss.
	VariantCubic Variant = "cubic"
)

// Variants lists the known variants in historical order.
var Variants = []Variant{VariantTahoe, VariantReno, VariantNewReno, VariantSACK, VariantCubic}

// ParseVariant returns the variant named s (case-insensitive).
func ParseVariant(s string) (Variant, error) {
	v := Variant(strings.ToLower(strings.TrimSpace(s)))
	switch v {
	case VariantTahoe, VariantReno, VariantNewReno, VariantSACK, VariantCubic:
		return v, nil
	}
	return "", fmt.Errorf("%w: unknown variant %q (want %s)", ErrInvalidConfig, s, variantList())
}

// LossPattern says how [LinkConfig.Loss] turns into dropped packets.
type LossPattern uint8

const (
	// LossBernoulli drops each data packet independently with probability Loss.
	LossBernoulli LossPattern = iota
	// LossPeriodic drops exactly one data packet in every 1/Loss, evenly
	// spaced: the deterministic loss that the [Mathis] model assumes.
	LossPeriodic
)

// maxScriptedCopy bounds [Drop.Copy] (copies are kept as bits of a word).
const maxScriptedCopy = 62

// Drop scripts the loss of one transmission of one segment.
type Drop struct {
	Flow int   // flow index in Config.Flows
	Seq  int64 // first byte of the segment; the first segment of a flow is 1
	// Copy is which transmission of that segment to drop: 0 the original,
	// 1 the first retransmission, and so on.
	Copy int
}

// LinkConfig describes the bottleneck link from the senders to the receivers.
//
// Data packets queue in a FIFO drop-tail buffer, are serialised at Bandwidth
// and arrive after Delay. ACKs return over an uncongested path with the same
// Delay (plus the flow's ExtraDelay) and are never lost.
type LinkConfig struct {
	Bandwidth float64       // bits per second; > 0
	Delay     time.Duration // one-way propagation delay; >= 0
	Buffer    int           // packets that may wait behind the one being sent; >= 1
	Loss      float64       // probability that a data packet is lost, in [0,1)
	Pattern   LossPattern   // how Loss is applied
	Drops     []Drop        // scripted losses, applied in addition to Loss
}

// FlowConfig describes one TCP bulk-transfer flow over the bottleneck.
type FlowConfig struct {
	Variant Variant // congestion control; ignored when Control is set
	// Control, when set, replaces [Variant] with your own algorithm.
	Control CongestionControl
	MSS     int           // sender maximum segment size (SMSS) in bytes; > 0
	Start   time.Duration // when the flow starts sending
	Bytes   int64         // bytes to send; 0 means an endless bulk transfer
	// ExtraDelay is added to this flow's ACK path, to give flows different RTTs.
	ExtraDelay time.Duration
	// InitialWindow in bytes; 0 means the RFC 5681 initial window for MSS.
	InitialWindow int
	// InitialSsthresh in bytes; 0 means "arbitrarily high" as RFC 5681 asks.
	InitialSsthresh int
	// DelayedAck makes the receiver acknowledge every second full segment
	// (b=2) or after DelayedAckTimeout, as RFC 5681 section 4.2 allows.
	DelayedAck bool
	// ByteCounting grows cwnd in congestion avoidance by one SMSS per cwnd
	// of acknowledged bytes, the way RFC 5681 section 3.1 RECOMMENDS; off,
	// it uses equation 3, cwnd += SMSS*SMSS/cwnd per ACK.
	ByteCounting bool
	// WholeSegments keeps cwnd and ssthresh in whole segments the way Linux
	// does: ssthresh = max(FlightSize/2, 2*SMSS) rounded down to a multiple
	// of SMSS, and congestion avoidance by byte counting (ByteCounting is
	// implied), so the window never holds half a segment that cannot be sent.
	WholeSegments bool
	// SACK turns on selective acknowledgments: the receiver reports up to
	// three [SACK] blocks on every ACK (RFC 2018) and the sender runs loss
	// recovery by its scoreboard and pipe (RFC 6675), with Control or
	// Variant deciding the window (ssthresh at the loss, growth after it).
	SACK bool
	// LimitedTransmit sends a new segment on each of the first two duplicate
	// ACKs (RFC 3042), leaving cwnd alone; that data does not count in the
	// FlightSize that ssthresh is computed from (RFC 5681 3.2 step 2).
	LimitedTransmit bool
}

// RTOConfig holds the RFC 6298 retransmission-timer parameters.
type RTOConfig struct {
	Initial     time.Duration // RTO before the first RTT sample (RFC 6298: 1 s)
	Min         time.Duration // lower bound (RFC 6298: 1 s)
	Max         time.Duration // upper bound (RFC 6298: at least 60 s)
	Granularity time.Duration // clock granularity G in RTO = SRTT + max(G, 4*RTTVAR)
}

// Config describes one simulation run.
type Config struct {
	Link  LinkConfig
	Flows []FlowConfig
	RTO   RTOConfig
	// DelayedAckTimeout bounds how long a receiver holds back an ACK (< 500 ms).
	DelayedAckTimeout time.Duration
	// Duration is how much simulated time to run; > 0.
	Duration time.Duration
	// Warmup is left out of the throughput figures in the [Summary].
	Warmup time.Duration
	// Seed drives the random loss; the same seed gives the same run.
	Seed uint64
	// OnEvent, when set, is called with every trace record as it happens.
	OnEvent func(Record)
	// TraceCSV, when set, receives every trace record as a CSV line (streamed,
	// so memory stays flat however long the run).
	TraceCSV io.Writer
	// KeepTrace keeps every trace record in [Result.Trace] (for charts).
	KeepTrace bool
	// Progress, when set, is called now and then (every 65536 events) with
	// the simulated time reached, for a progress bar.
	Progress func(simulated time.Duration)
	// Logger gets debug messages; nil is silent.
	Logger *slog.Logger
}

// DefaultConfig returns one [Reno] flow with 1000-byte segments over a 10 Mb/s
// link with a 100 ms round-trip propagation delay, a 50-packet buffer, no
// random loss, and the RFC 6298 timer, for 60 simulated seconds.
func DefaultConfig() Config {
	return Config{
		Link: LinkConfig{
			Bandwidth: 10e6,
			Delay:     50 * time.Millisecond,
			Buffer:    50,
		},
		Flows: []FlowConfig{DefaultFlow(VariantReno)},
		RTO: RTOConfig{
			Initial:     time.Second,
			Min:         time.Second,
			Max:         60 * time.Second,
			Granularity: time.Millisecond,
		},
		DelayedAckTimeout: 200 * time.Millisecond,
		Duration:          60 * time.Second,
		Seed:              1,
	}
}

// DefaultFlow returns an endless bulk flow of the given variant with
// 1000-byte segments starting at time zero.
func DefaultFlow(v Variant) FlowConfig {
	return FlowConfig{Variant: v, MSS: 1000}
}

func variantList() string {
	names := make([]string, len(Variants))
	for i, v := range Variants {
		names[i] = string(v)
	}
	return strings.Join(names, ", ")
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("reno: %w: "+format, append([]any{ErrInvalidConfig}, args...)...)
}

// withDefaults fills in the zero fields that have a default, as net/http
// does: the zero value of an optional field means its value in
// DefaultConfig (no flows means one Reno flow; a flow's zero MSS is 1000 and
// its empty Variant, without a Control, is Reno). Fields whose zero is a
// meaningful value stay as given: Link.Delay, Link.Loss, RTO.Granularity,
// Warmup, Seed, and a flow's Start, Bytes and the like.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	c.Link.Bandwidth = cmp.Or(c.Link.Bandwidth, d.Link.Bandwidth)
	c.Link.Buffer = cmp.Or(c.Link.Buffer, d.Link.Buffer)
	if len(c.Flows) == 0 {
		c.Flows = d.Flows
	} else {
		c.Flows = append([]FlowConfig(nil), c.Flows...)
	}
	for i := range c.Flows {
		f := &c.Flows[i]
		if f.Variant == "" && f.Control == nil {
			f.Variant = VariantReno
		}
		f.MSS = cmp.Or(f.MSS, DefaultFlow(VariantReno).MSS)
	}
	c.RTO.Initial = cmp.Or(c.RTO.Initial, d.RTO.Initial)
	c.RTO.Min = cmp.Or(c.RTO.Min, d.RTO.Min)
	c.RTO.Max = cmp.Or(c.RTO.Max, max(d.RTO.Max, c.RTO.Min))
	c.DelayedAckTimeout = cmp.Or(c.DelayedAckTimeout, d.DelayedAckTimeout)
	c.Duration = cmp.Or(c.Duration, d.Duration)
	return c
}

// Validate checks every field and returns an error naming the first bad one.
// A zero field means its value in [DefaultConfig] (see the package
// documentation, "Lifecycle and defaults"), so Config{} is valid.
func (c Config) Validate() error {
	c = c.withDefaults()
	l := c.Link
	switch {
	case !(l.Bandwidth > 0) || math.IsInf(l.Bandwidth, 0):
		return invalid("Link.Bandwidth must be > 0 bits/s, got %v", l.Bandwidth)
	case l.Delay < 0:
		return invalid("Link.Delay must be >= 0, got %v", l.Delay)
	case l.Buffer < 1:
		return invalid("Link.Buffer must be >= 1 packet, got %d", l.Buffer)
	case !(l.Loss >= 0 && l.Loss < 1):
		return invalid("Link.Loss must be in [0,1), got %v", l.Loss)
	case l.Pattern > LossPeriodic:
		return invalid("Link.Pattern: unknown loss pattern %d", l.Pattern)
	}
	if len(c.Flows) == 0 {
		return invalid("Flows: need at least one flow")
	}
	for i, f := range c.Flows {
		if err := f.validate(i); err != nil {
			return err
		}
	}
	for i, d := range c.Link.Drops {
		if d.Flow < 0 || d.Flow >= len(c.Flows) {
			return invalid("Link.Drops[%d].Flow %d: no such flow", i, d.Flow)
		}
		if d.Seq < 1 || d.Copy < 0 || d.Copy >= maxScriptedCopy {
			return invalid("Link.Drops[%d]: Seq must be >= 1 and Copy in [0,%d)", i, maxScriptedCopy)
		}
	}
	r := c.RTO
	switch {
	case r.Initial <= 0:
		return invalid("RTO.Initial must be > 0, got %v", r.Initial)
	case r.Min <= 0:
		return invalid("RTO.Min must be > 0, got %v", r.Min)
	case r.Max < r.Min:
		return invalid("RTO.Max (%v) must be >= RTO.Min (%v)", r.Max, r.Min)
	case r.Granularity < 0:
		return invalid("RTO.Granularity must be >= 0, got %v", r.Granularity)
	case c.DelayedAckTimeout <= 0 || c.DelayedAckTimeout >= 500*time.Millisecond:
		return invalid("DelayedAckTimeout must be in (0, 500ms), got %v", c.DelayedAckTimeout)
	case c.Duration <= 0:
		return invalid("Duration must be > 0, got %v", c.Duration)
	case c.Warmup < 0 || c.Warmup >= c.Duration:
		return invalid("Warmup must be in [0, Duration), got %v", c.Warmup)
	}
	return nil
}

func (f FlowConfig) validate(i int) error {
	if f.Control == nil {
		if _, err := ParseVariant(string(f.Variant)); err != nil {
			return invalid("Flows[%d].Variant: unknown variant %q (want %s)", i, f.Variant, variantList())
		}
	}
	switch {
	case f.MSS <= 0:
		return invalid("Flows[%d].MSS must be > 0 bytes, got %d", i, f.MSS)
	case f.Start < 0:
		return invalid("Flows[%d].Start must be >= 0, got %v", i, f.Start)
	case f.Bytes < 0:
		return invalid("Flows[%d].Bytes must be >= 0, got %d", i, f.Bytes)
	case f.ExtraDelay < 0:
		return invalid("Flows[%d].ExtraDelay must be >= 0, got %v", i, f.ExtraDelay)
	case f.InitialWindow < 0:
		return invalid("Flows[%d].InitialWindow must be >= 0, got %d", i, f.InitialWindow)
	case f.InitialSsthresh < 0:
		return invalid("Flows[%d].InitialSsthresh must be >= 0, got %d", i, f.InitialSsthresh)
	}
	return nil
}
