// Package killpoint is a vfs.FS for crash tests with real processes: it
// counts the mutating operations made through it and, before the n-th,
// calls a stop function (which, in a child process, says so and waits to
// be SIGKILLed). The journal's and the CLI's SIGKILL tests use it; it is
// not used outside tests.
package killpoint

import (
	"errors"
	"os"
	"sync/atomic"

	"github.com/waltool/waltool/vfs"
)

// FS counts the mutating operations through it: creates, file writes,
// fdatasyncs and truncates, renames, removes, mkdirs, dir fsyncs and
// syncfs, named truncates. From the n-th on (n >= 0), every one calls
// stop first: a writer with several goroutines (the fold) has none of them
// get past the n-th operation.
type FS struct {
	vfs.FS
	n    int64
	seen atomic.Int64
	stop func()
}

// New wraps base: stop is called before the n-th mutating operation
// (counting from 0) and every later one; n < 0 never stops, only counts.
func New(base vfs.FS, n int64, stop func()) *FS { return &FS{FS: base, n: n, stop: stop} }

// Seen is how many mutating operations have been made through h.
func (h *FS) Seen() int64 { return h.seen.Load() }

var _ vfs.NoReplaceRenamer = (*FS)(nil)

func (h *FS) tick() {
	if i := h.seen.Add(1) - 1; h.n >= 0 && i >= h.n {
		h.stop()
	}
}

func (h *FS) Create(name string) (vfs.File, error) {
	h.tick()
	f, err := h.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return &file{File: f, h: h}, nil
}
func (h *FS) Rename(a, b string) error { h.tick(); return h.FS.Rename(a, b) }
func (h *FS) RenameNoReplace(a, b string) error {
	h.tick()
	return vfs.RenameNoReplace(h.FS, a, b)
}
func (h *FS) Remove(name string) error { h.tick(); return h.FS.Remove(name) }
func (h *FS) Mkdir(dir string, perm os.FileMode) error {
	h.tick()
	return h.FS.Mkdir(dir, perm)
}
func (h *FS) MkdirAll(dir string, perm os.FileMode) error {
	h.tick()
	return h.FS.MkdirAll(dir, perm)
}
func (h *FS) SyncDir(dir string) error { h.tick(); return h.FS.SyncDir(dir) }
func (h *FS) Truncate(name string, size int64) error {
	h.tick()
	return h.FS.Truncate(name, size)
}
func (h *FS) OpenDir(dir string) (vfs.Dir, error) {
	d, err := h.FS.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	return &dirHandle{Dir: d, h: h}, nil
}

type file struct {
	vfs.File
	h *FS
}

func (f *file) Write(p []byte) (int, error) { f.h.tick(); return f.File.Write(p) }
func (f *file) Sync() error                 { f.h.tick(); return f.File.Sync() }
func (f *file) Truncate(size int64) error   { f.h.tick(); return f.File.Truncate(size) }

// Preallocate and StartWriteback pass the plog writer's hints on (they
// change no byte a reader sees: not counted).
func (f *file) Preallocate(off, n int64) error {
	if p, ok := f.File.(vfs.Preallocator); ok {
		return p.Preallocate(off, n)
	}
	return errors.ErrUnsupported
}
func (f *file) StartWriteback(off, n int64) error {
	if w, ok := f.File.(vfs.WritebackStarter); ok {
		return w.StartWriteback(off, n)
	}
	return errors.ErrUnsupported
}

type dirHandle struct {
	vfs.Dir
	h *FS
}

func (d *dirHandle) Sync() error   { d.h.tick(); return d.Dir.Sync() }
func (d *dirHandle) SyncFS() error { d.h.tick(); return d.Dir.SyncFS() }
