package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"gatehouse.dev/gatehouse/grant"
)

// testGrant is a root grant with seeded keys and one encryption key.
type testGrant struct {
	s    string // serialized
	key  grant.SecretKey
	tail []byte // the macaroon's tag
}

func newTestGrant(t *testing.T) testGrant {
	t.Helper()
	var head [32]byte
	secret := bytes.Repeat([]byte{0x5e}, 32)
	copy(head[:], "head-of-a-test-api-key")
	m, err := grant.NewMacaroon(head, secret)
	if err != nil {
		t.Fatal(err)
	}
	var key grant.SecretKey
	for i := range key {
		key[i] = byte(0xa0 + i)
	}
	g := grant.Grant{
		Macaroon:         m,
		Endpoint:         "http://127.0.0.1:7700",
		EncryptionAccess: []grant.EncryptionKey{{Bucket: "photos", Key: key}},
	}
	s, err := g.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := m.MarshalBinary()
	return testGrant{s: s, key: key, tail: raw[len(raw)-32:]}
}

// runAccess runs gatehouse with args and stdin.
func runAccess(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := Env{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errOut}
	err := Run(context.Background(), args, env)
	return out.String(), errOut.String(), err
}

func inspectJSON(t *testing.T, s string) grant.Inspection {
	t.Helper()
	out, _, err := runAccess(t, "", "access", "inspect", s)
	if err != nil {
		t.Fatalf("inspect: %v", err)
	}
	var in grant.Inspection
	if err := json.Unmarshal([]byte(out), &in); err != nil {
		t.Fatalf("inspect printed no JSON: %v\n%s", err, out)
	}
	return in
}

func TestRestrictThenInspectShowsTheCaveat(t *testing.T) {
	tg := newTestGrant(t)
	out, _, err := runAccess(t, "", "access", "restrict",
		"--readonly", "--disallow-lists",
		"--path", "photos/2024/", "--path", "docs",
		"--not-before", "2026-01-02T03:04:05Z", "--not-after", "2026-02-01T00:00:00+01:00",
		"--allow-ip", "10.1.0.0/16", "--allow-ip", "2001:db8::/32",
		"--max-object-size", "5MiB", tg.s)
	if err != nil {
		t.Fatalf("restrict: %v", err)
	}

	in := inspectJSON(t, strings.TrimSpace(out))
	want := []grant.CaveatInfo{{
		DisallowWrites:  true,
		DisallowLists:   true,
		DisallowDeletes: true,
		AllowedPaths: []grant.PathInfo{
			{Bucket: "photos", Prefix: "2024/"}, {Bucket: "docs", Prefix: ""}},
		NotBefore:     "2026-01-02T03:04:05Z",
		NotAfter:      "2026-01-31T23:00:00Z",
		AllowedIPs:    []string{"10.1.0.0/16", "2001:db8::/32"},
		MaxObjectSize: 5 << 20,
	}}
	if diff := cmp.Diff(want, in.Caveats); diff != "" {
		t.Errorf("caveats (-want +got):\n%s", diff)
	}
	if in.Endpoint != "http://127.0.0.1:7700" {
		t.Errorf("endpoint = %q", in.Endpoint)
	}
}

func TestRestrictedGrantParsesWithOneMoreCaveat(t *testing.T) {
	tg := newTestGrant(t)
	s := tg.s
	for i := 1; i <= 2; i++ {
		out, _, err := runAccess(t, s+"\n", "access", "restrict", "--disallow-reads", "-")
		if err != nil {
			t.Fatalf("restrict %d: %v", i, err)
		}
		s = strings.TrimSpace(out)
		g, err := grant.Parse(s)
		if err != nil {
			t.Fatalf("restricted grant %d does not parse: %v", i, err)
		}
		if n := len(g.Macaroon.UnverifiedCaveats()); n != i {
			t.Errorf("after %d restrictions the grant has %d caveats", i, n)
		}
	}
}

