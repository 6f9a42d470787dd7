package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gatehouse.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadFileSetsEveryKeyAndKeepsDefaultsForTheRest(t *testing.T) {
	path := writeFile(t, `
# every setting but region
data: /srv/gatehouse
s3-addr: 127.0.0.1:9000
admin-addr: 127.0.0.1:9002
domain: s3.example.test
log-format: json
log-level: debug
shutdown-timeout: 5s
`)
	got := DefaultServe()
	if err := LoadFile(path, &got); err != nil {
		t.Fatal(err)
	}
	want := Serve{
		Data:            "/srv/gatehouse",
		S3Addr:          "127.0.0.1:9000",
		AdminAddr:       "127.0.0.1:9002",
		Domain:          "s3.example.test",
		Region:          DefaultRegion,
		LogFormat:       "json",
		LogLevel:        "debug",
		ShutdownTimeout: 5 * time.Second,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("loaded settings do not validate: %v", err)
	}
}

func TestLoadFileEmptyOrCommentOnlyChangesNothing(t *testing.T) {
	for name, text := range map[string]string{
		"empty":        "",
		"comment only": "# nothing set yet\n",
		"null":         "~\n",
	} {
		t.Run(name, func(t *testing.T) {
			got := DefaultServe()
			if err := LoadFile(writeFile(t, text), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(DefaultServe(), got); diff != "" {
				t.Errorf("settings changed (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoadFileRejects(t *testing.T) {
	cases := []struct {
		name string
		text string
		// want are fragments the error message must contain.
		want []string
	}{
		{"unknown key names it, its line and the known keys",
			"data: ./d\nlisten: 1.2.3.4:80\n",
			[]string{`unknown setting "listen"`, "line 2", "s3-addr"}},
		{"snake_case spelling of a known key is unknown",
			"s3_addr: 127.0.0.1:1\n",
			[]string{`unknown setting "s3_addr"`}},
		{"duration without a unit",
			"shutdown-timeout: 30\n",
			[]string{"time.Duration"}},
		{"list instead of mapping",
			"- data\n",
			[]string{"want a mapping"}},
		{"duplicate key",
			"data: a\ndata: b\n",
			[]string{"already defined"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.text)
			s := DefaultServe()
			err := LoadFile(path, &s)
			if err == nil {
				t.Fatalf("LoadFile accepted %q", tc.text)
			}
			for _, w := range append(tc.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestLoadFileMissingFileIsAnError(t *testing.T) {
	s := DefaultServe()
	err := LoadFile(filepath.Join(t.TempDir(), "absent.yaml"), &s)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err = %v, want a not-exist error", err)
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Serve)
		want   string // fragment of the error; empty means valid
	}{
		{"defaults are valid", func(*Serve) {}, ""},
		{"port zero is valid", func(s *Serve) { s.S3Addr = "127.0.0.1:0" }, ""},
		{"empty data dir", func(s *Serve) { s.Data = "" }, "data"},
		{"address without port", func(s *Serve) { s.S3Addr = "127.0.0.1" }, "s3-addr"},
		{"admin address without port", func(s *Serve) { s.AdminAddr = "x" }, "admin-addr"},
		{"empty region", func(s *Serve) { s.Region = "" }, "region"},
		{"domain with scheme", func(s *Serve) { s.Domain = "http://x" }, "domain"},
		{"domain with leading dot", func(s *Serve) { s.Domain = ".s3.test" }, "domain"},
		{"unknown log format", func(s *Serve) { s.LogFormat = "xml" }, `log-format "xml"`},
		{"unknown log level", func(s *Serve) { s.LogLevel = "trace" }, `log-level "trace"`},
		{"zero shutdown timeout", func(s *Serve) { s.ShutdownTimeout = 0 }, "shutdown-timeout"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := DefaultServe()
			tc.change(&s)
			err := s.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.want != "" && err == nil:
				t.Errorf("Validate() = nil, want an error about %s", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("Validate() = %v, want it to mention %s", err, tc.want)
			}
		})
	}
}
