// Package crash holds the crash test: it runs the real gatehouse binary as
// a child process, kills it with SIGKILL in the middle of writes, restarts
// it on the same data directory and checks that every key holds a whole
// object (the old one, the new one, or none) and that no orphaned file
// survives the restart.
//
// The package has no code of its own; everything is in its tests, which
// `go test -short` skips because they build the binary and move hundreds
// of megabytes through it.
package crash
