package capture

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testenv"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// comparedProtocols are the rows the issue asks to match tshark on.
var comparedProtocols = []string{"eth", "vlan", "arp", "ip", "ipv6", "tcp", "udp", "icmp", "icmpv6", "dns"}

type tsharkConv struct {
	A, B       string
	BtoAFrames uint64 `json:"b_to_a_frames"`
	BtoABytes  string `json:"b_to_a_bytes"`
	AtoBFrames uint64 `json:"a_to_b_frames"`
	AtoBBytes  string `json:"a_to_b_bytes"`
	Start      string `json:"start"`    // "Relative Start", seconds
	Duration   string `json:"duration"` // seconds
}

type tsharkSample struct {
	Protocols     map[string][2]uint64    `json:"protocols"`
	Conversations map[string][]tsharkConv `json:"conversations"`
}

// knownMissing are tshark conversation rows that come from frames carried
// inside an application protocol (OpenFlow packet-in/packet-out messages)
// that this package does not dissect.
var knownMissing = map[string]bool{
	"tcpdump_of13_ericsson.pcapng eth 01:23:45:67:89:ab a0:b1:c2:d3:e4:f5": true,
	"tcpdump_of13_ericsson.pcapng ip 192.168.1.1 192.168.1.2":              true,
	"tcpdump_of13_ericsson.pcapng udp 192.168.1.1:1234 192.168.1.2:5678":   true,
}

// TestSharedSamplesMatchTshark checks the public sample captures against
// counts taken from tshark 4.0 (testdata/tshark_samples.json, made with
// tshark -n -r F -q -z io,phs and -z conv,KIND). tshark is not needed.
func TestSharedSamplesMatchTshark(t *testing.T) {
	dir := requireSharedCaptures(t)
	raw, err := os.ReadFile(filepath.Join("testdata", "tshark_samples.json"))
	require.NoError(t, err)
	var fixture struct {
		Samples map[string]tsharkSample `json:"samples"`
	}
	require.NoError(t, json.Unmarshal(raw, &fixture))
	require.NotEmpty(t, fixture.Samples)
	for name, want := range fixture.Samples {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			if _, err := os.Stat(path); err != nil {
				missingSharedCaptures(t, filepath.Join(dir, name))
			}
			a, err := New(DefaultConfig())
			require.NoError(t, err)
			require.NoError(t, a.ReadFile(context.Background(), path))
			compareWithTshark(t, name, a, want)
		})
	}
}

func compareWithTshark(t *testing.T, name string, a *Analyzer, want tsharkSample) {
	t.Helper()
	h := a.Hierarchy()
	for _, p := range comparedProtocols {
		got := h.Total(p)
		assert.Equal(t, want.Protocols[p], [2]uint64{got.Frames, got.Bytes}, "%s: %s frames and bytes", name, p)
	}
	for kindName, rows := range want.Conversations {
		kind, err := ParseConvKind(kindName)
		require.NoError(t, err)
		ours := map[string]Conversation{}
		var ourOrder, theirOrder []string
		for _, c := range a.Conversations(kind) {
			ours[c.A+" "+c.B] = c
			ourOrder = append(ourOrder, c.A+" "+c.B)
		}
		for _, w := range rows {
			if key := w.A + " " + w.B; !knownMissing[name+" "+kindName+" "+key] {
				theirOrder = append(theirOrder, key)
			}
		}
		assert.Equal(t, theirOrder, ourOrder, "%s: conv,%s rows in tshark's order", name, kindName)
		for _, w := range rows {
			key := w.A + " " + w.B
			c, ok := ours[key]
			if !ok {
				assert.True(t, knownMissing[name+" "+kindName+" "+key], "%s: conv,%s row %s missing", name, kindName, key)
				continue
			}
			delete(ours, key)
			assert.Equal(t, w.AtoBFrames, c.AtoBFrames, "%s: conv,%s %s A->B frames", name, kindName, key)
			assert.Equal(t, w.BtoAFrames, c.BtoAFrames, "%s: conv,%s %s B->A frames", name, kindName, key)
			assert.Equal(t, w.AtoBBytes, formatSize(c.AtoBBytes), "%s: conv,%s %s A->B bytes", name, kindName, key)
			assert.Equal(t, w.BtoABytes, formatSize(c.BtoABytes), "%s: conv,%s %s B->A bytes", name, kindName, key)
			assert.Equal(t, w.Start, fmt.Sprintf("%.9f", c.Start.Seconds()), "%s: conv,%s %s relative start", name, kindName, key)
			assert.Equal(t, w.Duration, fmt.Sprintf("%.4f", c.Duration().Seconds()), "%s: conv,%s %s duration", name, kindName, key)
		}
		assert.Empty(t, ours, "%s: conv,%s rows tshark does not have", name, kindName)
	}
}

