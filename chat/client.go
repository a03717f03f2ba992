package chat

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"
)

// EventKind classifies a line the server sent.
type EventKind int

const (
	// EventNotice is "* text": joins, leaves, welcome, shutdown.
	EventNotice EventKind = iota + 1
	// EventError is "! text": the server refused something.
	EventError
	// EventPublic is "<nick> text": a message to everyone.
	EventPublic
	// EventPrivate is "*nick* text": a message to this client only.
	EventPrivate
	// EventUsers is "* users: a b c", the answer to /who.
	EventUsers
	// EventOther is any other line, kept verbatim in Text.
	EventOther
)

var eventKindNames = [...]string{
	EventNotice: "EventNotice", EventError: "EventError", EventPublic: "EventPublic",
	EventPrivate: "EventPrivate", EventUsers: "EventUsers", EventOther: "EventOther",
}

// String returns the kind's name, such as "EventPublic" for [EventPublic].
func (k EventKind) String() string {
	if k > 0 && int(k) < len(eventKindNames) {
		return eventKindNames[k]
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one parsed server line.
type Event struct {
	Kind  EventKind
	From  string   // EventPublic, EventPrivate: the sender's nickname
	Text  string   // the message or notice
	Users []string // EventUsers
}

// ParseServerLine classifies one line from the server (without "\n").
func ParseServerLine(line string) Event {
	line = strings.TrimSuffix(line, "\r")
	switch {
	case strings.HasPrefix(line, "* users:"):
		return Event{Kind: EventUsers, Text: line[2:], Users: strings.Fields(line[len("* users:"):])}
	case strings.HasPrefix(line, "* "):
		return Event{Kind: EventNotice, Text: line[2:]}
	case strings.HasPrefix(line, "! "):
		return Event{Kind: EventError, Text: line[2:]}
	case strings.HasPrefix(line, "<"):
		if from, text, ok := strings.Cut(line[1:], "> "); ok && ValidateNick(from) == nil {
			return Event{Kind: EventPublic, From: from, Text: text}
		}
	case strings.HasPrefix(line, "*"):
		if from, text, ok := strings.Cut(line[1:], "* "); ok && ValidateNick(from) == nil {
			return Event{Kind: EventPrivate, From: from, Text: text}
		}
	}
	return Event{Kind: EventOther, Text: line}
}

// ErrNickRejected is returned by [Dial] when the server refuses the nickname.
var ErrNickRejected = errors.New("chat: nickname rejected")

// Client is a TCP chat client. Its Events channel carries what the server
// sends; reading it is the caller's job, and a client that stops reading is
// eventually disconnected by the server like any slow reader.
type Client struct {
	conn   net.Conn
	nick   string
	events chan Event
	done   chan struct{}
	gone   chan struct{} // closed when the reader goroutine has ended
	wmu    sync.Mutex
	once   sync.Once
}

// Dial connects to a chat server at addr and logs in as nick. It returns
// [ErrNickRejected] (with the server's reason) when the nickname is invalid
// or taken. ctx bounds the connection and the login.
func Dial(ctx context.Context, addr, nick string) (*Client, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("chat: dial %s: %w", addr, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	} else {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	r := bufio.NewReader(conn)
	fail := func(err error) (*Client, error) {
		stop()
		_ = conn.Close()
		return nil, err
	}
	greet, err := r.ReadString('\n')
	if err != nil {
		return fail(fmt.Errorf("chat: waiting for the greeting: %w", err))
	}
	if ev := ParseServerLine(strings.TrimSuffix(greet, "\n")); ev.Kind == EventError {
		return fail(fmt.Errorf("chat: server says: %s", ev.Text))
	}
	if _, err := fmt.Fprintf(conn, "%s\n", nick); err != nil {
		return fail(fmt.Errorf("chat: sending nickname: %w", err))
	}
	reply, err := r.ReadString('\n')
	if err != nil {
		return fail(fmt.Errorf("chat: waiting for the welcome: %w", err))
	}
	if ev := ParseServerLine(strings.TrimSuffix(reply, "\n")); ev.Kind == EventError {
		return fail(fmt.Errorf("%w: %s", ErrNickRejected, ev.Text))
	}
	if !stop() {
		return fail(ctx.Err())
	}
	_ = conn.SetDeadline(time.Time{})
	c := &Client{conn: conn, nick: nick, events: make(chan Event, 256),
		done: make(chan struct{}), gone: make(chan struct{})}
	go c.read(r)
	return c, nil
}

// Nick returns the client's nickname.
func (c *Client) Nick() string { return c.nick }

// Events delivers the server's lines in order. It is closed when the
// connection ends.
func (c *Client) Events() <-chan Event { return c.events }

func (c *Client) read(r *bufio.Reader) {
	defer close(c.gone)
	defer close(c.events)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 1<<20)
	for sc.Scan() {
		select {
		case c.events <- ParseServerLine(sc.Text()):
		case <-c.done:
			return
		}
	}
}

// Send writes one raw line (a command or text) to the server. After
// [Client.Close] it returns an error matching [ErrClosed].
func (c *Client) Send(line string) error {
	if strings.ContainsAny(line, "\r\n") {
		return errors.New("chat: a line may not contain a newline")
	}
	select {
	case <-c.done:
		return closedError("Client.Send")
	default:
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_, err := c.conn.Write([]byte(line + "\n"))
	if err != nil && errors.Is(err, net.ErrClosed) {
		return closedError("Client.Send")
	}
	return err
}

// All sends text to everyone.
func (c *Client) All(text string) error { return c.Send("/all " + text) }

// Msg sends text to nick only.
func (c *Client) Msg(nick, text string) error { return c.Send("/msg " + nick + " " + text) }

// Who asks for the user list; the answer arrives as an [EventUsers] event.
func (c *Client) Who() error { return c.Send("/who") }

// Quit leaves the chat politely; the server answers "* bye" and closes.
func (c *Client) Quit() error { return c.Send("/quit") }

// Close closes the connection and waits for the reader goroutine to end.
// It may be called any number of times; calls after the first return nil,
// and every Send after it returns an error matching [ErrClosed].
func (c *Client) Close() error {
	var err error
	c.once.Do(func() {
		close(c.done)
		err = c.conn.Close()
	})
	<-c.gone
	return err
}
