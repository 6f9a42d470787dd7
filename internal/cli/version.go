package cli

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is the release version. Release builds set it with
// -ldflags "-X gatehouse.dev/gatehouse/internal/cli.version=v1.2.3";
// otherwise the module version from the build information is used.
var version = ""

// versionCmd prints the version.
type versionCmd struct{}

const versionAbout = `
Print the Gatehouse version, the Go version it was built with and, when
built from a git checkout, the commit.
`

// Run implements command.
func (*versionCmd) Run(_ context.Context, env Env, args []string) error {
	f := newFlags("version", "", versionAbout)
	if err := f.parse(env, args); err != nil {
		return err
	}
	printVersion(env.Stdout)
	return nil
}

func printVersion(w io.Writer) {
	fmt.Fprintf(w, "gatehouse %s %s\n", versionString(), runtime.Version())
}

// versionString returns the version, followed by the commit (and
// "+dirty" for a modified tree) when the build recorded one.
func versionString() string {
	v := version
	info, ok := debug.ReadBuildInfo()
	if v == "" && ok {
		v = info.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	if !ok {
		return v
	}
	var rev, dirty string
	for _, s := range info.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	if rev != "" {
		v += " " + rev + dirty
	}
	return v
}
