// Command tcpchat runs the multithreaded TCP chat: a server, a client, or a
// small scripted chat of both in one process.
//
//	go run ./examples/tcpchat server -addr 127.0.0.1:23433
//	go run ./examples/tcpchat client -addr 127.0.0.1:23433 -nick alice
//	go run ./examples/tcpchat local -n 3        # server and three clients, scripted
//
// In the client, type text to talk to everyone, or /msg <nick> <text>,
// /all <text>, /who, /quit. `nc 127.0.0.1 23433` and `telnet 127.0.0.1 23433`
// are clients too: their first line is the nickname.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"time"

	"github.com/netlab-go/netlab/chat"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch os.Args[1] {
	case "server":
		err = server(ctx, os.Args[2:])
	case "client":
		err = client(ctx, os.Args[2:])
	case "local":
		err = local(ctx, os.Args[2:])
	default:
		usage()
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "tcpchat:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: tcpchat server [-addr host:port] | client [-addr host:port] -nick NAME | local [-n N]")
	os.Exit(2)
}

func server(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("server", flag.ExitOnError)
	cfg := chat.DefaultServerConfig()
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "address to listen on")
	fs.IntVar(&cfg.MaxClients, "max", cfg.MaxClients, "maximum number of connections")
	fs.DurationVar(&cfg.IdleTimeout, "idle", cfg.IdleTimeout, "close connections silent this long")
	_ = fs.Parse(args)
	s, err := chat.NewServer(cfg)
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(s.Addr().String())
	fmt.Printf("chat server on %v; `go run ./examples/tcpchat client -addr %v -nick NAME` or `nc %s %s` to join; Ctrl-C stops\n",
		s.Addr(), s.Addr(), host, port)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	last := chat.ServerStats{}
	for {
		select {
		case err := <-done:
			st := s.Stats()
			fmt.Printf("stopped: %d connections, %d lines delivered, %d slow clients cut off, %d closed for bad input\n",
				st.Accepted, st.Delivered, st.Slow, st.BadInput)
			return err
		case <-t.C:
			if st := s.Stats(); st != last {
				fmt.Printf("%d online %v, %d lines delivered\n", st.Online, s.Users(), st.Delivered)
				last = st
			}
		}
	}
}

func client(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("client", flag.ExitOnError)
	addr := fs.String("addr", chat.DefaultServerConfig().Addr, "server address")
	nick := fs.String("nick", "", "your nickname (letters, digits, _ and -; a letter first)")
	_ = fs.Parse(args)
	if *nick == "" {
		return errors.New("client: -nick is required")
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := chat.Dial(dctx, *addr, *nick)
	cancel()
	if err != nil {
		return err
	}
	defer c.Close()
	fmt.Printf("connected to %s as %s; type text for everyone, /msg NICK TEXT, /who, /quit\n", *addr, *nick)
	go func() {
		sc := bufio.NewScanner(os.Stdin)
		for sc.Scan() {
			if err := c.Send(sc.Text()); err != nil {
				return
			}
		}
		_ = c.Quit()
	}()
	for {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				fmt.Println("(connection closed)")
				return nil
			}
			fmt.Println(show(ev))
		case <-ctx.Done():
			_ = c.Quit()
			return nil
		}
	}
}

func show(ev chat.Event) string {
	switch ev.Kind {
	case chat.EventPublic:
		return fmt.Sprintf("<%s> %s", ev.From, ev.Text)
	case chat.EventPrivate:
		return fmt.Sprintf("(private) %s: %s", ev.From, ev.Text)
	case chat.EventUsers:
		return fmt.Sprintf("* %d users: %v", len(ev.Users), ev.Users)
	case chat.EventError:
		return "! " + ev.Text
	}
	return "* " + ev.Text
}

// local runs a server and n scripted clients in this process and prints
// what the first client sees.
func local(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("local", flag.ExitOnError)
	n := fs.Int("n", 3, "number of clients")
	_ = fs.Parse(args)
	if *n < 2 || *n > 50 {
		return errors.New("local: -n must be 2..50")
	}
	cfg := chat.DefaultServerConfig()
	cfg.Addr = "127.0.0.1:0"
	s, err := chat.NewServer(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	fmt.Printf("server on %v with %d clients; what user1 sees:\n", s.Addr(), *n)

	clients := make([]*chat.Client, *n)
	for i := range clients {
		c, err := chat.Dial(ctx, s.Addr().String(), fmt.Sprintf("user%d", i+1))
		if err != nil {
			return err
		}
		defer c.Close()
		clients[i] = c
	}
	script := []func() error{
		func() error { return clients[1].All("hello everyone") },
		func() error { return clients[2%*n].Msg("user1", "psst, user1: lunch?") },
		func() error { return clients[0].Who() },
		func() error { return clients[*n-1].Quit() },
		func() error { return clients[0].Send("/dance") },
		func() error { return clients[0].All("bye all") },
	}
	for _, step := range script {
		if err := step(); err != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond) // let each line arrive before the next, for a readable transcript
	}
	timeout := time.After(2 * time.Second)
	for {
		select {
		case ev := <-clients[0].Events():
			fmt.Println("  ", show(ev))
			if ev.Kind == chat.EventPublic && ev.Text == "bye all" {
				return nil
			}
		case <-timeout:
			return nil
		}
	}
}
