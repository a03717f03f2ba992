// Package cli is the command-line contract that every program under
// examples/ shares, so that each behaves like a well-made Unix tool:
//
//   - every flag is validated before any work starts; misuse prints one line
//     naming the flag, the value and what is allowed, then a pointer to -h,
//     and exits 2 ([Command.Check], [Command.Parse], the validators such as
//     [Port], [Prob], [OutFile] and [Memory]);
//   - a failure at run time prints one line and exits 1 ([Command.Fail]); the
//     package prefix that a library error already carries is not repeated;
//   - SIGINT and SIGTERM both cancel the context of [Command.Context], so a
//     program prints the same summary whichever one stopped it;
//   - long work shows a [Progress] bar on a terminal and plain, occasional
//     lines (never a carriage return or an escape code) in a pipe or a file.
//
// The package is internal: it is the examples' shared plumbing, not part of
// netlab's public API.
package cli
