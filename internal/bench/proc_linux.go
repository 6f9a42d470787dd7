package bench

import "syscall"

// childSysProcAttr asks the kernel to kill a child when the bench dies, so
// that a killed bench leaves no server behind.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
