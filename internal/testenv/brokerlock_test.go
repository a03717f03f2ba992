//go:build unix

package testenv

import (
	"sync"
	"testing"
	"time"
)

// TestBrokerLockExcludes: while one test holds the broker exclusively, a
// shared lock from another test waits; it is granted once the exclusive
// holder ends. The exclusive holder's own AMQPURL calls do not wait.
func TestBrokerLockExcludes(t *testing.T) {
	t.Setenv("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
	var wg sync.WaitGroup
	defer wg.Wait()
	released := make(chan struct{})
	held := make(chan struct{})
	wg.Add(2)
	go func() {
		defer wg.Done()
		// A stand-in for another test: run the exclusive holder as a subtest
		// body on its own goroutine.
		t.Run("holder", func(t *testing.T) {
			AMQPExclusive(t)
			AMQPURL(t) // must not deadlock on itself
			close(held)
			<-released
		})
	}()
	<-held
	got := make(chan struct{})
	go func() {
		defer wg.Done()
		t.Run("other", func(t *testing.T) {
			AMQPURL(t)
			close(got)
		})
	}()
	select {
	case <-got:
		t.Fatal("a shared lock was granted while the broker was held exclusively")
	case <-time.After(200 * time.Millisecond):
	}
	close(released)
	select {
	case <-got:
	case <-time.After(10 * time.Second):
		t.Fatal("the shared lock was not granted after the exclusive holder ended")
	}
}
