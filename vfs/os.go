package vfs

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// OS is the real filesystem.
var OS FS = osFS{}

type osFS struct{}

type osFile struct{ *os.File }

// Sync is fdatasync: a log appends data and its size, and fdatasync makes
// both durable without forcing the mtime update that fsync would also write.
func (f osFile) Sync() error {
	for {
		err := unix.Fdatasync(int(f.Fd()))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "fdatasync", Path: f.File.Name(), Err: err}
		}
		return nil
	}
}

// StartWriteback queues the range for writeback and returns.
func (f osFile) StartWriteback(off, n int64) error {
	return unix.SyncFileRange(int(f.Fd()), off, n, unix.SYNC_FILE_RANGE_WRITE)
}

// OpenReadOnly opens only regular files, and the open itself never
// blocks: a FIFO (or a symlink to one) would block open(2) until a writer
// appears, and a device such as /dev/zero reads without end. The file is
// opened O_NONBLOCK, checked with fstat (the inode actually opened, so no
// race with a rename), and set back to blocking.
func (osFS) OpenReadOnly(name string) (File, error) {
	var fd int
	for {
		var err error
		fd, err = unix.Open(name, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		break
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "stat", Path: name, Err: err}
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: name, Err: NotRegular(fileType(st.Mode))}
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return osFile{os.NewFile(uintptr(fd), name)}, nil
}

// fileType names the type bits of a stat mode as fs.FileMode does.
func fileType(mode uint32) fs.FileMode {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	}
	return fs.ModeIrregular
}

func (osFS) Create(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (osFS) Rename(oldname, newname string) error        { return os.Rename(oldname, newname) }
func (osFS) Remove(name string) error                    { return os.Remove(name) }
func (osFS) Mkdir(dir string, perm fs.FileMode) error    { return os.Mkdir(dir, perm) }
func (osFS) MkdirAll(dir string, perm fs.FileMode) error { return os.MkdirAll(dir, perm) }
func (osFS) ReadDir(dir string) ([]fs.DirEntry, error)   { return os.ReadDir(dir) }
func (osFS) Stat(name string) (fs.FileInfo, error)       { return os.Stat(name) }
func (osFS) Truncate(name string, size int64) error      { return os.Truncate(name, size) }

type osDir struct {
	f *os.File
}

func (osFS) OpenDir(dir string) (Dir, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	return &osDir{f}, nil
}

// Sync uses fsync, not fdatasync: for a directory the entries are the
// data, and some filesystems only honour fsync on directories.
func (d *osDir) Sync() error { return d.f.Sync() }

func (d *osDir) SyncFS() error {
	for {
		err := unix.Syncfs(int(d.f.Fd()))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "syncfs", Path: d.f.Name(), Err: err}
		}
		return nil
	}
}

func (d *osDir) Close() error { return d.f.Close() }

func (o osFS) SyncDir(dir string) error {
	d, err := o.OpenDir(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

func deviceID(info fs.FileInfo) (uint64, bool) {
	if info == nil {
		return 0, false
	}
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return uint64(st.Dev), true
}

// Preallocate reserves blocks for [off, off+n) without changing the size
// (fallocate FALLOC_FL_KEEP_SIZE).
func (f osFile) Preallocate(off, n int64) error {
	for {
		err := unix.Fallocate(int(f.Fd()), unix.FALLOC_FL_KEEP_SIZE, off, n)
		if err == unix.EINTR {
			continue
		}
		return err
	}
}

// Fsync is fsync(2): data and every metadata field, timestamps included.
// Pegasus's log files flush with it (rdsn's file::flush); File.Sync is the
// cheaper fdatasync.
func (f osFile) Fsync() error {
	for {
		err := unix.Fsync(int(f.Fd()))
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return &fs.PathError{Op: "fsync", Path: f.File.Name(), Err: err}
		}
		return nil
	}
}
