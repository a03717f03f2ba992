package sim

import (
	"fmt"
	"math"
	"slices"
)

// Summary aggregates runs of one [Config] over several seeds.
type Summary struct {
	Config Config
	Runs   []Run
	// FullRuns is how many runs reached every live node.
	FullRuns int
	// RoundsToFull holds FullAt of the runs that reached everyone, sorted:
	// the distribution of rounds to full coverage.
	RoundsToFull []int
	// MessagesPerNode and Residue are means over the runs.
	MessagesPerNode float64
	Residue         float64
	// MaxResidue is the worst run's residue.
	MaxResidue float64
	// NodeRounds is the sum over runs of N × rounds simulated: the work done.
	NodeRounds int64
}

// SimulateSeeds runs cfg with seeds 1..seeds and summarises.
func SimulateSeeds(cfg Config, seeds int) (Summary, error) {
	if seeds < 1 {
		return Summary{}, fmt.Errorf("sim: seeds %d must be at least 1", seeds)
	}
	runs := make([]Run, 0, seeds)
	for seed := 1; seed <= seeds; seed++ {
		run, err := Simulate(cfg, uint64(seed))
		if err != nil {
			return Summary{}, err
		}
		runs = append(runs, run)
	}
	return Summarize(cfg, runs), nil
}

// Summarize aggregates runs of cfg, for a caller that runs the seeds itself
// (to show progress, or to stop between runs).
func Summarize(cfg Config, runs []Run) Summary {
	sum := Summary{Config: cfg, Runs: runs}
	k := float64(len(runs))
	for _, run := range runs {
		sum.NodeRounds += int64(cfg.N) * int64(run.Rounds)
		sum.MessagesPerNode += run.MessagesPerNode / k
		sum.Residue += run.Residue / k
		sum.MaxResidue = math.Max(sum.MaxResidue, run.Residue)
		if run.FullAt >= 0 {
			sum.FullRuns++
			sum.RoundsToFull = append(sum.RoundsToFull, run.FullAt)
		}
	}
	slices.Sort(sum.RoundsToFull)
	return sum
}

// Percentile returns the p-th percentile (0..100, nearest rank) of rounds to
// full coverage over all runs, counting runs that never got there as
// infinitely slow; it returns -1 when that percentile never got there.
func (s Summary) Percentile(p float64) int {
	if len(s.Runs) == 0 {
		return -1
	}
	rank := int(math.Ceil(p / 100 * float64(len(s.Runs))))
	rank = min(max(rank, 1), len(s.Runs))
	if rank > len(s.RoundsToFull) {
		return -1
	}
	return s.RoundsToFull[rank-1]
}

// Median is Percentile(50).
func (s Summary) Median() int { return s.Percentile(50) }

// MeanCoverage returns the coverage per round averaged over runs; a run that
// ended early counts with its final coverage afterwards.
func (s Summary) MeanCoverage() []float64 {
	longest := 0
	for _, r := range s.Runs {
		longest = max(longest, len(r.Coverage))
	}
	mean := make([]float64, longest)
	for _, r := range s.Runs {
		for i := range mean {
			c := r.Coverage[min(i, len(r.Coverage)-1)]
			mean[i] += c / float64(len(s.Runs))
		}
	}
	return mean
}

// String is a one-line report.
func (s Summary) String() string {
	c := s.Config
	return fmt.Sprintf("%s fanout %d %s ae=%d N=%d loss=%.0f%% crashed=%.0f%%: full coverage in %d/%d runs, rounds median %d p90 %d, %.1f msgs/node, residue %.4f%%",
		c.Mode, c.Fanout, c.Stop, c.AntiEntropyEvery, c.N, 100*c.Loss, 100*c.Crashed,
		s.FullRuns, len(s.Runs), s.Median(), s.Percentile(90), s.MessagesPerNode, 100*s.Residue)
}
