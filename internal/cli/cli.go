// Package cli implements the gatehouse command: a table of subcommands,
// each a small type that parses its own flags and then runs.
//
// The subcommands are listed in commands.go. To add one, write a type
// with a Run method in its own file and add a line to that table.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

// Env is what a command may use of its process: the standard streams and
// the environment. Tests pass buffers and a map instead of the real ones.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads an environment variable; nil reads none.
	Getenv func(key string) string
	// Listening, when set, is called with the S3 listener's address once
	// `serve` accepts connections. It lets a test or an embedding program
	// use port 0.
	Listening func(addr net.Addr)

	// AdminListening, when set, is called with the admin API listener's
	// address once `serve` accepts connections, as Listening is.
	AdminListening func(addr net.Addr)

	// ioIdle, when positive, replaces ioIdleTimeout, so that tests of
	// the slow-client guard need not wait a minute.
	ioIdle time.Duration
}

func (e Env) getenv(key string) string {
	if e.Getenv == nil {
		return ""
	}
	return e.Getenv(key)
}

// A command is one subcommand. Run parses args, the arguments after the
// subcommand's name, and then does the work. It returns when the work is
// done or ctx is cancelled (for `serve`, cancelling is the way to stop).
type command interface {
	Run(ctx context.Context, env Env, args []string) error
}

// ErrUsage marks an error in how the command was called: an unknown
// subcommand, flag or value. Its exit code is 2.
var ErrUsage = errors.New("usage")

// usageError reports a mistake on the command line, with a hint on how
// to get help.
type usageError struct {
	msg  string
	hint string // the help command to suggest
}

func (e *usageError) Error() string { return e.msg + "\nRun '" + e.hint + "' for usage." }

func (e *usageError) Is(target error) bool { return target == ErrUsage }

// Run runs the gatehouse command with args, the arguments after the
// program name. An error wrapping flag.ErrHelp means help was asked for
// and has been printed; an error wrapping ErrUsage means the command line
// was wrong. ExitCode turns any of them into a process exit code.
func Run(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		printCommands(env.Stderr)
		return &usageError{msg: "no command given", hint: "gatehouse help"}
	}
	name, rest := args[0], args[1:]
	if name == "-h" || name == "-help" || name == "--help" {
		printCommands(env.Stdout)
		return nil
	}
	c, ok := lookup(name)
	if !ok {
		return &usageError{msg: fmt.Sprintf("unknown command %q", name), hint: "gatehouse help"}
	}
	return c.new().Run(ctx, env, rest)
}

// ExitCode maps the error returned by Run to a process exit code: 0 for
// success and for help, 2 for a usage error, 1 for any other failure.
func ExitCode(err error) int {
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, ErrUsage):
		return 2
	}
	return 1
}

// flags is a subcommand's flag set together with the text its help
// prints around the flag list.
type flags struct {
	*flag.FlagSet
	synopsis string // follows "gatehouse <name>" on the usage line
	about    string // what the subcommand does, one or more paragraphs
}

func newFlags(name, synopsis, about string) *flags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)

	// Parse must not print: parse decides what goes where.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flags{FlagSet: fs, synopsis: synopsis, about: about}
}

// parse parses args, allowing no positional arguments. For -h or --help
// it prints the help to env.Stdout and returns flag.ErrHelp; for a bad
// flag it returns a usage error.
func (f *flags) parse(env Env, args []string) error {
	err := f.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		f.printHelp(env.Stdout)
		return err
	}
	hint := "gatehouse " + f.Name() + " --help"
	if err != nil {
		return &usageError{msg: f.Name() + ": " + err.Error(), hint: hint}
	}
	if f.NArg() > 0 {
		msg := fmt.Sprintf("%s: unexpected argument %q", f.Name(), f.Arg(0))
		return &usageError{msg: msg, hint: hint}
	}
	return nil
}

// printHelp writes the usage line, the description and every flag with
// its default.
func (f *flags) printHelp(w io.Writer) {
	fmt.Fprintf(w, "Usage: gatehouse %s %s\n\n", f.Name(), f.synopsis)
	fmt.Fprintf(w, "%s\n", strings.TrimSpace(f.about))
	if !hasFlags(f.FlagSet) {
		return
	}
	fmt.Fprintf(w, "\nFlags:\n")
	f.SetOutput(w)
	f.PrintDefaults()
	f.SetOutput(io.Discard)
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}
