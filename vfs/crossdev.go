package vfs

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// CrossDevice wraps base so that the tree at other acts as another
// filesystem: a rename into or out of it fails with EXDEV, as rename(2)
// across mounts does, so that movers take their copy path. For the tests
// of every mover (the journal's Move and MoveDir, the rebalance) on one
// real filesystem.
func CrossDevice(base FS, other string) FS {
	return crossDevice{FS: base, other: filepath.Clean(other)}
}

type crossDevice struct {
	FS
	other string
}

var _ NoReplaceRenamer = crossDevice{}

func (x crossDevice) cross(a, b string) bool {
	in := func(p string) bool { return strings.HasPrefix(filepath.Clean(p)+"/", x.other+"/") }
	return in(a) != in(b)
}

func (x crossDevice) Rename(a, b string) error {
	if x.cross(a, b) {
		return &os.LinkError{Op: "rename", Old: a, New: b, Err: syscall.EXDEV}
	}
	return x.FS.Rename(a, b)
}

func (x crossDevice) RenameNoReplace(a, b string) error {
	if x.cross(a, b) {
		return &os.LinkError{Op: "rename", Old: a, New: b, Err: syscall.EXDEV}
	}
	return RenameNoReplace(x.FS, a, b)
}