var (
	phsRow  = regexp.MustCompile(`^\s*(\S+)\s+frames:(\d+) bytes:(\d+)$`)
	convRow = regexp.MustCompile(`^(\S+)\s+<-> (\S+)\s+(\d+) (\d+ \S+)\s+(\d+) (\d+ \S+)\s+(\d+) (\d+ \S+)\s+(\S+)\s+(\S+)$`)
)

// parseTshark reads tshark's io,phs and conv tables into the fixture's shape.
func parseTshark(phs string, convs map[string]string) tsharkSample {
	s := tsharkSample{Protocols: map[string][2]uint64{}, Conversations: map[string][]tsharkConv{}}
	sc := bufio.NewScanner(strings.NewReader(phs))
	for sc.Scan() {
		if m := phsRow.FindStringSubmatch(sc.Text()); m != nil {
			f, _ := strconv.ParseUint(m[2], 10, 64)
			b, _ := strconv.ParseUint(m[3], 10, 64)
			old := s.Protocols[m[1]]
			s.Protocols[m[1]] = [2]uint64{old[0] + f, old[1] + b}
		}
	}
	for kind, text := range convs {
		rows := []tsharkConv{}
		sc := bufio.NewScanner(strings.NewReader(text))
		for sc.Scan() {
			if m := convRow.FindStringSubmatch(sc.Text()); m != nil {
				ba, _ := strconv.ParseUint(m[3], 10, 64)
				ab, _ := strconv.ParseUint(m[5], 10, 64)
				rows = append(rows, tsharkConv{A: m[1], B: m[2], BtoAFrames: ba, BtoABytes: m[4], AtoBFrames: ab, AtoBBytes: m[6], Start: m[9], Duration: m[10]})
			}
		}
		s.Conversations[kind] = rows
	}
	return s
}

// TestGeneratedCaptureMatchesTshark writes a capture and runs tshark on it
// when tshark is installed; the hierarchy rows and conversation tables must
// agree, and so must the text of the conversation tables.
func TestGeneratedCaptureMatchesTshark(t *testing.T) {
	tshark := testenv.LookPath(t, "tshark", "apt-get install tshark")
	path := filepath.Join(t.TempDir(), "gen.pcap")
	f, err := os.Create(path)
	require.NoError(t, err)
	_, err = Generate(f, GenerateConfig{Hosts: 5, Frames: 600, Seed: 42, Gap: 3 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, f.Close())

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	run := func(args ...string) string {
		cmd := exec.CommandContext(ctx, tshark, append([]string{"-n", "-r", path, "-q"}, args...)...)
		var out bytes.Buffer
		cmd.Stdout = &out
		require.NoError(t, cmd.Run(), "tshark %v", args)
		return out.String()
	}
	// One run of tshark for every table: it starts slowly.
	all := run("-z", "io,phs", "-z", "conv,eth", "-z", "conv,ip", "-z", "conv,ipv6", "-z", "conv,tcp", "-z", "conv,udp")
	convText := map[string]string{}
	for _, k := range ConvKinds() {
		title := "\n" + convTitles[k] + " Conversations\n"
		i := strings.Index(all, title)
		require.GreaterOrEqual(t, i, 0, "tshark printed no %s table", title)
		start := i - len(convRule)
		end := strings.Index(all[i+len(title):], convRule)
		require.GreaterOrEqual(t, end, 0)
		convText[k.String()] = all[start : i+len(title)+end+len(convRule)+1]
	}
	want := parseTshark(all, convText)

	a, err := New(DefaultConfig())
	require.NoError(t, err)
	require.NoError(t, a.ReadFile(context.Background(), path))
	compareWithTshark(t, "generated", a, want)
	for _, k := range ConvKinds() {
		var ours bytes.Buffer
		require.NoError(t, WriteConversations(&ours, k, a.Conversations(k)))
		assert.Contains(t, convText[k.String()], ours.String(), "conv,%s in tshark's layout", k)
	}
}
