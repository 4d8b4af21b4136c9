package vfs

import (
	"io/fs"
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
	return crossDevice{FS: base, other: filepath.Clean(other), free: -1}
}

// SmallDevice is CrossDevice whose other filesystem also reports another
// device ID (Stat) and only free bytes free (FreeBytes): for the tests of
// the space checks of every writer.
func SmallDevice(base FS, other string, free int64) FS {
	return crossDevice{FS: base, other: filepath.Clean(other), free: free}
}

type crossDevice struct {
	FS
	other string
	free  int64 // -1: the real filesystem's, and its device IDs
}

// otherDevice is added to the device ID of what SmallDevice's tree holds.
const otherDevice = 1 << 40

func (x crossDevice) under(p string) bool {
	return strings.HasPrefix(filepath.Clean(p)+"/", x.other+"/")
}

func (x crossDevice) Stat(name string) (fs.FileInfo, error) {
	fi, err := x.FS.Stat(name)
	if err != nil || x.free < 0 || !x.under(name) {
		return fi, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fi, nil
	}
	moved := *st
	moved.Dev += otherDevice
	return otherDevInfo{fi, &moved}, nil
}

type otherDevInfo struct {
	fs.FileInfo
	st *syscall.Stat_t
}

func (o otherDevInfo) Sys() any { return o.st }

func (x crossDevice) FreeBytes(dir string) (int64, error) {
	if x.free >= 0 && x.under(dir) {
		return x.free, nil
	}
	return FreeBytes(x.FS, dir)
}

var _ NoReplaceRenamer = crossDevice{}

func (x crossDevice) cross(a, b string) bool { return x.under(a) != x.under(b) }

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
