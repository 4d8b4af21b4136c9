package vfs

import (
	"errors"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// FileID is the identity of an inode: its filesystem (st_dev) and inode
// number (st_ino). Two paths with one FileID are one file; a path whose
// FileID changed was replaced (by a rename or a new file of the same name).
type FileID struct{ Dev, Ino uint64 }

// Identity is the FileID of the file described by info, when the FS can
// tell (infos from OS can); ok is false otherwise.
func Identity(info fs.FileInfo) (id FileID, ok bool) {
	if info == nil {
		return FileID{}, false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return FileID{}, false
	}
	return FileID{Dev: uint64(st.Dev), Ino: uint64(st.Ino)}, true
}

// NoReplaceRenamer is implemented by filesystems that can rename without
// replacing an existing target atomically (renameat2 RENAME_NOREPLACE).
type NoReplaceRenamer interface {
	RenameNoReplace(oldname, newname string) error
}

// RenameNoReplace renames oldname to newname, failing with fs.ErrExist if
// newname exists, where rename(2) would silently replace it. It uses
// fsys's RenameNoReplace when it has one (OS and Faulty do; Faulty fails it
// as OpRename), and falls back to a Stat of newname then Rename where the
// FS or the filesystem cannot do it atomically (a window in which another
// process could create newname: callers serialise on a lock). Like Rename
// it is durable only after SyncDir of both directories; across filesystems
// it fails with EXDEV (errors.Is(err, syscall.EXDEV)).
func RenameNoReplace(fsys FS, oldname, newname string) error {
	if r, ok := fsys.(NoReplaceRenamer); ok {
		err := r.RenameNoReplace(oldname, newname)
		if !errors.Is(err, errors.ErrUnsupported) {
			return err
		}
	}
	return statThenRename(fsys, oldname, newname)
}

func statThenRename(fsys FS, oldname, newname string) error {
	if _, err := fsys.Stat(newname); err == nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: fs.ErrExist}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return fsys.Rename(oldname, newname)
}

// RenameNoReplace is renameat2(RENAME_NOREPLACE); where the kernel or the
// filesystem lacks it (EINVAL, ENOSYS) it answers errors.ErrUnsupported so
// that the caller falls back.
func (osFS) RenameNoReplace(oldname, newname string) error {
	for {
		err := unix.Renameat2(unix.AT_FDCWD, oldname, unix.AT_FDCWD, newname, unix.RENAME_NOREPLACE)
		switch err {
		case nil:
			return nil
		case unix.EINTR:
			continue
		case unix.EINVAL, unix.ENOSYS:
			return errors.ErrUnsupported
		}
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
}
