//go:build !linux

package local

import "os"

// openBlob opens a blob file for reading.
func openBlob(path string) (*os.File, error) { return os.Open(path) }
