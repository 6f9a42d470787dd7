//go:build !unix

package local

import (
	"os"
	"path/filepath"
)

// lockDir only opens the lock file where flock(2) does not exist: the
// caller must ensure that one Store at a time uses dir.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
}
