package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gatehouse.dev/gatehouse"
	"gatehouse.dev/gatehouse/grant"
)

// accessCmd works on access grants offline: it needs no server and no
// secret. A grant is a secret itself, so it is read from an argument or
// stdin and never echoed in errors; inspect prints no keys or tags.
type accessCmd struct {
	now func() time.Time // nil means time.Now
}

const accessAbout = `
Work on access grants: inspect and restrict run offline, without a
server; register, revoke and unregister talk to the admin API.

Verbs:
  inspect [GRANT | -]           print the grant's caveats as JSON, never its keys
  restrict [flags] [GRANT | -]  append one caveat and print the new grant
  register [flags] [GRANT | -]  register with the server; print S3 credentials
  revoke [flags] [GRANT | -]    revoke a grant and all grants derived from it
  unregister [flags] KEY_ID     unregister an S3 access key ID

inspect and restrict work offline; the others call the admin API of a
running server (see 'gatehouse apikey --help' for how it is found).

With "-" or no GRANT, the grant is read from stdin. Run
'gatehouse access restrict --help' for the restrictions.
`

// Run implements command.
func (c *accessCmd) Run(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return &usageError{msg: "access: no verb given; " +
			"want inspect, restrict, register, revoke or unregister",
			hint: "gatehouse access --help"}
	}
	switch verb, rest := args[0], args[1:]; verb {
	case "inspect":
		return c.inspect(env, rest)
	case "restrict":
		return c.restrict(env, rest)
	case "register":
		return c.register(ctx, env, rest)
	case "revoke":
		return c.revoke(ctx, env, rest)
	case "unregister":
		return c.unregister(ctx, env, rest)
	case "-h", "-help", "--help":
		usage := "<inspect|restrict|register|revoke|unregister> [flags] [ARG]"
		newFlags("access", usage, accessAbout).printHelp(env.Stdout)
		return flag.ErrHelp
	default:
		return &usageError{msg: fmt.Sprintf("access: unknown verb %q", verb),
			hint: "gatehouse access --help"}
	}
}

const inspectAbout = `
Print what an access grant allows, as indented JSON: the API key it derives
from, its revocation ID, its endpoint, every caveat and the paths it holds
encryption keys for. The keys and the signature are never printed. The
caveats are what the grant claims; only the server can verify them.
`

func (c *accessCmd) inspect(env Env, args []string) error {
	f := newFlags("access inspect", "[GRANT | -]", inspectAbout)
	g, err := parseGrantArgs(env, f, args)
	if err != nil {
		return err
	}
	out, err := json.MarshalIndent(g.Inspect(), "", "  ")
	if err != nil {
		return fmt.Errorf("access inspect: %w", err)
	}
	_, err = fmt.Fprintf(env.Stdout, "%s\n", out)
	return err
}

const restrictAbout = `
Append one caveat to an access grant and print the new grant. It needs no
server: anyone holding a grant can narrow it, and nobody can widen it again.
Every call adds a fresh nonce, so the same restriction twice gives two
grants that can be revoked separately. At least one restriction is needed.
Flags come before the grant.
`

// restriction is what the flags of `access restrict` collect.
type restriction struct {
	readonly bool
	caveat   grant.Caveat
}

func (c *accessCmd) restrict(env Env, args []string) error {
	f := newFlags("access restrict", "[flags] [GRANT | -]", restrictAbout)
	r := c.restrictFlags(f)
	g, err := parseGrantArgs(env, f, args)
	if err != nil {
		return err
	}
	if f.NFlag() == 0 {
		return &usageError{msg: "access restrict: no restriction given",
			hint: "gatehouse access restrict --help"}
	}
	cv := r.caveat
	if r.readonly {
		cv.DisallowWrites, cv.DisallowDeletes = true, true
	}

	// Append the caveat; the macaroon chain needs only the grant's tail.
	m, err := g.Macaroon.Restrict(cv)
	if err != nil {
		return fmt.Errorf("access restrict: %w", err)
	}
	g.Macaroon = m
	if len(cv.AllowedPaths) > 0 && len(g.EncryptionAccess) > 0 {
		// TODO(#3) keep only the keys for the allowed paths, derived down to them.
		fmt.Fprintln(env.Stderr, "note: encryption keys are not narrowed to --path yet; "+
			"the new grant carries the same keys as the old one")
	}
	s, err := g.Serialize()
	if err != nil {
		return fmt.Errorf("access restrict: %w", err)
	}
	_, err = fmt.Fprintln(env.Stdout, s)
	return err
}

func (c *accessCmd) restrictFlags(f *flags) *restriction {
	r := &restriction{}
	now := c.now
	if now == nil {
		now = time.Now
	}
	cv := &r.caveat
	f.BoolVar(&r.readonly, "readonly", false, "disallow writes and deletes")
	f.BoolVar(&cv.DisallowReads, "disallow-reads", false, "disallow reading objects")
	f.BoolVar(&cv.DisallowWrites, "disallow-writes", false, "disallow writing objects")
	f.BoolVar(&cv.DisallowLists, "disallow-lists", false, "disallow listing")
	f.BoolVar(&cv.DisallowDeletes, "disallow-deletes", false, "disallow deleting objects")
	f.Var((*pathList)(&cv.AllowedPaths), "path",
		"allow only `bucket[/prefix]` (repeatable; any one of them matches)")
	f.Var(&timeFlag{t: &cv.NotBefore, now: now}, "not-before",
		"not valid before `time`: RFC 3339, relative like +24h, or none")
	f.Var(&timeFlag{t: &cv.NotAfter, now: now}, "not-after",
		"not valid after `time`: RFC 3339, relative like +720h, or none")
	f.Var((*prefixList)(&cv.AllowedIPs), "allow-ip",
		"allow only requests from `CIDR` (repeatable)")
	f.Var((*sizeFlag)(&cv.MaxObjectSize), "max-object-size",
		"largest object or part to write, in `bytes` (suffixes KiB, MiB, GiB, TiB)")
	return r
}

