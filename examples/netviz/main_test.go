package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func opts(out string) options {
	return options{demo: true, out: out, top: 10, convs: "ip,udp", format: "text", interval: time.Second, maxStreams: 1000}
}

// TestDemoWritesEveryPicture runs the -demo mode end to end.
func TestDemoWritesEveryPicture(t *testing.T) {
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, run(ctx, opts(out)))
	for _, name := range []string{"protocols.png", "lengths.png", "graph.png", "graph.svg", "graph.dot"} {
		st, err := os.Stat(filepath.Join(out, name))
		require.NoError(t, err, name)
		assert.Positive(t, st.Size(), name)
	}
	dot, err := os.ReadFile(filepath.Join(out, "graph.dot"))
	require.NoError(t, err)
	assert.Contains(t, string(dot), "graph capture {")
	// The demo has 12 hosts and -top 10: the rest are folded.
	assert.Contains(t, string(dot), `more devices folded into "other"`)
}

// TestStatsOnly prints the tables of a loopback capture as JSON and draws
// nothing.
func TestStatsOnly(t *testing.T) {
	dir := t.TempDir()
	o := opts(filepath.Join(dir, "pics"))
	o.demo, o.read, o.stats, o.format, o.output = false, filepath.Join("..", "..", "capture", "testdata", "loop_http_dns.pcapng"), true, "json", filepath.Join(dir, "t.json")
	require.Empty(t, nonNil(o.validate()))
	require.NoError(t, run(context.Background(), o))
	raw, err := os.ReadFile(o.output)
	require.NoError(t, err)
	var rep struct {
		Summary struct{ Frames uint64 }
		Trees   []struct{ Title string }
	}
	require.NoError(t, json.Unmarshal(raw, &rep))
	assert.Equal(t, uint64(90), rep.Summary.Frames)
	assert.NotEmpty(t, rep.Trees)
	_, err = os.Stat(o.out)
	assert.True(t, os.IsNotExist(err), "-stats draws nothing")

	o.format, o.output = "csv", filepath.Join(dir, "t.csv")
	require.NoError(t, run(context.Background(), o))
	csv, err := os.ReadFile(o.output)
	require.NoError(t, err)
	assert.True(t, bytes.Contains(csv, []byte("phs,eth:ip:tcp:http,3,http,10,34180")), "%s", csv[:200])
}

func nonNil(errs []error) []error {
	var out []error
	for _, e := range errs {
		if e != nil {
			out = append(out, e)
		}
	}
	return out
}

func TestValidate(t *testing.T) {
	o := opts(t.TempDir())
	o.demo, o.read = true, "x.pcap"
	assert.NotEmpty(t, nonNil(o.validate()), "two sources")
	o = opts(t.TempDir())
	o.format = "xml"
	assert.NotEmpty(t, nonNil(o.validate()))
	o = opts(t.TempDir())
	o.interval = 0
	assert.NotEmpty(t, nonNil(o.validate()))
	assert.Empty(t, nonNil(opts(t.TempDir()).validate()))
}
