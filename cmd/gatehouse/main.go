// Command gatehouse is an S3-compatible object-storage edge. Run
// "gatehouse help" for its commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"gatehouse.dev/gatehouse/internal/cli"
)

func main() {
	// The first SIGINT or SIGTERM cancels ctx, which makes `serve` drain
	// and stop; stop() then restores the default, so a second signal kills.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() { <-ctx.Done(); stop() }()

	env := cli.Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	err := cli.Run(ctx, os.Args[1:], env)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(os.Stderr, "gatehouse: %v\n", err)
	}
	os.Exit(cli.ExitCode(err))
}
