package p2p

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"strings"
)

// maxSeeds bounds a seeds file, which may come from anywhere.
const maxSeeds = 1024

// ReadSeeds reads a seeds file: one IP:Port per line (IPv4). Blank lines and
// lines starting with # are skipped. Errors name the line.
func ReadSeeds(r io.Reader) ([]netip.AddrPort, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256), 4096)
	var seeds []netip.AddrPort
	seen := map[netip.AddrPort]bool{}
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ip, port, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("p2p: seeds line %d: want IP:Port, got %q", n, clip(line))
		}
		ap, err := addrPort(ip, port)
		if err != nil {
			return nil, fmt.Errorf("p2p: seeds line %d: %v", n, err)
		}
		if seen[ap] {
			continue
		}
		if len(seeds) == maxSeeds {
			return nil, fmt.Errorf("p2p: seeds line %d: more than %d seeds", n, maxSeeds)
		}
		seen[ap] = true
		seeds = append(seeds, ap)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("p2p: seeds file: %w", err)
	}
	if len(seeds) == 0 {
		return nil, fmt.Errorf("p2p: seeds file names no seeds")
	}
	return seeds, nil
}

// WriteSeeds writes seeds in the format [ReadSeeds] reads.
func WriteSeeds(w io.Writer, seeds []netip.AddrPort) error {
	for _, s := range seeds {
		if _, err := fmt.Fprintf(w, "%s\n", s); err != nil {
			return err
		}
	}
	return nil
}
