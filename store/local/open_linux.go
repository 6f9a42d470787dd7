package local

import (
	"errors"
	"os"
	"syscall"
)

// openBlob opens a blob file for reading, as cheaply as Linux allows; a
// 4 KiB GET spends a good part of its time here.
//
// os.Open would try to register the file with the network poller, which
// takes four fcntl and epoll_ctl calls that cannot succeed for a regular
// file; opening with syscall.Open and wrapping the descriptor with
// os.NewFile costs one fcntl instead. O_NOATIME spares the first read of
// each new blob an access-time update, a journal write under relatime; the
// kernel refuses it (EPERM) for a file another user owns, and then the
// open is retried without it.
func openBlob(path string) (*os.File, error) {
	const flags = syscall.O_RDONLY | syscall.O_CLOEXEC
	fd, err := openRetryingEINTR(path, flags|syscall.O_NOATIME)
	if errors.Is(err, syscall.EPERM) {
		fd, err = openRetryingEINTR(path, flags)
	}
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

func openRetryingEINTR(path string, flags int) (int, error) {
	for {
		fd, err := syscall.Open(path, flags, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}
