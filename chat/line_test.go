package chat

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseLine(t *testing.T) {
	ok := map[string]Command{
		"":                   {Kind: CmdEmpty},
		"   \t":              {Kind: CmdEmpty},
		"hello all":          {Kind: CmdAll, Text: "hello all"},
		"hello\r":            {Kind: CmdAll, Text: "hello"},
		"/all  hi there ":    {Kind: CmdAll, Text: "hi there"},
		"/ALL hi":            {Kind: CmdAll, Text: "hi"},
		"/msg bob psst, bob": {Kind: CmdMsg, Nick: "bob", Text: "psst, bob"},
		"/who":               {Kind: CmdWho},
		"/quit":              {Kind: CmdQuit},
		"/help":              {Kind: CmdHelp},
		"héllo wörld ✓":      {Kind: CmdAll, Text: "héllo wörld ✓"},
		"tab\tseparated":     {Kind: CmdAll, Text: "tab\tseparated"},
	}
	for in, want := range ok {
		got, err := ParseLine([]byte(in), 64)
		require.NoError(t, err, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
	bad := map[string]error{
		"/dance":                ErrUnknownCommand,
		"/all":                  ErrUsage,
		"/msg":                  ErrUsage,
		"/msg bob":              ErrUsage,
		"/msg 9lives hi":        ErrUsage,
		"\x00\x01\x02":          ErrBinary,
		"ok\xff\xfe":            ErrBinary,
		"bell\a":                ErrBinary,
		"esc\x1b[2J":            ErrBinary,
		strings.Repeat("x", 65): ErrLineTooLong,
	}
	for in, want := range bad {
		_, err := ParseLine([]byte(in), 64)
		assert.ErrorIs(t, err, want, "%q", in)
	}
}

func TestValidateNick(t *testing.T) {
	for _, n := range []string{"a", "alice", "Bob_2", "x-y", strings.Repeat("n", MaxNickLen)} {
		assert.NoError(t, ValidateNick(n), n)
	}
	for _, n := range []string{"", "2pac", "_x", "has space", "dot.ted", "ünï", strings.Repeat("n", MaxNickLen+1), "/quit"} {
		assert.Error(t, ValidateNick(n), n)
	}
}

func TestParseServerLine(t *testing.T) {
	cases := map[string]Event{
		"* alice joined":      {Kind: EventNotice, Text: "alice joined"},
		"! no such user: zed": {Kind: EventError, Text: "no such user: zed"},
		"<alice> hi all":      {Kind: EventPublic, From: "alice", Text: "hi all"},
		"*bob* psst":          {Kind: EventPrivate, From: "bob", Text: "psst"},
		"* users: alice bob":  {Kind: EventUsers, Text: "users: alice bob", Users: []string{"alice", "bob"}},
		"<not a nick> x":      {Kind: EventOther, Text: "<not a nick> x"},
		"plain":               {Kind: EventOther, Text: "plain"},
	}
	for in, want := range cases {
		assert.Equal(t, want, ParseServerLine(in), in)
	}
}

func FuzzParseLine(f *testing.F) {
	for _, s := range []string{"hello", "/msg bob hi", "/all x", "/who", "/quit", "/help", "/nope", "\x00\xff", "/msg", "é\r", "/msg a\tb"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cmd, err := ParseLine(b, 128)
		if err != nil {
			return
		}
		if len(b) > 129 {
			t.Fatalf("accepted a %d-byte line", len(b))
		}
		if !utf8.ValidString(cmd.Text) || CheckText([]byte(cmd.Text)) != nil {
			t.Fatalf("text %q is not clean", cmd.Text)
		}
		switch cmd.Kind {
		case CmdMsg:
			if ValidateNick(cmd.Nick) != nil || cmd.Text == "" {
				t.Fatalf("bad /msg accepted: %+v", cmd)
			}
		case CmdAll:
			if cmd.Text == "" || strings.TrimSpace(cmd.Text) != cmd.Text {
				t.Fatalf("bad /all accepted: %+v", cmd)
			}
		case CmdEmpty, CmdWho, CmdQuit, CmdHelp:
			if cmd.Text != "" || cmd.Nick != "" {
				t.Fatalf("%v with arguments: %+v", cmd.Kind, cmd)
			}
		default:
			t.Fatalf("unknown kind %v", cmd.Kind)
		}
	})
}

func FuzzParseServerLine(f *testing.F) {
	for _, s := range []string{"* users: a b", "<a> hi", "*a* hi", "! no", "x", "<", "*", "* "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ev := ParseServerLine(s)
		if ev.Kind < EventNotice || ev.Kind > EventOther {
			t.Fatalf("kind %v", ev.Kind)
		}
		if (ev.Kind == EventPublic || ev.Kind == EventPrivate) && ValidateNick(ev.From) != nil {
			t.Fatalf("sender %q is not a nickname", ev.From)
		}
	})
}
