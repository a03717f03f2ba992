package p2p

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/internal/lifecycletest"
)

// TestLifecycle walks the seed, the peer and a whole overlay through
// construct, run, use, stop and use after close (see
// internal/lifecycletest), from zero configs plus what is required.
func TestLifecycle(t *testing.T) {
	seed := func(t *testing.T) lifecycletest.Component {
		s, err := NewSeed(SeedConfig{})
		require.NoError(t, err)
		return lifecycletest.Served(s, s.Addr().String, ErrClosed)
	}
	peer := func(t *testing.T) lifecycletest.Component {
		s, _ := startSeed(t, SeedConfig{})
		p, err := NewPeer(Config{Seeds: seedAddrs(s)})
		require.NoError(t, err)
		c := lifecycletest.Served(p, p.Addr().String, ErrClosed)
		c.Ready = closed(p.Joined())
		return c
	}
	lifecycletest.Check(t, []lifecycletest.Case{
		{Name: "Seed", New: seed},
		{Name: "Peer", New: peer},
		{Name: "Overlay", Stop: lifecycletest.Cancel, New: overlay},
	})
}

// overlay is a seed and four peers sharing one context: the whole system
// stops at once, and none may wait out a timeout saying goodbye.
func overlay(t *testing.T) lifecycletest.Component {
	s, err := NewSeed(SeedConfig{})
	require.NoError(t, err)
	var peers []*Peer
	for i := range 4 {
		p, err := NewPeer(Config{Seeds: seedAddrs(s), ID: i, GossipCount: 0})
		require.NoError(t, err)
		peers = append(peers, p)
	}
	run := func(ctx context.Context) error {
		var wg sync.WaitGroup
		errs := make([]error, len(peers)+1)
		wg.Go(func() { errs[0] = s.Run(ctx) })
		// One at a time, so that each finds the ones before it at the seed
		// and the overlay is connected.
		for i, p := range peers {
			wg.Go(func() { errs[i+1] = p.Run(ctx) })
			select {
			case <-p.Joined():
			case <-ctx.Done():
			}
		}
		wg.Wait()
		return errors.Join(errs...)
	}
	ready := func() bool {
		for _, p := range peers {
			if !closed(p.Joined())() || len(p.Neighbours()) == 0 {
				return false
			}
		}
		return true
	}
	use := func(ctx context.Context) error {
		if err := lifecycletest.Dial(s.Addr().String)(ctx); err != nil {
			return err
		}
		peers[0].Publish()
		for {
			n := 0
			for _, p := range peers[1:] {
				n += p.Stats().GossipReceived
			}
			if n == len(peers)-1 {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("gossip reached %d of %d peers: %w", n, len(peers)-1, ctx.Err())
			case <-time.After(5 * time.Millisecond):
			}
		}
	}
	return lifecycletest.Component{
		Run: run, Ready: ready, ErrClosed: ErrClosed, Use: use, UseErr: syscall.ECONNREFUSED,
	}
}

// closed reports whether ch is closed, as a Ready function.
func closed(ch <-chan struct{}) func() bool {
	return func() bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
}
