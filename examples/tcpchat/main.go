// Command tcpchat runs the multithreaded TCP chat: a server, a client, or a
// small scripted chat of both in one process.
//
//	go run ./examples/tcpchat server -addr 127.0.0.1:23433
//	go run ./examples/tcpchat client -addr 127.0.0.1:23433 -nick alice
//	go run ./examples/tcpchat local -n 3        # server and three clients, scripted
//
// In the client, type text to talk to everyone, or /msg <nick> <text>,
// /all <text>, /who, /quit. `nc 127.0.0.1 23433` and `telnet 127.0.0.1 23433`
// are clients too: their first line is the nickname, sent within
// -nick-timeout. SIGINT and SIGTERM stop the server with its summary.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/netlab-go/netlab/chat"
	"github.com/netlab-go/netlab/internal/cli"
	"github.com/netlab-go/netlab/internal/rungroup"
)

// coursePort is the course's TCP chat port; the library's default is a
// port of the kernel's choice.
const coursePort = 23433

var courseAddr = fmt.Sprintf("127.0.0.1:%d", coursePort)

func main() {
	cli.Dispatch("tcpchat", `usage: tcpchat server [-addr host:port] [flags]
       tcpchat client [-addr host:port] -nick NAME
       tcpchat local [-n N]`, os.Args[1:],
		map[string]func([]string){"server": server, "client": client, "local": local}, nil)
}

func server(args []string) {
	cmd := cli.New("tcpchat server", `usage: tcpchat server [flags]

Runs the chat server until Ctrl-C or SIGTERM, then prints a summary.`)
	cfg := chat.DefaultServerConfig()
	cfg.Addr = courseAddr
	fs := cmd.Flags
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "address to listen on (port 0: any free port)")
	fs.IntVar(&cfg.MaxClients, "max", cfg.MaxClients, "maximum number of connections")
	fs.IntVar(&cfg.MaxPerAddr, "per-addr", cfg.MaxPerAddr, "maximum number of connections from one IP address")
	fs.DurationVar(&cfg.NickTimeout, "nick-timeout", cfg.NickTimeout, "close connections that send no acceptable nickname within this")
	fs.DurationVar(&cfg.IdleTimeout, "idle", cfg.IdleTimeout, "close connections silent this long")
	fs.IntVar(&cfg.MaxAnnounce, "announce", cfg.MaxAnnounce, "announce joins and leaves while at most this many users are online")
	cmd.Parse(args)
	cmd.NoArgs()
	cmd.Check(
		cli.Addr("addr", cfg.Addr),
		cli.IntRange("max", cfg.MaxClients, 1, 100000),
		cli.IntRange("per-addr", cfg.MaxPerAddr, 1, 100000),
		cli.DurationRange("nick-timeout", cfg.NickTimeout, 100*time.Millisecond, time.Hour),
		cli.DurationRange("idle", cfg.IdleTimeout, time.Second, 24*time.Hour),
		cli.IntRange("announce", cfg.MaxAnnounce, 1, 1000000),
	)
	ctx, stop := cmd.Context()
	defer stop()
	s, err := chat.NewServer(cfg)
	cmd.Fail(err)
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
			fmt.Printf("stopped: %d connections, %d lines delivered in %d writes, %d slow clients cut off, %d closed for bad input, "+
				"%d without a nickname in time, %d refused as full, %d refused for too many from one address\n",
				st.Accepted, st.Delivered, st.Writes, st.Slow, st.BadInput, st.NoNick, st.Rejected, st.Limited)
			cmd.Fail(err)
			return
		case <-t.C:
			if st := s.Stats(); st != last {
				fmt.Printf("%d online %v, %d lines delivered\n", st.Online, s.Users(), st.Delivered)
				last = st
			}
		}
	}
}

func client(args []string) {
	cmd := cli.New("tcpchat client", `usage: tcpchat client [-addr host:port] -nick NAME

Joins a chat server; type text for everyone, /msg NICK TEXT, /who, /quit.`)
	addr := cmd.Flags.String("addr", courseAddr, "server address")
	nick := cmd.Flags.String("nick", "", "your nickname (letters, digits, _ and -; a letter first)")
	cmd.Parse(args)
	cmd.NoArgs()
	var nickErr error
	if err := chat.ValidateNick(*nick); err != nil {
		nickErr = fmt.Errorf("flag -nick: value %q: want 1 to %d letters, digits, _ or -, a letter first", *nick, chat.MaxNickLen)
	}
	cmd.Check(cli.Addr("addr", *addr), nickErr)
	ctx, stop := cmd.Context()
	defer stop()
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	c, err := chat.Dial(dctx, *addr, *nick)
	cancel()
	cmd.Fail(err)
	defer c.Close()
	fmt.Printf("connected to %s as %s; type text for everyone, /msg NICK TEXT, /who, /quit\n", *addr, *nick)
	go func() {
		for line := range cli.Lines(os.Stdin) {
			if err := c.Send(line); err != nil {
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
				return
			}
			fmt.Println(show(ev))
		case <-ctx.Done():
			_ = c.Quit()
			return
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
func local(args []string) {
	cmd := cli.New("tcpchat local", `usage: tcpchat local [-n N]

Runs a server and N scripted clients in this process and prints what the
first client sees.`)
	n := cmd.Flags.Int("n", 3, "number of clients")
	cmd.Parse(args)
	cmd.NoArgs()
	cmd.Check(cli.IntRange("n", *n, 2, 50))
	ctx, stop := cmd.Context()
	defer stop()
	err := runLocal(ctx, *n)
	if ctx.Err() != nil {
		fmt.Println("stopped by a signal")
		return
	}
	cmd.Fail(err)
}

func runLocal(ctx context.Context, n int) (err error) {
	cfg := chat.DefaultServerConfig() // any free port on 127.0.0.1
	cfg.MaxPerAddr = n + 1            // every client comes from 127.0.0.1
	s, err := chat.NewServer(cfg)
	if err != nil {
		return err
	}
	g := rungroup.New(ctx)
	g.Go(s.Run)
	defer func() { err = errors.Join(err, g.Close()) }()
	fmt.Printf("server on %v with %d clients; what user1 sees:\n", s.Addr(), n)

	clients := make([]*chat.Client, n)
	for i := range clients {
		c, err := chat.Dial(ctx, s.Addr().String(), fmt.Sprintf("user%d", i+1))
		if err != nil {
			return fmt.Errorf("client user%d: %w", i+1, err)
		}
		defer c.Close()
		clients[i] = c
	}
	script := []func() error{
		func() error { return clients[1].All("hello everyone") },
		func() error { return clients[2%n].Msg("user1", "psst, user1: lunch?") },
		func() error { return clients[0].Who() },
		func() error { return clients[n-1].Quit() },
		func() error { return clients[0].Send("/dance") },
		func() error { return clients[0].All("bye all") },
	}
	for _, step := range script {
		if err := step(); err != nil {
			return err
		}
		time.Sleep(50 * time.Millisecond) // let each line arrive before the next, for a readable transcript
	}
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, ok := <-clients[0].Events():
			if !ok {
				return fmt.Errorf("user1's connection closed before its own \"bye all\" came back")
			}
			fmt.Println("  ", show(ev))
			if ev.Kind == chat.EventPublic && ev.Text == "bye all" {
				return nil
			}
		case <-timeout:
			return fmt.Errorf("user1 did not see its own \"bye all\" within 10s")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
