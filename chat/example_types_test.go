package chat_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/netlab-go/netlab/chat"
)

// ExampleClient logs in to a chat [chat.Server] on loopback with
// [chat.Dial], asks who is online, and leaves with Quit. A nickname that is
// taken is refused with [chat.ErrNickRejected]. The client's Events channel
// carries every line the server sends, parsed into a [chat.Event], and is
// closed when the connection ends; reading it is the caller's job.
func ExampleClient() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cfg := chat.DefaultServerConfig()
	cfg.Addr = "127.0.0.1:0"
	srv, err := chat.NewServer(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() { cancel(); <-done }()

	alice, err := chat.Dial(ctx, srv.Addr().String(), "alice")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer alice.Close()
	fmt.Println("logged in as", alice.Nick())

	_, err = chat.Dial(ctx, srv.Addr().String(), "alice")
	fmt.Println("the same nickname again:", errors.Is(err, chat.ErrNickRejected))

	if err := alice.Who(); err != nil {
		fmt.Println(err)
		return
	}
	for ev := range alice.Events() {
		if ev.Kind == chat.EventUsers {
			fmt.Println("online:", ev.Users)
			break
		}
	}
	if err := alice.Quit(); err != nil {
		fmt.Println(err)
		return
	}
	for ev := range alice.Events() { // until the server closes the connection
		fmt.Printf("%s: %s\n", ev.Kind, ev.Text)
	}
	// Output:
	// logged in as alice
	// the same nickname again: true
	// online: [alice]
	// EventNotice: bye alice
}
