package node

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncData flushes f's data, and the metadata needed to read it back (its
// size), but not its times: a slot rewritten in place at the same size then
// costs no journal commit.
func syncData(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = unix.Fdatasync(int(fd)) }); err != nil {
		return err
	}
	return serr
}
