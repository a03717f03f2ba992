package kvstore_test

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/netlab-go/netlab/kvstore"
)

// ExampleMemStore shows what a [kvstore.Store] keeps: whole entries,
// tombstones included, replaced by key. The merge (which version wins) is
// the node's job ([kvstore.Merge]); the store only keeps what it is given.
// [kvstore.MemStore] forgets everything on Close.
func ExampleMemStore() {
	s := kvstore.NewMemStore()
	defer s.Close()

	_ = s.Put(kvstore.Entry{Key: "user/ada", Value: []byte("Lovelace"), Version: kvstore.Version{Wall: 1, Node: "n1"}})
	_ = s.Put(kvstore.Entry{Key: "user/alan", Value: []byte("Turing"), Version: kvstore.Version{Wall: 2, Node: "n1"}})
	_ = s.Put(kvstore.Entry{Key: "user/alan", Tombstone: true, Version: kvstore.Version{Wall: 3, Node: "n2"}})
	_ = s.Put(kvstore.Entry{Key: "other", Value: []byte("x"), Version: kvstore.Version{Wall: 4, Node: "n2"}})

	_ = s.Range("user/", func(e kvstore.Entry) bool {
		fmt.Printf("%s %q tombstone=%v written by %s\n", e.Key, e.Value, e.Tombstone, e.Origin())
		return true
	})
	_ = s.Remove("user/alan") // tombstone collection
	_, ok, _ := s.Get("user/alan")
	fmt.Println("user/alan kept:", ok)
	// Output:
	// user/ada "Lovelace" tombstone=false written by n1
	// user/alan "" tombstone=true written by n2
	// user/alan kept: false
}

// ExampleBoltStore opens a durable [kvstore.BoltStore]: each Put is
// committed and fsynced before it returns, so an entry survives closing
// and reopening the file (or a crash).
func ExampleBoltStore() {
	dir, err := os.MkdirTemp("", "kvstore-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "node.db")

	s, err := kvstore.OpenBoltStore(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := s.Put(kvstore.Entry{Key: "greeting", Value: []byte("hello"), Version: kvstore.Version{Wall: 1, Node: "n1"}}); err != nil {
		fmt.Println(err)
	}
	s.Close()

	s, err = kvstore.OpenBoltStore(path) // as after a restart
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	e, ok, err := s.Get("greeting")
	fmt.Printf("found=%v value=%q written by %s err=%v\n", ok, e.Value, e.Origin(), err)
	// Output:
	// found=true value="hello" written by n1 err=<nil>
}

// ExampleHLC shows the hybrid logical clock behind every
// [kvstore.Version]. With a stopped physical clock the logical counter
// orders events; observing a timestamp from a node whose clock is ahead
// moves this clock past it (causality), and one too far ahead (beyond
// maxOffset) is refused.
func ExampleHLC() {
	t0 := time.Unix(1_700_000_000, 0)
	clock := kvstore.NewHLC(func() time.Time { return t0 }, time.Second)

	w1, l1 := clock.Now()
	w2, l2 := clock.Now()
	fmt.Println("same wall:", w1 == w2, "logical:", l1, l2)

	// A message from a node 100 ms ahead.
	ahead := t0.Add(100 * time.Millisecond).UnixNano()
	if err := clock.Observe(ahead, 5); err != nil {
		fmt.Println(err)
	}
	w3, l3 := clock.Now()
	fmt.Println("after observing:", w3 == ahead, "logical:", l3)

	// A message from a node a minute ahead: beyond maxOffset.
	err := clock.Observe(t0.Add(time.Minute).UnixNano(), 0)
	fmt.Println("refused:", err != nil)
	// Output:
	// same wall: true logical: 0 1
	// after observing: true logical: 7
	// refused: true
}
