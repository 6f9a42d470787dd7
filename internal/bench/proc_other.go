//go:build !linux

package bench

import "syscall"

// childSysProcAttr has no parent-death signal outside Linux; the bench
// still stops its children on a normal exit or a signal.
func childSysProcAttr() *syscall.SysProcAttr { return nil }
