package index

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"flag"
	"os"
	"testing"

	"github.com/netlab-go/netlab/pdu"
)

// ceilingSize is the file BenchmarkDownloadCeiling moves. The default, 64
// MiB, keeps a run short on a shared machine; -netlab.ceiling=1073741824
// measures 1 GiB (the file is made in a temporary folder, twice its size
// of disk is needed while the benchmark runs).
var ceilingSize = flag.Int64("netlab.ceiling", 64<<20, "bytes BenchmarkDownloadCeiling and BenchmarkSwarmDownload move")

// BenchmarkDownloadCeiling measures in one run what bounds a verified
// download and how close the codecs come to it:
//
//   - raw: the file over loopback TCP with io.Copy (sendfile on one side,
//     splice on the other: no copy through user space, no protocol);
//   - sha256: SHA-256 alone over the same number of bytes, in memory;
//   - framed: a Peer's Framed download (64 KiB frames, SHA-256 verified);
//   - classic: a Peer's Classic download (101-byte frames, unverified).
//
// A verified download must move and hash every byte. When the two overlap
// on two cores, the slower of them is the ceiling: min(raw, sha256).
// framed reports framed/ceiling (goal 0.9) and classic reports
// classic/raw (goal 0.5); each reports the cores it got, MB per
// CPU-second and allocs/MiB, and the ratios are also given in CPU terms
// (see reportVsCeiling), which stay meaningful on a loaded machine.
//
// Run: go test -run '^$' -bench DownloadCeiling -benchtime 3x ./p2p/index
// (for 1 GiB: go test ./p2p/index -run "^$" -bench DownloadCeiling
// -benchtime 1x -args -netlab.ceiling=1073741824).
func BenchmarkDownloadCeiling(b *testing.B) {
	src, size, raw, sha := ceilings(b)
	b.Run("framed", func(b *testing.B) {
		reportVsCeiling(b, benchPeers(b, pdu.Framed{}, src, size), raw, sha)
	})
	b.Run("classic", func(b *testing.B) {
		r := benchPeers(b, pdu.Classic{}, src, size)
		if raw.wall > 0 {
			b.ReportMetric(r.wall/raw.wall, "ratio-vs-raw")
		}
		if raw.cpu > 0 && r.cpu > 0 {
			b.ReportMetric(r.cpu/raw.cpu, "cpu-ratio-vs-raw")
		}
	})
}

// ceilings makes the benchmark file and measures, as the sub-benchmarks
// raw and sha256 of the same run, the two ceilings a download is held to.
func ceilings(b *testing.B) (src string, size int64, raw, sha rate) {
	size = *ceilingSize
	src = makeBenchFile(b, size)
	b.Run("raw", func(b *testing.B) { raw = benchRaw(b, src, size) })
	b.Run("sha256", func(b *testing.B) { sha = benchSHA(b, size) })
	return src, size, raw, sha
}

// reportVsCeiling reports a verified download's r against the ceiling of
// the same run: ratio-vs-ceiling = r / min(raw, sha256) in wall-clock
// MB/s (the measure, meaningful when the run got its 2 cores), and
// cpu-ratio-vs-ceiling = r's MB per CPU-second over that of copying and
// hashing done once each, 1 / (1/raw + 1/sha256) (steady under load: the
// least CPU a verified transfer can cost).
func reportVsCeiling(b *testing.B, r, raw, sha rate) {
	if c := min(raw.wall, sha.wall); c > 0 {
		b.ReportMetric(r.wall/c, "ratio-vs-ceiling")
	}
	if raw.cpu > 0 && sha.cpu > 0 && r.cpu > 0 {
		b.ReportMetric(r.cpu*(1/raw.cpu+1/sha.cpu), "cpu-ratio-vs-ceiling")
	}
}

// benchSHA hashes size bytes held in memory, a 4 MiB buffer over and over.
func benchSHA(b *testing.B, size int64) rate {
	buf := make([]byte, 4<<20)
	_, _ = rand.Read(buf)
	h := sha256.New()
	return timed(b, size, func() {
		h.Reset()
		for left := size; left > 0; left -= int64(len(buf)) {
			h.Write(buf[:min(left, int64(len(buf)))])
		}
		var sum [32]byte
		h.Sum(sum[:0])
	})
}

// BenchmarkSwarmDownload measures a multi-source download (DownloadSwarm)
// from 3 holders on loopback, in 1 MiB chunks, against the raw loopback
// copy and SHA-256 of the same run: it reports MB/s, ratio-vs-raw and
// ratio-vs-ceiling (ceiling = min(raw, sha256), as in
// BenchmarkDownloadCeiling), the cores it got and allocs/MiB.
//
// Run: go test -run '^$' -bench SwarmDownload -benchtime 3x ./p2p/index
func BenchmarkSwarmDownload(b *testing.B) {
	src, size, raw, sha := ceilings(b)
	b.Run("3holders", func(b *testing.B) {
		idx := startIndex(b, pdu.Framed{})
		for _, name := range []string{"h1", "h2", "h3"} {
			h, stop := startPeer(b, name, idx, pdu.Framed{}, nil)
			defer stop()
			if _, err := h.Register("big", src); err != nil {
				b.Fatal(err)
			}
		}
		leech, stop := startPeer(b, "leech", idx, pdu.Framed{}, nil)
		defer stop()
		r := timed(b, size, func() {
			dir := b.TempDir()
			rep, err := leech.DownloadSwarm(context.Background(), "big", dir)
			if err != nil {
				b.Fatal(err)
			}
			if len(rep.Dropped()) > 0 {
				b.Fatalf("holders dropped: %+v", rep.Dropped())
			}
			b.StopTimer()
			if _, err := leech.Deregister("big"); err != nil {
				b.Fatal(err)
			}
			_ = os.RemoveAll(dir)
			b.StartTimer()
		})
		if raw.wall > 0 {
			b.ReportMetric(r.wall/raw.wall, "ratio-vs-raw")
		}
		reportVsCeiling(b, r, raw, sha)
	})
}
