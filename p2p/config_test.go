package p2p

import (
	"bytes"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestConfigErrorsNameTheField(t *testing.T) {
	seed := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:7000")}
	for field, mutate := range map[string]func(*Config){
		"Config.Seeds":            func(c *Config) { c.Seeds = nil },
		"Config.Seeds[0]":         func(c *Config) { c.Seeds = []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:0")} },
		"Config.Neighbours":       func(c *Config) { c.Neighbours = -1 },
		"Config.Capacity":         func(c *Config) { c.Capacity = -1 },
		"Config.GossipCount":      func(c *Config) { c.GossipCount = -1 },
		"Config.Sample":           func(c *Config) { c.Sample = -1 },
		"Config.LivenessFailures": func(c *Config) { c.LivenessFailures = -1 },
		"Config.LivenessInterval": func(c *Config) { c.LivenessInterval = -1 },
		"Config.MessageTTL":       func(c *Config) { c.MessageTTL = -time.Second },
		"Config.ReconnectTimeout": func(c *Config) { c.ReconnectTimeout = -1 },
		"Config.MessageListMax":   func(c *Config) { c.MessageListMax = -1 },
		"Config.MaxConns":         func(c *Config) { c.MaxConns = -1 },
		"Config.Addr":             func(c *Config) { c.Addr = "0.0.0.0:0" },
	} {
		cfg := DefaultConfig()
		cfg.Seeds = seed
		mutate(&cfg)
		_, err := NewPeer(cfg)
		require.Error(t, err, field)
		assert.Contains(t, err.Error(), field)
	}
	for field, mutate := range map[string]func(*SeedConfig){
		"SeedConfig.MaxConns":      func(c *SeedConfig) { c.MaxConns = -1 },
		"SeedConfig.ReadTimeout":   func(c *SeedConfig) { c.ReadTimeout = -1 },
		"SeedConfig.MaxLineLength": func(c *SeedConfig) { c.MaxLineLength = 10 },
		"SeedConfig.MaxErrors":     func(c *SeedConfig) { c.MaxErrors = -1 },
		"SeedConfig.Addr":          func(c *SeedConfig) { c.Addr = "[::1]:0" },
	} {
		cfg := DefaultSeedConfig()
		mutate(&cfg)
		_, err := NewSeed(cfg)
		require.Error(t, err, field)
		assert.Contains(t, err.Error(), field)
	}
}

// TestZeroConfigMeansDefault: a zero field means its default, as in
// net/http, except the counts where zero is meaningful (GossipCount 0
// generates none, Capacity 0 is no limit).
func TestZeroConfigMeansDefault(t *testing.T) {
	seeds := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:7000")}
	want := DefaultConfig()
	want.Seeds, want.GossipCount = seeds, 0
	assert.Equal(t, want, Config{Seeds: seeds}.withDefaults())
	wantSeed := DefaultSeedConfig()
	wantSeed.CheckSource = false
	assert.Equal(t, wantSeed, SeedConfig{}.withDefaults())
	wantSeed.MaxConns, wantSeed.CheckSource = 7, true
	assert.Equal(t, wantSeed, SeedConfig{MaxConns: 7, CheckSource: true}.withDefaults(), "a set field is kept")
	p, err := NewPeer(Config{Seeds: seeds})
	require.NoError(t, err)
	require.NoError(t, p.Close())
}

func TestFastScalesIntervals(t *testing.T) {
	c := DefaultConfig().Fast(0.01)
	assert.Equal(t, 50*time.Millisecond, c.GossipInterval)
	assert.Equal(t, 130*time.Millisecond, c.LivenessInterval)
	assert.Equal(t, 300*time.Millisecond, c.RefreshInterval)
	assert.Equal(t, 3, c.LivenessFailures, "counts are not scaled")
}

func TestNewLoggerWritesBoth(t *testing.T) {
	var console, file bytes.Buffer
	log := NewLogger(&console, &file, slog.LevelInfo)
	log.Info("gossip received", "from", "127.0.0.1")
	log.Debug("not shown")
	assert.Contains(t, console.String(), "msg=\"gossip received\" from=127.0.0.1")
	assert.Contains(t, file.String(), `"msg":"gossip received","from":"127.0.0.1"`)
	assert.NotContains(t, console.String()+file.String(), "not shown")
}

func TestRunTwiceIsAnError(t *testing.T) {
	s, _ := startSeed(t, DefaultSeedConfig())
	p, err := NewPeer(testPeerConfig(seedAddrs(s), 0))
	require.NoError(t, err)
	require.NoError(t, p.Close())
	require.Error(t, p.Run(t.Context()), "a closed peer cannot run")
}
