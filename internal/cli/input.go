package cli

import (
	"bufio"
	"io"
)

// Lines reads r line by line on a goroutine of its own and delivers each
// line (without its end) on the channel, which is closed at the end of the
// input. A program that prompts reads from it in a select beside its
// context, so that a signal, or a message arriving from the network, is
// never stuck behind a read of the terminal. The goroutine ends with the
// input; a program that exits earlier need not wait for it.
func Lines(r io.Reader) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			ch <- sc.Text()
		}
	}()
	return ch
}
