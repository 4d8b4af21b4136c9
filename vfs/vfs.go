// Package vfs is the one way the suite touches the filesystem, for reading
// and for writing: a small interface; the OS implementation (fdatasync
// through golang.org/x/sys/unix, syncfs for a whole filesystem); ReadOnly,
// which every read-only command gets, so that a write from dump, verify,
// replay or a dry run is impossible by construction; and Faulty, which
// injects read, write, sync, rename and create failures, short writes and
// power losses for tests (a crash drops what no fdatasync covered, and
// takes back or keeps, as its CrashMode says, every create, rename, remove
// and mkdir that no fsync of its directories made durable).
//
// It is a leaf package: the codec, the writers and the migration tool all
// depend on it, and it depends on none of them, so test fakes cannot create
// import cycles.
//
// Durability vocabulary used throughout the suite:
//
//   - File.Sync is fdatasync: the file's data and the metadata needed to read
//     it back (its size) are on stable storage when it returns nil.
//   - Dir.Sync is fsync of a directory: the names created, renamed or removed
//     in it are on stable storage. A new file is not durable until both the
//     file and its directory have been synced.
//   - Dir.SyncFS is syncfs(2): every dirty inode of the filesystem holding the
//     directory, data and metadata, names included, is on stable storage. It
//     reports writeback errors of any file of that filesystem that occurred
//     since the Dir was opened (Linux >= 5.8), so keep one Dir open for as
//     long as its errors matter.
//
// After a failed Sync or SyncFS the state of the page cache is unknown (a
// later sync may succeed without the lost pages): callers must treat every
// write the failed sync was meant to cover as lost, never retry it.
package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
)

// File is an open file. Files from Create are write-only appenders; files
// from OpenReadOnly support Read and ReadAt only.
type File interface {
	io.Reader
	io.ReaderAt
	io.Writer
	// Sync is fdatasync(2).
	Sync() error
	// Truncate sets the file's size; a writer uses it to cut off a batch
	// whose write failed half-way.
	Truncate(size int64) error
	Stat() (fs.FileInfo, error)
	Close() error
	// Name is the path the file was opened with.
	Name() string
}

// Dir is an open directory handle, kept open so that its syncs report
// errors that happened since it was opened.
type Dir interface {
	// Sync is fsync(2) of the directory: the names in it become durable.
	Sync() error
	// SyncFS is syncfs(2) on the filesystem holding the directory.
	SyncFS() error
	Close() error
}

// FS is the set of filesystem operations the suite uses.
type FS interface {
	// OpenReadOnly opens an existing file for reading.
	OpenReadOnly(name string) (File, error)
	// Create creates a new file for writing; it fails with fs.ErrExist if
	// the name exists (O_CREAT|O_EXCL), as Pegasus's log_file::create_write
	// does. The new name is not durable until SyncDir of its directory.
	Create(name string) (File, error)
	// Rename renames a file; durable after SyncDir of both directories.
	Rename(oldname, newname string) error
	// Remove removes a file or an empty directory.
	Remove(name string) error
	// Mkdir creates one directory; it fails with fs.ErrExist if the name
	// exists. The new name is not durable until SyncDir of its parent.
	Mkdir(dir string, perm fs.FileMode) error
	// MkdirAll creates a directory and its parents.
	MkdirAll(dir string, perm fs.FileMode) error
	// OpenDir opens a directory handle for Sync and SyncFS.
	OpenDir(dir string) (Dir, error)
	// SyncDir opens dir, fsyncs it and closes it.
	SyncDir(dir string) error
	// ReadDir lists a directory, sorted by name.
	ReadDir(dir string) ([]fs.DirEntry, error)
	// Stat describes a file.
	Stat(name string) (fs.FileInfo, error)
	// Truncate sets the size of a named file.
	Truncate(name string, size int64) error
}

// WritebackStarter is implemented by files that can start writing a range
// back to the device without waiting for it (sync_file_range(2) with
// SYNC_FILE_RANGE_WRITE). It makes nothing durable: it only moves I/O
// earlier, so that a later flush has less left to do.
type WritebackStarter interface {
	StartWriteback(off, n int64) error
}

// Preallocator is implemented by files that can reserve blocks ahead of
// their end without changing their size (fallocate(2) with
// FALLOC_FL_KEEP_SIZE): later appends into the range allocate nothing, so
// flushing them writes back less metadata. The size, and so what a reader
// sees, is unchanged; a truncate to the current size gives the blocks back.
type Preallocator interface {
	Preallocate(off, n int64) error
}

// DeviceID identifies the filesystem (st_dev) holding a file described by
// info, when the FS can tell; ok is false otherwise. Writers use it to put
// directories of one disk in one flush group.
func DeviceID(info fs.FileInfo) (id uint64, ok bool) { return deviceID(info) }

// ErrNotRegular is the cause when a path that must be a regular file (a
// log file, replica metadata) is a directory, FIFO, device, socket or
// dangling symlink. FS.OpenReadOnly refuses such paths with it, without
// blocking.
var ErrNotRegular = errors.New("not a regular file")

// ErrTooLarge is the cause when ReadFile refuses a file above its limit.
var ErrTooLarge = errors.New("file too large")

// NotRegular is ErrNotRegular naming the type found ("named pipe",
// "directory", ...).
func NotRegular(t fs.FileMode) error {
	return fmt.Errorf("%w (%s)", ErrNotRegular, TypeName(t))
}

// TypeName names the type of a file mode for messages.
func TypeName(t fs.FileMode) string {
	switch {
	case t&fs.ModeDir != 0:
		return "a directory"
	case t&fs.ModeSymlink != 0:
		return "a symlink"
	case t&fs.ModeNamedPipe != 0:
		return "a FIFO"
	case t&fs.ModeSocket != 0:
		return "a socket"
	case t&fs.ModeCharDevice != 0:
		return "a character device"
	case t&fs.ModeDevice != 0:
		return "a block device"
	}
	return "not a regular file type"
}

// ReadFile reads a small whole file (replica metadata) through fsys,
// refusing anything that is not a regular file or is larger than limit
// bytes, so that a hostile or damaged path (a device, a huge sparse file)
// cannot make the caller allocate without bound.
func ReadFile(fsys FS, name string, limit int64) ([]byte, error) {
	f, err := fsys.OpenReadOnly(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, &fs.PathError{Op: "read", Path: name, Err: NotRegular(st.Mode().Type())}
	}
	if st.Size() > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w: %d bytes, more than the %d this file can hold", ErrTooLarge, st.Size(), limit)}
	}
	// Never trust the size for more than the limit, and never read past
	// it either: a file that grows under us is cut at limit+1 and refused.
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, &fs.PathError{Op: "read", Path: name, Err: err}
	}
	if int64(len(b)) > limit {
		return nil, &fs.PathError{Op: "read", Path: name, Err: fmt.Errorf("%w: more than the %d bytes this file can hold", ErrTooLarge, limit)}
	}
	return b, nil
}

// PathErr is err as an *fs.PathError about path, said once: when err is
// already the FS's own error about path ("write X: no space left"), its
// cause is kept under op rather than wrapped in a second "write X: ...".
func PathErr(op, path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) && filepath.Clean(pe.Path) == filepath.Clean(path) {
		return &fs.PathError{Op: op, Path: path, Err: pe.Err}
	}
	return &fs.PathError{Op: op, Path: path, Err: err}
}
