package vfs

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// FreeSpacer is an FS that says how much space is free itself (a test's
// small filesystem); FreeBytes asks it.
type FreeSpacer interface {
	FreeBytes(dir string) (int64, error)
}

// FreeBytes is the space an unprivileged writer can still use on the
// filesystem holding dir (statfs f_bavail × f_bsize, or what fsys says
// when it is a FreeSpacer): what a step that is about to write must check
// before its first byte.
func FreeBytes(fsys FS, dir string) (int64, error) {
	if f, ok := fsys.(FreeSpacer); ok {
		return f.FreeBytes(dir)
	}
	return statfsFree(dir)
}

func statfsFree(dir string) (int64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