func TestRelativeNotAfterIsFromNow(t *testing.T) {
	tg := newTestGrant(t)
	before := time.Now()
	out, _, err := runAccess(t, "", "access", "restrict", "--not-after", "+24h", tg.s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := time.Parse(time.RFC3339Nano,
		inspectJSON(t, strings.TrimSpace(out)).Caveats[0].NotAfter)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := before.Add(24*time.Hour), time.Now().Add(24*time.Hour)
	if got.Before(lo) || got.After(hi) {
		t.Errorf("not_after = %s, want between %s and %s", got, lo, hi)
	}
}

func TestRestrictTwiceGivesDistinctGrants(t *testing.T) {
	tg := newTestGrant(t)
	a, _, errA := runAccess(t, "", "access", "restrict", "--readonly", tg.s)
	b, _, errB := runAccess(t, "", "access", "restrict", "--readonly", tg.s)
	if errA != nil || errB != nil {
		t.Fatal(errA, errB)
	}
	if a == b {
		t.Error("the same restriction twice gave the same grant; the nonce is missing")
	}
}

func TestRestrictWithPathNotesKeysAreNotNarrowed(t *testing.T) {
	tg := newTestGrant(t)
	_, stderr, err := runAccess(t, "", "access", "restrict", "--path", "photos/a/", tg.s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "encryption keys are not narrowed") {
		t.Errorf("stderr lacks the note on encryption keys: %q", stderr)
	}
}

func TestAccessErrors(t *testing.T) {
	tg := newTestGrant(t)
	bad := "gh_" + strings.Repeat("Z", 40) + "secretlookingtail"
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantExit int
		wantErr  string
	}{
		{"no verb is a usage error", "", []string{"access"}, 2, "no verb"},
		{"unknown verb is a usage error", "", []string{"access", "frob"}, 2, "unknown verb"},
		{"inspect without a grant is a usage error", "",
			[]string{"access", "inspect"}, 2, "no grant given"},
		{"restrict with empty stdin is a usage error", "",
			[]string{"access", "restrict", "--readonly", "-"}, 2, "no grant given"},
		{"two grants are a usage error", "",
			[]string{"access", "inspect", tg.s, tg.s}, 2, "more than one argument"},
		{"invalid grant fails without echoing it", "",
			[]string{"access", "inspect", bad}, 1, "access inspect: "},
		{"not a grant at all", "hello\n",
			[]string{"access", "inspect", "-"}, 1, "not an access grant"},
		{"truncated grant fails the checksum", "",
			[]string{"access", "restrict", "--readonly", tg.s[:len(tg.s)-3]}, 1, "checksum"},
		{"restrict without flags is a usage error", "",
			[]string{"access", "restrict", tg.s}, 2, "no restriction given"},
		{"bad CIDR is a usage error", "",
			[]string{"access", "restrict", "--allow-ip", "10.0.0.0/33", tg.s}, 2, "CIDR"},
		{"bad time is a usage error", "",
			[]string{"access", "restrict", "--not-after", "tomorrow", tg.s}, 2, "RFC 3339"},
		{"bad relative time is a usage error", "",
			[]string{"access", "restrict", "--not-before", "+soon", tg.s}, 2, "duration"},
		{"bad size is a usage error", "",
			[]string{"access", "restrict", "--max-object-size", "-1", tg.s}, 2, "size"},
		{"unknown flag is a usage error", "",
			[]string{"access", "restrict", "--frobnicate", tg.s}, 2, "frobnicate"},
		{"not-before after not-after fails", "",
			[]string{"access", "restrict", "--not-before", "2030-01-01T00:00:00Z",
				"--not-after", "2029-01-01T00:00:00Z", tg.s}, 1, "after not_after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := runAccess(t, tt.stdin, tt.args...)
			if got := ExitCode(err); got != tt.wantExit {
				t.Fatalf("exit = %d (err %v), want %d", got, err, tt.wantExit)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantErr)
			}
			for _, secret := range []string{bad[3:], tg.s[3:]} {
				if strings.Contains(err.Error()+out+stderr, secret) {
					t.Errorf("output echoes the grant: %q", err)
				}
			}
		})
	}
}

func TestInspectNeverPrintsKeys(t *testing.T) {
	tg := newTestGrant(t)
	restricted, _, err := runAccess(t, "", "access", "restrict", "--readonly", tg.s)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := grant.Parse(restricted)
	raw, _ := g.Macaroon.MarshalBinary()
	tails := [][]byte{tg.tail, raw[len(raw)-32:]}

	for _, s := range []string{tg.s, strings.TrimSpace(restricted)} {
		out, stderr, err := runAccess(t, s, "access", "inspect")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out, `"bucket": "photos"`) {
			t.Fatalf("inspect does not list the key's path:\n%s", out)
		}
		for _, b := range append(tails, tg.key[:]) {
			for _, enc := range []string{hex.EncodeToString(b),
				base64.StdEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b),
				string(b)} {
				if strings.Contains(out+stderr, enc) {
					t.Errorf("inspect printed secret bytes as %q:\n%s", enc, out)
				}
			}
		}
	}
}

func TestAccessHelp(t *testing.T) {
	for _, args := range [][]string{{"help", "access"}, {"access", "restrict", "--help"}} {
		out, _, err := runAccess(t, "", args...)
		if ExitCode(err) != 0 || !strings.Contains(out, "Usage: gatehouse access") {
			t.Errorf("%v: exit %d, printed:\n%s", args, ExitCode(err), out)
		}
	}
}
