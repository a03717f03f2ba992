package amqpdemo

import (
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/netlab-go/netlab/internal/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigValidateNamesTheField(t *testing.T) {
	cases := map[string]func(*Config){
		"Config.Exchange is 256": func(c *Config) { c.Exchange = strings.Repeat("e", 256) },
		"Config.Prefetch -1":     func(c *Config) { c.Prefetch = -1 },
		"Config.Prefetch 65536":  func(c *Config) { c.Prefetch = 65536 },
		"Config.DialTimeout":     func(c *Config) { c.DialTimeout = -1 },
		"Config.ReconnectMin":    func(c *Config) { c.ReconnectMax = c.ReconnectMin / 2 },
		"Config.URL:":            func(c *Config) { c.URL = "http://example/" },
		"Config.MaxPerKey -1":    func(c *Config) { c.MaxPerKey = -1 },
	}
	for want, mutate := range cases {
		cfg := DefaultConfig()
		mutate(&cfg)
		err := cfg.Validate()
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
	}
	require.NoError(t, DefaultConfig().Validate())
}

// TestZeroConfigMeansDefault: a zero field means its default, as in
// net/http, so Config{} is valid and is DefaultConfig.
func TestZeroConfigMeansDefault(t *testing.T) {
	require.NoError(t, Config{}.Validate())
	d := DefaultConfig()
	got := Config{}.withDefaults()
	d.MaxPerKey, d.DedupWindow = 0, 0 // meaningful at zero: kept as given
	assert.Equal(t, d, got)
	assert.Equal(t, 5*time.Second, Config{ReconnectMin: 5 * time.Second}.withDefaults().ReconnectMax,
		"the default maximum is raised to a larger minimum")
}

func TestDefaultConfigTakesAMQPURL(t *testing.T) {
	t.Setenv("AMQP_URL", "amqp://u:p@broker.invalid:5673/vh")
	assert.Equal(t, "amqp://u:p@broker.invalid:5673/vh", DefaultConfig().URL)
	t.Setenv("AMQP_URL", "")
	assert.Equal(t, DefaultURL, DefaultConfig().URL)
}

// A port nobody listens on: connection refused, reported at once.
func TestUnreachableBrokerIsAClearError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	cfg := DefaultConfig()
	cfg.URL = "amqp://guest:secret@" + addr + "/"
	_, err = NewSender(context.Background(), cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot connect to broker amqp://guest:xxxxx@"+addr)
	assert.NotContains(t, err.Error(), "secret", "the password never appears in errors")
}

// A server that accepts and then says nothing: the handshake times out
// within DialTimeout instead of hanging.
func TestSilentBrokerTimesOut(t *testing.T) {
	silent := testutil.ServeConns(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	cfg := DefaultConfig()
	cfg.URL = "amqp://guest:guest@" + silent.String() + "/"
	cfg.DialTimeout = 300 * time.Millisecond
	start := time.Now()
	_, err := NewReceiver(context.Background(), cfg, nil, nil)
	require.Error(t, err)
	// The event is the timeout error; the bound only says it did not hang.
	assert.Contains(t, err.Error(), "within 300ms")
	assert.Less(t, time.Since(start), time.Minute, "the handshake did not hang")
}

func TestBadBindingKeyRejectedBeforeConnecting(t *testing.T) {
	cfg := DefaultConfig()
	cfg.URL = "amqp://guest:guest@127.0.0.1:1/" // never dialled
	_, err := NewReceiver(context.Background(), cfg, []string{strings.Repeat("x", 300)}, nil)
	require.ErrorIs(t, err, ErrInvalidRoutingKey)
}
