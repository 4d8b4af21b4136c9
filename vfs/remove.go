package vfs

import (
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"
	"time"
)

// RemoveAll removes the tree at path through fsys; a path that does not
// exist is not an error. A tree another goroutine is still writing into (a
// command stopped by a signal) can gain a file after its dir was listed:
// the dir's removal then fails with ENOTEMPTY, and the whole removal is
// tried again, a bounded number of times.
func RemoveAll(fsys FS, path string) error {
	var err error
	for range 20 {
		if err = removeTree(fsys, path); err == nil || !errors.Is(err, syscall.ENOTEMPTY) && !errors.Is(err, syscall.EEXIST) {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	return err
}

func removeTree(fsys FS, path string) error {
	st, err := fsys.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return removeEntry(fsys, path, st.IsDir())
}

// removeEntry removes path, and first what is inside when it is a dir. A
// dir's entries are typed as listed, without following a symlink: a link
// to a dir is removed, never what it points to.
func removeEntry(fsys FS, path string, dir bool) error {
	if dir {
		ents, err := fsys.ReadDir(path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		for _, e := range ents {
			if err := removeEntry(fsys, filepath.Join(path, e.Name()), e.IsDir()); err != nil {
				return err
			}
		}
	}
	if err := fsys.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
