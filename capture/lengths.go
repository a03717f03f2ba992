package capture

// LengthBinWidth is the width, in bytes, of the bins in which an [Analyzer]
// counts frame lengths: fine enough to re-bin into 64-byte or log-spaced
// bins for a picture, coarse enough that the table stays small.
const LengthBinWidth = 16

// maxBinnedLength is where the fixed bins end: a longer frame (a jumbo
// frame, or a segment from TCP segmentation offload on a loopback capture)
// lands in the last, open bin.
const maxBinnedLength = 65536

// lengthCounts is a bounded histogram of wire lengths: 4096 bins of
// [LengthBinWidth] bytes and one for everything longer, 32 KiB in all however
// many frames are counted.
type lengthCounts [maxBinnedLength/LengthBinWidth + 1]uint64

func (l *lengthCounts) add(wire uint64) {
	l[min(wire/LengthBinWidth, uint64(len(l)-1))]++
}

// LengthBin is one bin of [Analyzer.FrameLengths]: the frames whose wire
// length is at least Lo and less than Hi bytes. The last bin of the table
// is open: its Hi is 0 and it holds every frame of Lo bytes or more.
type LengthBin struct {
	Lo, Hi uint64
	Frames uint64
}

// FrameLengths returns how many frames of each wire length were counted so
// far, in bins [LengthBinWidth] bytes wide, shortest first, empty bins left
// out. Frames of 65,536 bytes or more share one last open bin (Hi 0). The
// counts take fixed memory, whatever the number of frames: they are a
// histogram, not a list of lengths.
//
// Real traffic is bimodal: a peak of short frames (TCP ACKs, DNS, ARP at
// 42–100 bytes) and one of full frames near the 1,514-byte Ethernet MTU.
func (a *Analyzer) FrameLengths() []LengthBin {
	var out []LengthBin
	for i, n := range a.lengths {
		if n == 0 {
			continue
		}
		b := LengthBin{Lo: uint64(i) * LengthBinWidth, Hi: uint64(i+1) * LengthBinWidth, Frames: n}
		if i == len(a.lengths)-1 {
			b.Hi = 0
		}
		out = append(out, b)
	}
	return out
}
