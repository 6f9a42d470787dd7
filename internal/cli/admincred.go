package cli

// The administrator credential.
//
// What this protects: the one secret that can do everything. It is
// generated from crypto/rand or taken from the environment, never from a
// flag (flags show in process listings and shell history). It is written
// only to <data>/admin.credentials, mode 0600 in a 0700 directory, and
// printed to stdout once, when it is first written, so that the operator
// can copy it. It never reaches the log: log lines name the file and the
// access key ID, which is not secret.
//
// What this does not protect against: anyone who can read the data
// directory (root, or the user gatehouse runs as) has the secret, and so
// does whatever captures the first start's stdout.

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"gatehouse.dev/gatehouse"
)

// Environment variables that set the administrator credential.
const (
	envAdminAccessKey = "GATEHOUSE_ADMIN_ACCESS_KEY"
	envAdminSecretKey = "GATEHOUSE_ADMIN_SECRET_KEY"
)

// adminCredentialsFile is the name of the credential file in the data
// directory.
const adminCredentialsFile = "admin.credentials"

// adminKeys is the administrator's key pair.
type adminKeys struct {
	AccessKeyID gatehouse.AccessKeyID
	Secret      string // never logged
}

// credential returns the keys as the administrator credential: every
// action is allowed.
func (k adminKeys) credential() gatehouse.Credential {
	return gatehouse.Credential{
		AccessKeyID: k.AccessKeyID,
		Secret:      k.Secret,
		Principal:   "admin",
		Policy:      gatehouse.AllowAll{},
	}
}

// loadAdminKeys returns the administrator keys for the data directory
// dir, which must exist. It reports written = true when it wrote the
// credential file, so that the caller shows the keys once.
//
// The environment wins: when both variables are set, their keys are used,
// and the file is rewritten if it held others. Otherwise the file's keys
// are used, and on the very first start new keys are generated.
func loadAdminKeys(dir string, env Env, log *slog.Logger) (k adminKeys, written bool, err error) {
	path := filepath.Join(dir, adminCredentialsFile)
	fromEnv, inEnv, err := adminKeysFromEnv(env)
	if err != nil {
		return adminKeys{}, false, err
	}
	saved, err := readCredentialsFile(path, log)
	exists := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return adminKeys{}, false, err
	}

	switch {
	case inEnv && exists && saved == fromEnv:
		return saved, false, nil
	case inEnv:
		k = fromEnv
		log.Info("admin credential taken from the environment",
			"access_key_id", k.AccessKeyID, "file", path, "replaced", exists)
	case exists:
		return saved, false, nil
	default:
		if k, err = generateAdminKeys(); err != nil {
			return adminKeys{}, false, err
		}
		log.Info("admin credential generated", "access_key_id", k.AccessKeyID, "file", path)
	}

	if err := writeFileAtomic(path, formatCredentials(k), 0o600); err != nil {
		return adminKeys{}, false, fmt.Errorf("save admin credential: %w", err)
	}
	return k, true, nil
}

// adminKeysFromEnv reads the keys from the environment. Setting one
// variable without the other is an error, as are keys that clients could
// not use.
func adminKeysFromEnv(env Env) (k adminKeys, ok bool, err error) {
	id, secret := env.getenv(envAdminAccessKey), env.getenv(envAdminSecretKey)
	switch {
	case id == "" && secret == "":
		return adminKeys{}, false, nil
	case id == "":
		return adminKeys{}, false, fmt.Errorf("%s is set but %s is not; set both or neither",
			envAdminSecretKey, envAdminAccessKey)
	case secret == "":
		return adminKeys{}, false, fmt.Errorf("%s is set but %s is not; set both or neither",
			envAdminAccessKey, envAdminSecretKey)
	}
	k = adminKeys{AccessKeyID: gatehouse.AccessKeyID(id), Secret: secret}
	if err := k.validate(); err != nil {
		return adminKeys{}, false, fmt.Errorf("environment: %w", err)
	}
	return k, true, nil
}