// maxGrantInput bounds what is read from stdin; a grant is far shorter.
const maxGrantInput = 128 << 10

// parseGrantArgs parses the flags of a verb and then its one optional
// argument, the grant, or "-" for stdin. Errors name the verb and never
// quote the grant.
func parseGrantArgs(env Env, f *flags, args []string) (grant.Grant, error) {
	hint := "gatehouse " + f.Name() + " --help"
	err := f.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		f.printHelp(env.Stdout)
		return grant.Grant{}, err
	case err != nil:
		return grant.Grant{}, &usageError{msg: f.Name() + ": " + err.Error(), hint: hint}
	case f.NArg() > 1:
		return grant.Grant{}, &usageError{msg: f.Name() + ": more than one argument " +
			"(flags go before the grant)", hint: hint}
	}

	s := f.Arg(0)
	if s == "" || s == "-" {
		if s, err = readGrant(env.Stdin); err != nil {
			return grant.Grant{}, fmt.Errorf("%s: %w", f.Name(), err)
		}
		if s == "" {
			return grant.Grant{}, &usageError{msg: f.Name() + ": no grant given " +
				"as an argument or on stdin", hint: hint}
		}
	}
	g, err := grant.Parse(s)
	if err != nil {
		return grant.Grant{}, fmt.Errorf("%s: %w", f.Name(), err)
	}
	return g, nil
}

func readGrant(r io.Reader) (string, error) {
	if r == nil {
		return "", nil
	}
	b, err := io.ReadAll(io.LimitReader(r, maxGrantInput+1))
	if err != nil {
		return "", fmt.Errorf("read grant from stdin: %w", err)
	}
	if len(b) > maxGrantInput {
		return "", fmt.Errorf("stdin holds more than %d bytes; a grant is shorter",
			maxGrantInput)
	}
	return strings.TrimSpace(string(b)), nil
}

// pathList is a repeatable bucket[/prefix] flag.
type pathList []grant.Path

func (l *pathList) String() string {
	if l == nil {
		return ""
	}
	var s []string
	for _, p := range *l {
		s = append(s, string(p.Bucket)+"/"+p.Prefix)
	}
	return strings.Join(s, ",")
}

func (l *pathList) Set(v string) error {
	bucket, prefix, _ := strings.Cut(v, "/")
	if bucket == "" {
		return errors.New("path must start with a bucket name")
	}
	*l = append(*l, grant.Path{Bucket: gatehouse.BucketName(bucket), Prefix: prefix})
	return nil
}

// prefixList is a repeatable CIDR flag; a bare address is one host.
type prefixList []netip.Prefix

func (l *prefixList) String() string {
	if l == nil {
		return ""
	}
	var s []string
	for _, p := range *l {
		s = append(s, p.String())
	}
	return strings.Join(s, ",")
}

func (l *prefixList) Set(v string) error {
	p, err := netip.ParsePrefix(v)
	if err != nil {
		a, aerr := netip.ParseAddr(v)
		if aerr != nil {
			return fmt.Errorf("%q is not a CIDR range such as 10.0.0.0/8", v)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	*l = append(*l, p)
	return nil
}

// timeFlag is a time given as RFC 3339, as "+duration" from now, or as
// "none" for no bound.
type timeFlag struct {
	t   *time.Time
	now func() time.Time
}

func (f *timeFlag) String() string {
	if f == nil || f.t == nil || f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *timeFlag) Set(v string) error {
	switch {
	case v == "none":
		*f.t = time.Time{}
		return nil
	case strings.HasPrefix(v, "+"):
		d, err := time.ParseDuration(v[1:])
		if err != nil || d < 0 {
			return fmt.Errorf("%q is not a duration such as +24h", v)
		}
		*f.t = f.now().Add(d)
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return fmt.Errorf("%q is neither RFC 3339, +duration nor none", v)
	}
	*f.t = t
	return nil
}

// sizeFlag is a byte count with an optional binary suffix.
type sizeFlag int64

var sizeSuffixes = []struct {
	suffix string
	shift  uint
}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}

func (s *sizeFlag) String() string {
	if s == nil || *s == 0 {
		return ""
	}
	return strconv.FormatInt(int64(*s), 10)
}

func (s *sizeFlag) Set(v string) error {
	num, shift := v, uint(0)
	for _, x := range sizeSuffixes {
		if n, ok := strings.CutSuffix(v, x.suffix); ok {
			num, shift = strings.TrimSpace(n), x.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)>>shift {
		return fmt.Errorf("%q is not a positive size such as 5GiB", v)
	}
	*s = sizeFlag(n << shift)
	return nil
}
