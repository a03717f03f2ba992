package cli

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The validators below each return nil or an error that names the flag, the
// value and what is allowed, for [Command.Check]:
//
//	flag -port: value 70000: want a port from 1 to 65535

func bad(flag string, v any, want string) error {
	return fmt.Errorf("flag -%s: value %v: want %s", flag, v, want)
}

// Port accepts a TCP or UDP port from 1 to 65535.
func Port(flag string, v int) error {
	if v < 1 || v > 65535 {
		return bad(flag, v, "a port from 1 to 65535")
	}
	return nil
}

// PortOrZero accepts a port from 0 to 65535, where 0 lets the system choose.
func PortOrZero(flag string, v int) error {
	if v < 0 || v > 65535 {
		return bad(flag, v, "a port from 0 (any free port) to 65535")
	}
	return nil
}

// Addr accepts HOST:PORT (HOST may be empty, a name or an IP address; PORT
// from 0 to 65535).
func Addr(flag, hostport string) error {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return bad(flag, strconv.Quote(hostport), "HOST:PORT, e.g. 127.0.0.1:9000")
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return bad(flag, strconv.Quote(hostport), "a port from 0 to 65535 after the colon")
	}
	if strings.ContainsAny(host, " /") {
		return bad(flag, strconv.Quote(hostport), "a host name or IP address before the colon")
	}
	return nil
}

// Prob accepts a probability from 0 to 1 inclusive.
func Prob(flag string, v float64) error {
	if !(v >= 0 && v <= 1) { // also rejects NaN
		return bad(flag, v, "a probability from 0 to 1")
	}
	return nil
}

// IntRange accepts lo ≤ v ≤ hi.
func IntRange(flag string, v, lo, hi int) error {
	if v < lo || v > hi {
		return bad(flag, v, fmt.Sprintf("an integer from %d to %d", lo, hi))
	}
	return nil
}

// FloatRange accepts lo ≤ v ≤ hi (and rejects NaN).
func FloatRange(flag string, v, lo, hi float64) error {
	if !(v >= lo && v <= hi) {
		return bad(flag, v, fmt.Sprintf("a number from %g to %g", lo, hi))
	}
	return nil
}

// DurationRange accepts lo ≤ v ≤ hi.
func DurationRange(flag string, v, lo, hi time.Duration) error {
	if v < lo || v > hi {
		return bad(flag, v, fmt.Sprintf("a duration from %v to %v", lo, hi))
	}
	return nil
}

// OneOf accepts one of the allowed words.
func OneOf(flag, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return bad(flag, strconv.Quote(v), "one of "+strings.Join(allowed, ", "))
}

// List parses a comma-separated flag value item by item (each trimmed of
// spaces) with parse; the error names the flag, the first item parse
// refuses, and want (what a good value looks like):
//
//	flag -losses: value "2": want comma-separated probabilities in (0,1)
func List[T any](flag, list, want string, parse func(item string) (T, bool)) ([]T, error) {
	var out []T
	for _, f := range strings.Split(list, ",") {
		v, ok := parse(strings.TrimSpace(f))
		if !ok {
			return nil, bad(flag, strconv.Quote(f), want)
		}
		out = append(out, v)
	}
	return out, nil
}

// NonEmpty accepts any string but the empty one.
func NonEmpty(flag, v string) error {
	if v == "" {
		return fmt.Errorf("flag -%s: must not be empty", flag)
	}
	return nil
}

// OutFile accepts a path the program can create: its extension is one of
// exts (compared without case; no exts means any), it is not a directory,
// and its directory exists and is writable. Nothing is left behind.
func OutFile(flag, path string, exts ...string) error {
	if path == "" {
		return fmt.Errorf("flag -%s: must not be empty", flag)
	}
	if len(exts) > 0 {
		ext := strings.ToLower(filepath.Ext(path))
		ok := false
		for _, e := range exts {
			if ext == strings.ToLower(e) {
				ok = true
			}
		}
		if !ok {
			return bad(flag, strconv.Quote(path), "a file name ending in "+strings.Join(exts, " or "))
		}
	}
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return bad(flag, strconv.Quote(path), "a file, not a directory")
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return bad(flag, strconv.Quote(path), fmt.Sprintf("a file in an existing directory (%s does not exist)", dir))
	}
	if err := writable(dir); err != nil {
		return bad(flag, strconv.Quote(path), fmt.Sprintf("a file in a writable directory (%s: %v)", dir, err))
	}
	return nil
}

// OutDir accepts a directory the program can write to, creating it (and its
// parents) when it does not exist yet.
func OutDir(flag, path string) error {
	if path == "" {
		return fmt.Errorf("flag -%s: must not be empty", flag)
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return bad(flag, strconv.Quote(path), fmt.Sprintf("a directory that can be created (%v)", unwrapPath(err)))
	}
	if err := writable(path); err != nil {
		return bad(flag, strconv.Quote(path), fmt.Sprintf("a writable directory (%v)", err))
	}
	return nil
}

// InFile accepts an existing, readable regular file.
func InFile(flag, path string) error {
	if path == "" {
		return fmt.Errorf("flag -%s: must not be empty", flag)
	}
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return bad(flag, strconv.Quote(path), fmt.Sprintf("an existing file (%v)", unwrapPath(err)))
	case fi.IsDir():
		return bad(flag, strconv.Quote(path), "a file, not a directory")
	case !fi.Mode().IsRegular():
		return bad(flag, strconv.Quote(path), "a regular file")
	}
	f, err := os.Open(path)
	if err != nil {
		return bad(flag, strconv.Quote(path), fmt.Sprintf("a readable file (%v)", unwrapPath(err)))
	}
	return f.Close()
}

func writable(dir string) error {
	f, err := os.CreateTemp(dir, ".netlab-write-check-*")
	if err != nil {
		return unwrapPath(err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Memory refuses work that needs more memory than the machine has
// available, naming both sizes: what is the thing that needs it ("three
// 200000×200000 float64 matrices").
func Memory(flag string, need uint64, what string) error {
	avail, ok := availableMemory()
	if !ok || need <= avail {
		return nil
	}
	return fmt.Errorf("flag -%s: %s need %s of memory; this machine has %s available", flag, what, Bytes(need), Bytes(avail))
}

// availableMemory reads MemAvailable from /proc/meminfo (Linux); elsewhere
// it reports that it does not know.
func availableMemory() (uint64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kb, err := strconv.ParseUint(fields[1], 10, 64)
			if err != nil {
				return 0, false
			}
			return kb * 1024, true
		}
	}
	return 0, false
}

// Bytes formats n in binary units: "512 B", "1.5 GiB".
func Bytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit && exp < 5; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