// validate checks that the keys fit in a SigV4 credential scope and in a
// credentials file. The access key ID follows IAM's AccessKey type:
// 16 to 128 word characters ("Length Constraints: Minimum length of 16.
// Maximum length of 128. Pattern: [\w]+", IAM API Reference, AccessKey).
// The secret is 16 to 128 characters of the base64 and base64url
// alphabets, which is what AWS and this package generate; that keeps it
// clear of the spaces, quotes and comment characters that credentials-file
// parsers treat differently. Error messages never quote the secret.
func (k adminKeys) validate() error {
	id := string(k.AccessKeyID)
	if len(id) < 16 || len(id) > 128 || strings.IndexFunc(id, notWordChar) >= 0 {
		return fmt.Errorf("access key ID %q: want 16 to 128 letters, digits or underscores", id)
	}
	if len(k.Secret) < 16 || len(k.Secret) > 128 ||
		strings.IndexFunc(k.Secret, notSecretChar) >= 0 {
		return fmt.Errorf("secret key for %s: want 16 to 128 characters from "+
			"A-Z a-z 0-9 + / = - _", id)
	}
	return nil
}

func notWordChar(r rune) bool {
	return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
}

func notSecretChar(r rune) bool {
	return notWordChar(r) && !strings.ContainsRune("+/=-", r)
}

// generateAdminKeys makes a new key pair from crypto/rand: an access key
// ID of "GH" and 18 base32 characters (upper-case letters and digits,
// like AWS's 20-character IDs) and a secret of 30 random bytes in 40
// base64url characters (240 bits).
func generateAdminKeys() (adminKeys, error) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" // 32 symbols: b&31 is uniform
	idBytes := make([]byte, 18)
	secretBytes := make([]byte, 30)
	if _, err := rand.Read(idBytes); err != nil {
		return adminKeys{}, fmt.Errorf("generate access key ID: %w", err)
	}
	if _, err := rand.Read(secretBytes); err != nil {
		return adminKeys{}, fmt.Errorf("generate secret key: %w", err)
	}
	for i, b := range idBytes {
		idBytes[i] = alphabet[b&31]
	}
	return adminKeys{
		AccessKeyID: gatehouse.AccessKeyID("GH" + string(idBytes)),
		Secret:      base64.RawURLEncoding.EncodeToString(secretBytes),
	}, nil
}

// formatCredentials renders k in the AWS shared credentials file format,
// as the default profile.
func formatCredentials(k adminKeys) []byte {
	return fmt.Appendf(nil, "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		k.AccessKeyID, k.Secret)
}

// readCredentialsFile reads the default profile of an AWS credentials
// file, as formatCredentials writes it. It accepts what a person editing
// the file might add: comments (# or ;), blank lines, other profiles and
// spaces around "=". It warns when the file is readable by anyone but its
// owner. A missing file is an error wrapping fs.ErrNotExist.
func readCredentialsFile(path string, log *slog.Logger) (adminKeys, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return adminKeys{}, fmt.Errorf("read admin credential: %w", err)
	}
	warnIfShared(path, log)

	var k adminKeys
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[' && line[len(line)-1] == ']':
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return adminKeys{}, fmt.Errorf("%s:%d: want \"name = value\"", path, n)
		}
		if section != "default" {
			continue
		}
		switch strings.TrimSpace(name) {
		case "aws_access_key_id":
			k.AccessKeyID = gatehouse.AccessKeyID(strings.TrimSpace(value))
		case "aws_secret_access_key":
			k.Secret = strings.TrimSpace(value)
		}
	}

	if k.AccessKeyID == "" || k.Secret == "" {
		return adminKeys{}, fmt.Errorf("%s: want aws_access_key_id and "+
			"aws_secret_access_key in the [default] section", path)
	}
	if err := k.validate(); err != nil {
		return adminKeys{}, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// warnIfShared logs a warning when the group or others may read path.
func warnIfShared(path string, log *slog.Logger) {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	log.Warn("admin credential file is readable by other users; run chmod 600 on it",
		"file", path, "mode", fmt.Sprintf("%#o", fi.Mode().Perm()))
}

// writeFileAtomic replaces path with data so that, even across a crash,
// path holds either its old contents or all of data.
func writeFileAtomic(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)

	// Write a temporary file in the same directory, so that the rename
	// below stays within one file system. CreateTemp opens it 0600, so
	// the secret is never readable by others, not even briefly.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}

	// Make the bytes durable before the name points at them.
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}

	// Publish: rename is atomic within a directory.
	if err := os.Rename(tmp, path); err != nil {
		return err
	}

	// Make the rename itself durable.
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
