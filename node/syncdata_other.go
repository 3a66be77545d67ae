//go:build !linux

package node

import "os"

// syncData flushes f (fsync: fdatasync is Linux's).
func syncData(f *os.File) error { return f.Sync() }
