package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit statuses of every example program.
const (
	ExitOK      = 0 // the work was done
	ExitFailure = 1 // the work failed at run time
	ExitUsage   = 2 // the invocation was wrong; nothing was done
)

// Command is one program or subcommand: its name as shown in messages
// ("matrix" or "matrix worker") and its flags.
type Command struct {
	// Name prefixes every message the command prints.
	Name string
	// Flags holds the command's flags; define them before [Command.Parse].
	Flags *flag.FlagSet

	synopsis string
	stdout   io.Writer
	stderr   io.Writer
	exit     func(int)
}

// New returns a command whose usage text (shown by -h) starts with synopsis.
func New(name, synopsis string) *Command {
	c := &Command{
		Name:     name,
		Flags:    flag.NewFlagSet(name, flag.ContinueOnError),
		synopsis: synopsis,
		stdout:   os.Stdout,
		stderr:   os.Stderr,
		exit:     os.Exit,
	}
	c.Flags.SetOutput(io.Discard)
	return c
}

// Usage writes the synopsis and every flag with its default to w.
func (c *Command) Usage(w io.Writer) {
	fmt.Fprintln(w, strings.TrimRight(c.synopsis, "\n"))
	var n int
	c.Flags.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprintln(w, "\nFlags:")
	c.Flags.SetOutput(w)
	c.Flags.PrintDefaults()
	c.Flags.SetOutput(io.Discard)
}

// Parse parses args (without the program's name). -h and -help print the
// usage to standard output and exit 0; a malformed flag prints one line and
// the hint and exits 2.
func (c *Command) Parse(args []string) {
	err := c.Flags.Parse(args)
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		c.Usage(c.stdout)
		c.exit(ExitOK)
	default:
		c.usageError(err.Error())
	}
}

// NoArgs exits 2 when positional arguments remain after the flags.
func (c *Command) NoArgs() {
	if args := c.Flags.Args(); len(args) > 0 {
		c.usageError(fmt.Sprintf("unexpected argument %q (flags go before arguments; this command takes none)", args[0]))
	}
}

// Check exits 2 with the first non-nil error among errs: the invocation was
// wrong, so nothing has been done yet.
func (c *Command) Check(errs ...error) {
	for _, err := range errs {
		if err != nil {
			c.usageError(c.trim(err.Error()))
			return
		}
	}
}

// Fail prints err on one line and exits 1; it does nothing when err is nil.
// An error that already starts with the command's name is not prefixed again.
func (c *Command) Fail(err error) {
	if err == nil {
		return
	}
	fmt.Fprintf(c.stderr, "%s: %s\n", c.Name, oneLine(c.trim(err.Error())))
	c.exit(ExitFailure)
}

// Failf is [Command.Fail] with a formatted message.
func (c *Command) Failf(format string, a ...any) {
	c.Fail(fmt.Errorf(format, a...))
}

// Context returns a context that is cancelled when the process receives
// SIGINT or SIGTERM, so that both end the program the same way.
func (c *Command) Context() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func (c *Command) usageError(msg string) {
	fmt.Fprintf(c.stderr, "%s: %s\n", c.Name, oneLine(msg))
	fmt.Fprintf(c.stderr, "Run '%s -h' for usage.\n", c.Name)
	c.exit(ExitUsage)
}

// trim drops a leading "NAME: " that would double the command's prefix,
// including the first word of a subcommand's name ("matrix" of "matrix worker").
func (c *Command) trim(msg string) string {
	for _, p := range []string{c.Name, strings.Fields(c.Name + " x")[0]} {
		for strings.HasPrefix(msg, p+": ") {
			msg = strings.TrimPrefix(msg, p+": ")
		}
	}
	return msg
}

// oneLine keeps a message on one line: a multi-line error is joined with "; ".
func oneLine(s string) string {
	lines := strings.FieldsFunc(strings.TrimSpace(s), func(r rune) bool { return r == '\n' || r == '\r' })
	return strings.Join(lines, "; ")
}

// Dispatch runs the subcommand named by args[0] with the remaining
// arguments. When args is empty or starts with a flag, fallback runs with
// all of args (or, when fallback is nil, the usage is printed and the
// program exits 2). -h lists the subcommands and exits 0; an unknown
// subcommand exits 2 naming it.
func Dispatch(name, synopsis string, args []string, subs map[string]func(args []string), fallback func(args []string)) {
	dispatch(name, synopsis, args, subs, fallback, os.Stdout, os.Stderr, os.Exit)
}

func dispatch(name, synopsis string, args []string, subs map[string]func([]string), fallback func([]string),
	stdout, stderr io.Writer, exit func(int)) {
	names := make([]string, 0, len(subs))
	for n := range subs {
		names = append(names, n)
	}
	sort.Strings(names)
	usage := func(w io.Writer) {
		fmt.Fprintln(w, strings.TrimRight(synopsis, "\n"))
		fmt.Fprintf(w, "\nSubcommands: %s\nRun '%s SUBCOMMAND -h' for a subcommand's flags.\n", strings.Join(names, ", "), name)
	}
	if len(args) > 0 {
		switch args[0] {
		case "-h", "-help", "--help", "help":
			usage(stdout)
			exit(ExitOK)
			return
		}
		if run, ok := subs[args[0]]; ok {
			run(args[1:])
			return
		}
		if !strings.HasPrefix(args[0], "-") {
			fmt.Fprintf(stderr, "%s: unknown subcommand %q: want one of %s\n", name, args[0], strings.Join(names, ", "))
			fmt.Fprintf(stderr, "Run '%s -h' for usage.\n", name)
			exit(ExitUsage)
			return
		}
	}
	if fallback != nil {
		fallback(args)
		return
	}
	fmt.Fprintf(stderr, "%s: missing subcommand: want one of %s\n", name, strings.Join(names, ", "))
	fmt.Fprintf(stderr, "Run '%s -h' for usage.\n", name)
	exit(ExitUsage)
}
