package chat

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxNickLen is the longest TCP chat nickname.
const MaxNickLen = 16

// CommandKind is what a client's line asks the TCP chat server to do.
type CommandKind int

const (
	// CmdEmpty is a blank line; the server ignores it.
	CmdEmpty CommandKind = iota
	// CmdAll sends Text to everyone: "/all <text>" or a line without "/".
	CmdAll
	// CmdMsg sends Text to Nick only: "/msg <nick> <text>".
	CmdMsg
	// CmdWho asks for the list of users: "/who".
	CmdWho
	// CmdQuit leaves the chat: "/quit".
	CmdQuit
	// CmdHelp asks for the list of commands: "/help".
	CmdHelp
)

// Command is one parsed client line.
type Command struct {
	Kind CommandKind
	Nick string // CmdMsg: the addressee
	Text string // CmdAll, CmdMsg: the message
}

// Errors returned by [ParseLine]. [ErrBinary] and [ErrLineTooLong] make the server
// close the connection; [ErrUnknownCommand] and [ErrUsage] only earn a reply.
var (
	ErrBinary         = errors.New("chat: line is not text")
	ErrLineTooLong    = errors.New("chat: line too long")
	ErrUnknownCommand = errors.New("chat: unknown command")
	ErrUsage          = errors.New("chat: wrong use of command")
)

// HelpText is the server's answer to /help and to unknown commands.
const HelpText = "commands: /msg <nick> <text> | /all <text> (or plain text) | /who | /quit | /help"

// CheckText reports [ErrBinary] for bytes that are not printable UTF-8 text:
// invalid UTF-8, or a control character other than tab.
func CheckText(b []byte) error {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return fmt.Errorf("%w: invalid UTF-8 at byte %d", ErrBinary, i)
		}
		if (r < 0x20 && r != '\t') || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return fmt.Errorf("%w: control character %U at byte %d", ErrBinary, r, i)
		}
		i += size
	}
	return nil
}

// ParseLine parses one line from a chat client, without its "\n" (a trailing
// "\r" from telnet is dropped). Lines longer than max bytes return
// [ErrLineTooLong]; non-text returns [ErrBinary].
func ParseLine(line []byte, max int) (Command, error) {
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if len(line) > max {
		return Command{}, fmt.Errorf("%w: %d bytes, limit %d", ErrLineTooLong, len(line), max)
	}
	if err := CheckText(line); err != nil {
		return Command{}, err
	}
	s := strings.TrimSpace(string(line))
	if s == "" {
		return Command{Kind: CmdEmpty}, nil
	}
	if s[0] != '/' {
		return Command{Kind: CmdAll, Text: s}, nil
	}
	word, rest, _ := strings.Cut(s, " ")
	rest = strings.TrimSpace(rest)
	switch strings.ToLower(word) {
	case "/all":
		if rest == "" {
			return Command{}, fmt.Errorf("%w: /all <text>", ErrUsage)
		}
		return Command{Kind: CmdAll, Text: rest}, nil
	case "/msg":
		nick, text, _ := strings.Cut(rest, " ")
		text = strings.TrimSpace(text)
		if nick == "" || text == "" {
			return Command{}, fmt.Errorf("%w: /msg <nick> <text>", ErrUsage)
		}
		if err := ValidateNick(nick); err != nil {
			return Command{}, fmt.Errorf("%w: /msg: %v", ErrUsage, err)
		}
		return Command{Kind: CmdMsg, Nick: nick, Text: text}, nil
	case "/who":
		return Command{Kind: CmdWho}, nil
	case "/quit":
		return Command{Kind: CmdQuit}, nil
	case "/help":
		return Command{Kind: CmdHelp}, nil
	}
	return Command{}, fmt.Errorf("%w %q", ErrUnknownCommand, word)
}

// ValidateNick checks a TCP chat nickname: 1 to [MaxNickLen] characters, a
// letter first, then letters, digits, '_' or '-'. Nicknames are unique
// without regard to case.
func ValidateNick(nick string) error {
	if nick == "" {
		return errors.New("nickname is empty")
	}
	if len(nick) > MaxNickLen {
		return fmt.Errorf("nickname longer than %d characters", MaxNickLen)
	}
	for i := 0; i < len(nick); i++ {
		c := nick[i]
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if i == 0 && !letter {
			return fmt.Errorf("nickname %q must start with a letter", nick)
		}
		if !letter && !(c >= '0' && c <= '9') && c != '_' && c != '-' {
			return fmt.Errorf("nickname %q: only letters, digits, '_' and '-' are allowed", nick)
		}
	}
	return nil
}
