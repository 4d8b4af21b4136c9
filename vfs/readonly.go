package vfs

import (
	"errors"
	"fmt"
	"io/fs"
)

// ErrReadOnly is returned by every mutating operation of a ReadOnly FS.
var ErrReadOnly = errors.New("vfs: read-only: refusing to modify")

// ReadOnly wraps base so that nothing can be created, written, renamed,
// removed, truncated or synced through it: dump, verify, replay and every
// dry run get one, which makes "read-only unless told" a property of the
// types rather than of care. Files it opens are base's read-only files with
// their write side disabled too.
func ReadOnly(base FS) FS { return readOnly{base} }

type readOnly struct{ base FS }

func refuse(op, name string) error { return &fs.PathError{Op: op, Path: name, Err: ErrReadOnly} }

func (r readOnly) OpenReadOnly(name string) (File, error) {
	f, err := r.base.OpenReadOnly(name)
	if err != nil {
		return nil, err
	}
	return readOnlyFile{f}, nil
}

func (r readOnly) Create(name string) (File, error)          { return nil, refuse("create", name) }
func (r readOnly) Rename(oldname, _ string) error            { return refuse("rename", oldname) }
func (r readOnly) Remove(name string) error                  { return refuse("remove", name) }
func (r readOnly) Mkdir(dir string, _ fs.FileMode) error     { return refuse("mkdir", dir) }
func (r readOnly) MkdirAll(dir string, _ fs.FileMode) error  { return refuse("mkdir", dir) }
func (r readOnly) SyncDir(dir string) error                  { return refuse("syncdir", dir) }
func (r readOnly) Truncate(name string, _ int64) error       { return refuse("truncate", name) }
func (r readOnly) ReadDir(dir string) ([]fs.DirEntry, error) { return r.base.ReadDir(dir) }
func (r readOnly) Stat(name string) (fs.FileInfo, error)     { return r.base.Stat(name) }
func (r readOnly) OpenDir(dir string) (Dir, error)           { return nil, refuse("opendir", dir) }
func (r readOnly) String() string                            { return fmt.Sprintf("read-only %v", r.base) }

type readOnlyFile struct{ File }

func (f readOnlyFile) Write([]byte) (int, error) { return 0, refuse("write", f.Name()) }
func (f readOnlyFile) Sync() error               { return refuse("sync", f.Name()) }
func (f readOnlyFile) Truncate(int64) error      { return refuse("truncate", f.Name()) }
