package p2p

import (
	"io"
	"log/slog"
)

// NewLogger returns a logger that writes every record both to console, as
// text for people, and to file, as JSON lines for tools: the course asks for
// logs on the screen and in an output file. Either writer may be nil.
func NewLogger(console, file io.Writer, level slog.Leveler) *slog.Logger {
	var hs []slog.Handler
	opts := &slog.HandlerOptions{Level: level}
	if console != nil {
		hs = append(hs, slog.NewTextHandler(console, opts))
	}
	if file != nil {
		hs = append(hs, slog.NewJSONHandler(file, opts))
	}
	return slog.New(slog.NewMultiHandler(hs...))
}
