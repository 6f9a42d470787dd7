package cli

import (
	"context"
	"fmt"
	"io"
)

// helpCmd prints the list of commands, or the help of one command.
type helpCmd struct{}

const helpAbout = `
Print the commands gatehouse knows, or with a command name, that command's
flags and their defaults (the same as "gatehouse <command> --help").
`

// Run implements command.
func (*helpCmd) Run(ctx context.Context, env Env, args []string) error {
	f := newFlags("help", "[command]", helpAbout)
	if err := f.Parse(args); err != nil {
		f.printHelp(env.Stdout)
		return nil
	}
	switch f.NArg() {
	case 0:
		printCommands(env.Stdout)
		return nil
	case 1:
		c, ok := lookup(f.Arg(0))
		if !ok {
			return &usageError{msg: fmt.Sprintf("help: unknown command %q", f.Arg(0)),
				hint: "gatehouse help"}
		}
		err := c.new().Run(ctx, env, []string{"--help"})
		return ignoreHelp(err)
	}
	return &usageError{msg: "help: too many arguments", hint: "gatehouse help"}
}

func ignoreHelp(err error) error {
	if ExitCode(err) == 0 {
		return nil
	}
	return err
}

// printCommands writes the top-level usage: one line per command.
func printCommands(w io.Writer) {
	fmt.Fprintf(w, "Gatehouse is an S3-compatible object-storage edge.\n\n")
	fmt.Fprintf(w, "Usage: gatehouse <command> [flags]\n\nCommands:\n")
	width := 0
	for _, c := range commandTable() {
		width = max(width, len(c.name))
	}
	for _, c := range commandTable() {
		fmt.Fprintf(w, "  %-*s  %s\n", width, c.name, c.summary)
	}
	fmt.Fprintf(w, "\nRun 'gatehouse <command> --help' for the flags of a command.\n")
}
