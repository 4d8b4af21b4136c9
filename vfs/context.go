package vfs

import (
	"context"
	"io/fs"
	"os"
)

// WithContext makes every read through fsys fail with the context's error
// once ctx is cancelled, so that a scan of any size (verify, dump, replay,
// bench) stops within one read of a signal.
func WithContext(ctx context.Context, fsys FS) FS {
	if ctx == nil || ctx.Done() == nil {
		return fsys
	}
	return ctxFS{fsys, ctx}
}

type ctxFS struct {
	FS
	ctx context.Context
}

func (c ctxFS) OpenReadOnly(name string) (File, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	f, err := c.FS.OpenReadOnly(name)
	if err != nil {
		return nil, err
	}
	return ctxFile{f, c.ctx}, nil
}

// RenameNoReplace keeps the base's atomic rename without replace: hiding
// it would make RenameNoReplace fall back to a stat, then a rename.
func (c ctxFS) RenameNoReplace(oldname, newname string) error {
	if err := c.ctx.Err(); err != nil {
		return &os.LinkError{Op: "rename", Old: oldname, New: newname, Err: err}
	}
	return RenameNoReplace(c.FS, oldname, newname)
}

func (c ctxFS) ReadDir(dir string) ([]fs.DirEntry, error) {
	if err := c.ctx.Err(); err != nil {
		return nil, &fs.PathError{Op: "readdir", Path: dir, Err: err}
	}
	return c.FS.ReadDir(dir)
}

type ctxFile struct {
	File
	ctx context.Context
}

func (f ctxFile) Read(p []byte) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	return f.File.Read(p)
}

func (f ctxFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	return f.File.ReadAt(p, off)
}

// FreeBytes keeps the base's answer (a test's small filesystem).
func (c ctxFS) FreeBytes(dir string) (int64, error) { return FreeBytes(c.FS, dir) }
