package cli

import (
	"bytes"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gatehouse.dev/gatehouse"
)

var (
	generatedID     = regexp.MustCompile(`^GH[A-Z2-7]{18}$`)
	generatedSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{40}$`)
)

func TestGeneratedKeysHaveTheDocumentedShapeAndDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 50 {
		k, err := generateAdminKeys()
		if err != nil {
			t.Fatal(err)
		}
		if !generatedID.MatchString(string(k.AccessKeyID)) {
			t.Errorf("access key ID %q does not match %v", k.AccessKeyID, generatedID)
		}
		if !generatedSecret.MatchString(k.Secret) {
			t.Errorf("secret of %s does not match %v", k.AccessKeyID, generatedSecret)
		}
		if err := k.validate(); err != nil {
			t.Errorf("generated keys fail validation: %v", err)
		}
		if seen[string(k.AccessKeyID)] || seen[k.Secret] {
			t.Fatalf("a generated key repeated after %d tries", len(seen)/2)
		}
		seen[string(k.AccessKeyID)], seen[k.Secret] = true, true
	}
}

func TestValidateRefusesKeysClientsCannotUse(t *testing.T) {
	good := adminKeys{AccessKeyID: "GHEXAMPLEKEY00001", Secret: "0123456789abcdef+/=-_"}
	tooLong := gatehouse.AccessKeyID(strings.Repeat("A", 129))
	if err := good.validate(); err != nil {
		t.Fatalf("valid keys refused: %v", err)
	}
	cases := []struct {
		name string
		k    adminKeys
	}{
		{"short access key ID", adminKeys{"GHSHORT", good.Secret}},
		{"access key ID with slash", adminKeys{"GHEXAMPLE/KEY0001", good.Secret}},
		{"access key ID with space", adminKeys{"GHEXAMPLE KEY0001", good.Secret}},
		{"access key ID too long", adminKeys{tooLong, good.Secret}},
		{"short secret", adminKeys{good.AccessKeyID, "tooshort"}},
		{"secret with space", adminKeys{good.AccessKeyID, "0123456789 abcdef"}},
		{"secret with comment character", adminKeys{good.AccessKeyID, "0123456789abcdef#x"}},
		{"secret with newline", adminKeys{good.AccessKeyID, "0123456789abcdef\nx=y"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.k.validate()
			if err == nil {
				t.Fatal("accepted")
			}
			if strings.Contains(err.Error(), tc.k.Secret) {
				t.Errorf("error %q quotes the secret", err)
			}
		})
	}
}

func TestReadCredentialsFileAcceptsHandEditsAndRejectsGaps(t *testing.T) {
	dir := t.TempDir()
	write := func(text string) string {
		path := filepath.Join(dir, "creds")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	log := slog.New(slog.DiscardHandler)

	edited := write(`# saved by gatehouse
[other]
aws_access_key_id = NOTTHISONE0000000
aws_secret_access_key = notthisone0000000

[ default ]
; the admin
aws_access_key_id=GHEXAMPLEKEY00001
  aws_secret_access_key   =   0123456789abcdef
`)
	k, err := readCredentialsFile(edited, log)
	if err != nil {
		t.Fatal(err)
	}
	want := adminKeys{AccessKeyID: "GHEXAMPLEKEY00001", Secret: "0123456789abcdef"}
	if k != want {
		t.Errorf("read %+v, want %+v", k, want)
	}

	for name, text := range map[string]string{
		"no default profile": "[other]\naws_access_key_id = GHEXAMPLEKEY00001\n",
		"no secret":          "[default]\naws_access_key_id = GHEXAMPLEKEY00001\n",
		"not name = value":   "[default]\naws_access_key_id GHEXAMPLEKEY00001\n",
		"invalid secret":     "[default]\naws_access_key_id = GHEXAMPLEKEY00001\naws_secret_access_key = x\n",
	} {
		path := write(text)
		if _, err := readCredentialsFile(path, log); err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: err = %v, want an error naming %s", name, err, path)
		}
	}

	_, err = readCredentialsFile(filepath.Join(dir, "absent"), log)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: err = %v, want fs.ErrNotExist", err)
	}
}

func TestReadCredentialsFileWarnsWhenOthersCanRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "creds")
	k := adminKeys{AccessKeyID: "GHEXAMPLEKEY00001", Secret: "0123456789abcdef"}
	if err := os.WriteFile(path, formatCredentials(k), 0o644); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	if _, err := readCredentialsFile(path, slog.New(slog.NewTextHandler(&logged, nil))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logged.String(), "readable by other users") ||
		!strings.Contains(logged.String(), "0644") {
		t.Errorf("no warning about mode 0644 in log:\n%s", logged.String())
	}
	if strings.Contains(logged.String(), k.Secret) {
		t.Errorf("the warning quotes the secret:\n%s", logged.String())
	}
}

func TestWriteFileAtomicReplacesWholeAndLeavesNoTempFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f")
	for _, content := range []string{"first version\n", "second\n"} {
		if err := writeFileAtomic(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, %v; want 0600", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the file: %v", len(entries), entries)
	}
}

func TestWriteFileAtomicIntoMissingDirectoryFailsCleanly(t *testing.T) {
	err := writeFileAtomic(filepath.Join(t.TempDir(), "no", "f"), []byte("x"), 0o600)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want fs.ErrNotExist", err)
	}
}
