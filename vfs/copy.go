package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
)

// CopyOptions tunes CopyDurable.
type CopyOptions struct {
	// Tmp is the name the copy is written under before it is renamed to
	// dst; it must be in dst's directory and must not exist.
	Tmp string
	// Check, when set, is called with the source as opened (the inode
	// actually read, so no race with a rename) and refuses it by returning
	// an error: a plan's size, mtime or inode no longer match.
	Check func(fs.FileInfo) error
	// Tee, when set, also receives every byte copied (a hash).
	Tee io.Writer
	// Verify, when set, is called once the copy is complete and synced,
	// before it is renamed to dst; an error abandons the copy (a checksum
	// that does not match what was recorded).
	Verify func() error
	// DirName names dst's directory in the error when its fsync fails
	// ("the trash dir"); "" names it by its path.
	DirName string
}

// CopyDurable copies the regular file src to dst, which must not exist, so
// that dst is complete and durable, name included, when it returns nil: the
// copy is written to opt.Tmp, fdatasync'd, renamed to dst without replacing
// anything (RenameNoReplace), and dst's directory fsync'd. The source is
// never changed. On failure the partial copy is removed (best effort, said
// in the error); if only the final directory fsync fails, dst exists but
// may not survive a crash, and is left for the caller to judge.
//
// It is the one durable copy of the suite: reclaim's copy into a trash dir
// and the migration journal's moves across filesystems both use it.
func CopyDurable(fsys FS, src, dst string, opt CopyOptions) (err error) {
	in, err := fsys.OpenReadOnly(src)
	if err != nil {
		return err
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return err
	}
	if opt.Check != nil {
		if err := opt.Check(info); err != nil {
			return err
		}
	}
	tmp := opt.Tmp
	if tmp == "" {
		return errors.New("vfs.CopyDurable: no temporary name")
	}
	out, err := fsys.Create(tmp)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w (a copy interrupted earlier: check it and remove it)", err)
		}
		return err
	}
	defer func() {
		if out != nil {
			out.Close()
		}
		if err != nil {
			if rerr := fsys.Remove(tmp); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
				err = fmt.Errorf("%w; removing the partial copy %s: %v", err, tmp, rerr)
			}
		}
	}()
	var w io.Writer = out
	if opt.Tee != nil {
		w = io.MultiWriter(out, opt.Tee)
	}
	size := info.Size()
	n, err := io.Copy(w, io.LimitReader(in, size+1))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("copied %d bytes of a %d-byte file", n, size)
	}
	if err := out.Sync(); err != nil {
		return err
	}
	err, out = out.Close(), nil
	if err != nil {
		return err
	}
	if opt.Verify != nil {
		if err := opt.Verify(); err != nil {
			return err
		}
	}
	if err := RenameNoReplace(fsys, tmp, dst); err != nil {
		return err
	}
	if err := fsys.SyncDir(filepath.Dir(dst)); err != nil {
		// The copy is complete under its name but the name may not be
		// durable: the caller keeps the original and decides about the
		// copy (removing it could fail the same way).
		name := opt.DirName
		if name == "" {
			name = filepath.Dir(dst) + "'s"
		}
		return fmt.Errorf("%s fsync failed, so the copy at %s may not survive a crash: %w", name, dst, err)
	}
	return nil
}

// MkdirAllDurable creates dir and its missing parents, fsyncing the parent
// of each dir it creates, so that files created or moved into it survive a
// crash. A dir already there is fine; anything else at the name is refused.
func MkdirAllDurable(fsys FS, dir string) error {
	info, err := fsys.Stat(dir)
	if err == nil {
		if !info.IsDir() {
			return fmt.Errorf("%s is %s, not a directory", dir, TypeName(info.Mode().Type()))
		}
		return nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	parent := filepath.Dir(dir)
	if parent == dir {
		return err
	}
	if err := MkdirAllDurable(fsys, parent); err != nil {
		return err
	}
	if err := fsys.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return err
	}
	return fsys.SyncDir(parent)
}

// WriteFileAtomic publishes data at path: it writes "<path>.tmp" (a
// leftover from a crash removed first), fsyncs it, renames it over path and
// fsyncs the directory, so that a crash leaves either the old file or the
// new one, whole. The .tmp is removed when a step fails.
func WriteFileAtomic(fsys FS, path string, data []byte) (err error) {
	tmp := path + ".tmp"
	if err := fsys.Remove(tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return PathErr("remove stale", tmp, err)
	}
	f, err := fsys.Create(tmp)
	if err != nil {
		return PathErr("create", tmp, err)
	}
	defer func() {
		if err != nil {
			fsys.Remove(tmp) // best effort
		}
	}()
	if _, err = f.Write(data); err != nil {
		f.Close()
		return PathErr("write", tmp, err)
	}
	if err = f.Sync(); err != nil {
		f.Close()
		return PathErr("fsync", tmp, err)
	}
	if err = f.Close(); err != nil {
		return PathErr("close", tmp, err)
	}
	if err = fsys.Rename(tmp, path); err != nil {
		return PathErr("rename to "+path, tmp, err)
	}
	return fsys.SyncDir(filepath.Dir(path))
}
