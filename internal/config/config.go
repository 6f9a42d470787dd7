// Package config holds the settings of `gatehouse serve` and reads them
// from an optional YAML file.
//
// Settings are layered: built-in defaults, then the YAML file named by
// --config, then the flags given on the command line. The cli package
// does the layering; this package knows the settings, their defaults and
// which values are valid. Secrets are never settings: the administrator
// keys come from the environment or the data directory, so that they stay
// out of process listings and shell history.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Serve is the configuration of `gatehouse serve`. The yaml tags are the
// keys of the configuration file; they are spelled like the flags.
type Serve struct {
	// Data is the directory that holds objects, metadata and the
	// administrator credential.
	Data string `yaml:"data"`
	// S3Addr is the host:port the S3 API listens on. Port 0 picks a free
	// port.
	S3Addr string `yaml:"s3-addr"`
	// AdminAddr is the host:port the admin API listens on. Port 0 picks a
	// free port.
	AdminAddr string `yaml:"admin-addr"`
	// Domain, when set, enables virtual-hosted-style requests: a Host of
	// "<bucket>.<Domain>" addresses that bucket.
	Domain string `yaml:"domain"`
	// Region is the region clients sign for and GetBucketLocation reports.
	Region string `yaml:"region"`
	// LogFormat is "text" or "json".
	LogFormat string `yaml:"log-format"`
	// LogLevel is "debug", "info", "warn" or "error".
	LogLevel string `yaml:"log-level"`
	// ShutdownTimeout bounds how long a stopping server waits for
	// in-flight requests before it closes their connections.
	ShutdownTimeout time.Duration `yaml:"shutdown-timeout"`
}

// Defaults: what `gatehouse serve` does with no configuration at all.
const (
	DefaultData            = "./gatehouse-data"
	DefaultS3Addr          = "127.0.0.1:7700"
	DefaultAdminAddr       = "127.0.0.1:7702"
	DefaultRegion          = "us-east-1"
	DefaultLogFormat       = "text"
	DefaultLogLevel        = "info"
	DefaultShutdownTimeout = 30 * time.Second
)

// LogFormats and LogLevels list the accepted values, in the order help
// text shows them.
var (
	LogFormats = []string{"text", "json"}
	LogLevels  = []string{"debug", "info", "warn", "error"}
)

// DefaultServe returns the built-in defaults.
func DefaultServe() Serve {
	return Serve{
		Data:            DefaultData,
		S3Addr:          DefaultS3Addr,
		AdminAddr:       DefaultAdminAddr,
		Region:          DefaultRegion,
		LogFormat:       DefaultLogFormat,
		LogLevel:        DefaultLogLevel,
		ShutdownTimeout: DefaultShutdownTimeout,
	}
}

// Keys returns the keys a configuration file may hold, in file order.
func Keys() []string {
	return []string{
		"data", "s3-addr", "admin-addr", "domain", "region",
		"log-format", "log-level", "shutdown-timeout",
	}
}

// LoadFile reads the YAML file at path into s. Keys absent from the file
// leave s as it was, so callers pass the defaults in. An unknown key is an
// error that names the key, its line and the keys that are known; so is a
// value of the wrong type. An empty file changes nothing.
func LoadFile(path string, s *Serve) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	if err := decode(f, s); err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	return nil
}

func decode(r io.Reader, s *Serve) error {
	var doc yaml.Node
	err := yaml.NewDecoder(r).Decode(&doc)
	if errors.Is(err, io.EOF) {
		return nil // an empty file
	}
	if err != nil {
		return err
	}

	if len(doc.Content) == 0 {
		return nil // only comments
	}
	top := doc.Content[0]
	if top.Kind == yaml.ScalarNode && top.Tag == "!!null" {
		return nil // "~" or "null"
	}

	// The document must be one mapping of known keys. Checking the keys
	// here, rather than with the decoder's KnownFields, lets the error
	// list the keys that would have worked.
	if top.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: want a mapping of settings such as \"data: ./dir\"",
			top.Line)
	}
	for i := 0; i < len(top.Content); i += 2 {
		k := top.Content[i]
		if !slices.Contains(Keys(), k.Value) {
			return fmt.Errorf("line %d: unknown setting %q (known settings: %s)",
				k.Line, k.Value, strings.Join(Keys(), ", "))
		}
	}
	return top.Decode(s)
}

// Validate reports the first setting that cannot work, naming it as the
// flag and file key spell it.
func (s *Serve) Validate() error {
	if s.Data == "" {
		return errors.New("data: must name a directory")
	}
	if _, _, err := net.SplitHostPort(s.S3Addr); err != nil {
		return fmt.Errorf("s3-addr %q: want host:port: %w", s.S3Addr, err)
	}
	if _, _, err := net.SplitHostPort(s.AdminAddr); err != nil {
		return fmt.Errorf("admin-addr %q: want host:port: %w", s.AdminAddr, err)
	}
	if s.Region == "" {
		return errors.New("region: must not be empty")
	}
	if strings.HasPrefix(s.Domain, ".") || strings.ContainsAny(s.Domain, "/: ") {
		return fmt.Errorf("domain %q: want a host name suffix such as s3.example.com",
			s.Domain)
	}
	if !slices.Contains(LogFormats, s.LogFormat) {
		return fmt.Errorf("log-format %q: want one of %s",
			s.LogFormat, strings.Join(LogFormats, ", "))
	}
	if _, err := ParseLevel(s.LogLevel); err != nil {
		return err
	}
	if s.ShutdownTimeout <= 0 {
		return fmt.Errorf("shutdown-timeout %v: must be positive", s.ShutdownTimeout)
	}
	return nil
}

// ParseLevel turns a log-level setting into a slog level.
func ParseLevel(name string) (slog.Level, error) {
	switch name {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log-level %q: want one of %s",
		name, strings.Join(LogLevels, ", "))
}
