package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadCredentialsFile(t *testing.T) {
	tests := map[string]string{
		"default section": "[other]\naws_access_key_id = NO\naws_secret_access_key = NO\n" +
			"[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = s3cr3t\n",
		"only section, any name": "# comment\n[admin]\naws_access_key_id=AKIDEXAMPLE\n" +
			"aws_secret_access_key=s3cr3t\n",
	}
	for name, text := range tests {
		path := filepath.Join(t.TempDir(), "creds")
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := LoadCredentialsFile(path)
		if err != nil || c.AccessKeyID != "AKIDEXAMPLE" || c.SecretKey != "s3cr3t" {
			t.Errorf("%s: got %v, %v", name, c, err)
		}
	}
}

func TestLoadCredentialsFileNeedsBothKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "creds")
	text := "[default]\naws_access_key_id = AKIDEXAMPLE\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadCredentialsFile(path); err == nil {
		t.Error("a file without a secret was accepted")
	}
}

func TestCredentialsNeverFormatTheSecret(t *testing.T) {
	c := Credentials{AccessKeyID: "AKIDEXAMPLE", SecretKey: "s3cr3t-value"}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(verb, c); strings.Contains(s, "s3cr3t") {
			t.Errorf("%s shows the secret: %s", verb, s)
		}
	}
}
