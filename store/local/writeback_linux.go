package local

import (
	"os"
	"syscall"
)

// syncFileRangeWrite is SYNC_FILE_RANGE_WRITE from <linux/fs.h>: start
// writing the range's dirty pages, without waiting for them.
const syncFileRangeWrite = 0x2

// startWriteback asks the kernel to begin writing f's bytes [off, off+n)
// to disk now, without waiting (sync_file_range(2)), so that the fsync at
// the end of a large write finds little left to flush and the disk works
// while the body is still arriving. It is only a hint: durability comes
// from the fsync, and a failure here is left for the fsync to report.
func startWriteback(f *os.File, off, n int64) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	_ = rc.Control(func(fd uintptr) {
		_ = syscall.SyncFileRange(int(fd), off, n, syncFileRangeWrite)
	})
}
