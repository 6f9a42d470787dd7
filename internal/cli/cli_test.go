package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"regexp"
	"strings"
	"testing"
)

// runCLI runs the gatehouse command with args and returns what it wrote.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = Run(context.Background(), args, Env{Stdout: &out, Stderr: &errOut})
	return out.String(), errOut.String(), err
}

func TestServeHelpShowsEveryFlagWithItsDefault(t *testing.T) {
	out, _, err := runCLI(t, "serve", "--help")
	if !errors.Is(err, flag.ErrHelp) || ExitCode(err) != 0 {
		t.Fatalf("err = %v (exit %d), want flag.ErrHelp and exit 0", err, ExitCode(err))
	}
	for _, want := range []string{
		"Usage: gatehouse serve",
		`-data dir`, `(default "./gatehouse-data")`,
		`-s3-addr host:port`, `(default "127.0.0.1:7700")`,
		`-region region`, `(default "us-east-1")`,
		`-log-format text`, `(default "text")`,
		`-log-level level`, `(default "info")`,
		`-shutdown-timeout duration`, `(default 30s)`,
		"-domain suffix", "-config file",
		"GATEHOUSE_ADMIN_ACCESS_KEY", "GATEHOUSE_ADMIN_SECRET_KEY",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --help lacks %q; it printed:\n%s", want, out)
		}
	}
}

func TestHelpCommandPrintsTheSameAsDashDashHelp(t *testing.T) {
	viaHelp, _, err := runCLI(t, "help", "serve")
	if err != nil {
		t.Fatal(err)
	}
	viaFlag, _, _ := runCLI(t, "serve", "-h")
	if viaHelp != viaFlag {
		t.Errorf("help serve and serve -h differ:\n%s\n---\n%s", viaHelp, viaFlag)
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	out, _, err := runCLI(t, "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commandTable() {
		if !regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(c.name) + `  +` + regexp.QuoteMeta(c.summary) + `$`).MatchString(out) {
			t.Errorf("help does not list %q:\n%s", c.name, out)
		}
	}
}

func TestEveryCommandAnswersHelp(t *testing.T) {
	for _, c := range commandTable() {
		out, _, err := runCLI(t, c.name, "--help")
		if ExitCode(err) != 0 || !strings.Contains(out, "Usage: gatehouse "+c.name) {
			t.Errorf("%s --help: err %v, output:\n%s", c.name, err, out)
		}
	}
}

func TestVersionPrintsGoVersion(t *testing.T) {
	out, _, err := runCLI(t, "version")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "gatehouse ") || !strings.Contains(out, " go1.") {
		t.Errorf("version printed %q, want gatehouse <version> go1.x", out)
	}
}

func TestUsageErrorsExitTwoWithAHint(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "no command given"},
		{"unknown command", []string{"srve"}, `unknown command "srve"`},
		{"unknown flag", []string{"serve", "--listen", "x"}, "flag provided but not defined: -listen"},
		{"stray argument", []string{"serve", "extra"}, `unexpected argument "extra"`},
		{"bad duration", []string{"serve", "--shutdown-timeout", "soon"}, "shutdown-timeout"},
		{"bad log level", []string{"serve", "--log-level", "loud"}, `log-level "loud"`},
		{"help for unknown command", []string{"help", "nope"}, `unknown command "nope"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCLI(t, tc.args...)
			if ExitCode(err) != 2 {
				t.Fatalf("err = %v, exit %d; want exit 2", err, ExitCode(err))
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "Run '") {
				t.Errorf("err = %q, want it to contain %q and a hint", err, tc.want)
			}
		})
	}
}

func TestExitCode(t *testing.T) {
	if got := ExitCode(nil); got != 0 {
		t.Errorf("ExitCode(nil) = %d", got)
	}
	if got := ExitCode(errors.New("disk full")); got != 1 {
		t.Errorf("ExitCode(failure) = %d, want 1", got)
	}
}
