package plog

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/waltool/waltool/vfs"
)

// file is one plog file being written. format.LogWriter writes to it (it
// is what streamFS.Create returns) while the stream's write token is held; the disk's
// flusher syncs it. It keeps what the flusher needs: how much was written,
// whether the name is durable yet, and whether LogWriter has moved on to a
// newer file.
type file struct {
	vfs.File
	s    *stream
	path string
	dir  string

	mu      sync.Mutex
	written int64 // bytes written so far
	// named is set once a directory sync (or syncfs) after the create has
	// succeeded: before that, fdatasync alone does not make the file
	// reachable after a crash.
	named bool
	// retired: LogWriter closed it to start a newer file. The descriptor
	// stays open until a flush covers the last write, because fdatasync
	// needs it and because the file's writeback errors are reported only to
	// descriptors opened before they happened.
	retired  bool
	closed   bool
	closeErr error
	// reserved is how much was preallocated (Options.Preallocate).
	reserved int64
}

func newFile(s *stream, f vfs.File, path string) *file {
	return &file{File: f, s: s, path: path, dir: filepath.Dir(path)}
}

// Write appends p. A failed write is cut back to where the batch began, so
// that no half-written mutation stays in the file (a later reopen would see
// a torn tail there at worst, if the truncate fails too); the stream is
// poisoned by the caller either way.
func (f *file) Write(p []byte) (int, error) {
	f.mu.Lock()
	before := f.written
	f.mu.Unlock()
	n, err := f.File.Write(p)
	if err != nil {
		if n > 0 {
			if terr := f.File.Truncate(before); terr != nil {
				err = fmt.Errorf("%w (and truncating the partial batch back to %d bytes failed: %v)", err, before, terr)
			}
		}
		return 0, vfs.PathErr(fmt.Sprintf("write at offset %d", before), f.path, err)
	}
	f.mu.Lock()
	f.written += int64(n)
	f.mu.Unlock()
	if f.s.d.w.opts.StartWriteback && f.s.d.batch {
		if ws, ok := f.File.(vfs.WritebackStarter); ok {
			// Only a hint: the flush round still syncs the file.
			_ = ws.StartWriteback(before, int64(n))
		}
	}
	return n, nil
}

// Sync is called by LogWriter only when asked to sync, which this package
// never asks: flushing is the disk's job.
func (f *file) Sync() error { return f.File.Sync() }

// Close is called by LogWriter when it starts a newer file. If a flush is
// still due, the real close waits for it (see retired).
func (f *file) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retired = true
	if f.s.d.keepUntilFlushed() {
		return nil
	}
	return f.closeLocked()
}

func (f *file) closeLocked() error {
	if !f.closed {
		f.closed = true
		if f.reserved > f.written {
			// Give back the preallocated blocks past the end (a truncate
			// to the same size drops them); only space is at stake.
			_ = f.File.Truncate(f.written)
		}
		f.closeErr = f.File.Close()
	}
	return f.closeErr
}

// preallocate reserves the first n bytes of a new file's blocks, keeping
// its size; a hint, ignored where unsupported.
func (f *file) preallocate(n int64) {
	p, ok := f.File.(vfs.Preallocator)
	if !ok || n <= 0 {
		return
	}
	if p.Preallocate(0, n) == nil {
		f.mu.Lock()
		f.reserved = n
		f.mu.Unlock()
	}
}

// size is how much has been written; a flush round records it before it
// syncs, as the extent the sync covers.
func (f *file) size() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.written
}

// flushed is called after a flush that covered the first upTo bytes and
// the file's name. A retired file is closed once every byte is covered; a
// write that came after the flush started keeps it open for the next one.
func (f *file) flushed(upTo int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.named = true
	if f.retired && upTo >= f.written {
		f.closeLocked()
	}
}

// close is the final close at Writer.Close.
func (f *file) close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closeLocked()
}

func (f *file) isNamed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.named
}

func (f *file) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}
