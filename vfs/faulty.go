package vfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Op names an operation that a Fault can fail.
type Op string

// Operations of FS, File and Dir that Faulty can fail.
const (
	OpCreate   Op = "create"
	OpOpen     Op = "open"
	OpRead     Op = "read" // File.Read and File.ReadAt of files from OpenReadOnly
	OpWrite    Op = "write"
	OpSync     Op = "sync"     // File.Sync (fdatasync)
	OpSyncDir  Op = "syncdir"  // Dir.Sync and FS.SyncDir
	OpSyncFS   Op = "syncfs"   // Dir.SyncFS
	OpRename   Op = "rename"   // Rename and RenameNoReplace, matched on the old name
	OpRemove   Op = "remove"   //
	OpTruncate Op = "truncate" // File.Truncate and FS.Truncate
)

// ErrInjected is the default error of a Fault.
var ErrInjected = errors.New("vfs: injected fault")

// ErrCrashed is returned by every operation after Faulty.Crash.
var ErrCrashed = errors.New("vfs: filesystem crashed")

// Fault fails matching operations.
type Fault struct {
	Op Op
	// Path selects the files (or directories) the fault applies to: an
	// operation matches when its path contains Path; "" matches every path.
	Path string
	// After lets this many matching operations succeed first.
	After int
	// Times is how often the fault fires; 0 means once, negative forever.
	Times int
	// Err is returned by the failing operation; nil means ErrInjected.
	Err error
	// Short, for OpWrite, writes this many bytes of the buffer before
	// failing: a torn write. For OpRead, it is the file offset where reads
	// start failing, as on a bad sector (use Times: -1 to keep it bad).
	Short int
	// Crash, when the fault fires, is a power loss at this operation: the
	// operation is not performed, Faulty.Crash runs, and the operation and
	// every later one fail with ErrCrashed. Err and Short are ignored.
	Crash bool
}

// Faulty wraps an FS, fails operations on demand and models a power loss
// (Crash). It records how much of each file it created was written and how
// much was synced, and every change to a name (create, mkdir, rename,
// remove) until a sync of its directories (or a SyncFS) makes it durable.
// Crash then cuts the tree back to what a power cut could leave: unsynced
// bytes are dropped, files whose names were never made durable are
// removed, and the renames, removes and mkdirs not yet durable are kept or
// taken back as the CrashMode says (by default kept: see CrashMode).
// Unsynced lists what a crash would still take. Safe for concurrent use:
// a crash waits for the operations in flight and fails every later one.
type Faulty struct {
	base FS

	// life is held (shared) by every operation that changes the tree and
	// (exclusively) by Crash, so that nothing lands after a crash.
	life sync.RWMutex

	mu       sync.Mutex
	faults   []*faultState
	files    map[string]*fileState
	crashed  bool
	counts   map[Op]int
	mode     CrashMode
	pending  []*change // in the order made
	stashSeq int
	fired    []string
}

type faultState struct {
	Fault
	seen, fired int
}

type fileState struct {
	size, synced int64
	// named: the create's name is durable.
	named bool
}

// NewFaulty wraps base (usually OS).
func NewFaulty(base FS) *Faulty {
	return &Faulty{base: base, files: map[string]*fileState{}, counts: map[Op]int{}}
}

// Inject adds a fault.
func (f *Faulty) Inject(ft Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &faultState{Fault: ft})
}

// Clear removes every fault that has not fired yet.
func (f *Faulty) Clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// Fired lists the path of each operation a fault failed (crashes aside),
// in order: what the error that stopped a run must name.
func (f *Faulty) Fired() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.fired...)
}

// Count is how many times op was attempted (failed attempts included).
func (f *Faulty) Count(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[op]
}

// check is called before each operation; it returns the error to fail it
// with and, for a short write, how many bytes to write first.
func (f *Faulty) check(op Op, path string) (int, error) {
	short, err, crash := f.match(op, path)
	if crash {
		if cerr := f.Crash(); cerr != nil {
			return 0, errors.Join(fmt.Errorf("%s %s: %w", op, path, ErrCrashed), cerr)
		}
		return 0, fmt.Errorf("%s %s: %w", op, path, ErrCrashed)
	}
	return short, err
}

// begin is check for an operation that changes the tree: the caller holds
// f.life (shared) until it calls done, so that a crash cannot run while
// the operation does (a short write included), and none runs after one.
// done is never nil.
func (f *Faulty) begin(op Op, path string) (short int, done func(), err error) {
	short, err = f.check(op, path)
	if errors.Is(err, ErrCrashed) {
		return 0, func() {}, err
	}
	f.life.RLock()
	f.mu.Lock()
	crashed := f.crashed
	f.mu.Unlock()
	if crashed {
		f.life.RUnlock()
		return 0, func() {}, fmt.Errorf("%s %s: %w", op, path, ErrCrashed)
	}
	return short, f.life.RUnlock, err
}

// match finds the fault, if any, that fails this operation; crash says it
// is a crash fault, to be run once f.mu is released.
func (f *Faulty) match(op Op, path string) (short int, err error, crash bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counts[op]++
	if f.crashed {
		return 0, fmt.Errorf("%s %s: %w", op, path, ErrCrashed), false
	}
	for _, ft := range f.faults {
		if ft.Op != op || (ft.Path != "" && !strings.Contains(path, ft.Path)) {
			continue
		}
		ft.seen++
		if ft.seen <= ft.After {
			continue
		}
		if ft.Times >= 0 && ft.fired >= max(ft.Times, 1) {
			continue
		}
		ft.fired++
		if ft.Crash {
			return 0, nil, true
		}
		err := ft.Err
		if err == nil {
			err = ErrInjected
		}
		f.fired = append(f.fired, path)
		return ft.Short, &fs.PathError{Op: string(op), Path: path, Err: err}, false
	}
	return 0, nil, false
}

// Crash makes every later operation fail with ErrCrashed, then cuts the
// tree back on the real filesystem to what a power loss there could
// leave: the changes to names not durable are taken back or kept as the
// CrashMode says, the newest first (a file created whose name is not
// durable is removed); the files created through f that remain are cut to
// what was synced. Operations in flight finish first. Files still open may
// be closed afterwards.
func (f *Faulty) Crash() error {
	f.life.Lock()
	defer f.life.Unlock()
	f.mu.Lock()
	f.crashed = true
	// The changes stay pending while they are taken back: taking one back
	// rewrites the paths of those before it.
	pending := append([]*change{}, f.pending...)
	undo := f.decide(pending)
	f.mu.Unlock()
	var errs []error
	var drop []string
	for i := len(pending) - 1; i >= 0; i-- {
		c := pending[i]
		if undo[i] && f.isPending(c) {
			if err := f.takeBack(c); err != nil {
				errs = append(errs, fmt.Errorf("vfs: crash: taking back %s: %w", c, err))
			}
		}
		if !undo[i] && c.kind == chCreate {
			f.mu.Lock()
			c.file.named = true // kept: it holds what was synced
			f.mu.Unlock()
		}
		if c.stash != "" {
			drop = append(drop, c.stash) // kept, or not put back: something took the name
		}
	}
	f.mu.Lock()
	f.pending = nil
	paths := make([]string, 0, len(f.files))
	for p := range f.files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	states := map[string]fileState{}
	for _, p := range paths {
		states[p] = *f.files[p]
	}
	f.mu.Unlock()
	for _, p := range paths {
		st := states[p]
		if !st.named {
			if err := f.base.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		if err := f.base.Truncate(p, st.synced); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if err := f.dropStash(drop); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Synced reports, for a file created through f, how many bytes are synced
// and whether its name is durable.
func (f *Faulty) Synced(path string) (size int64, named bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st := f.files[filepath.Clean(path)]; st != nil {
		return st.synced, st.named
	}
	return 0, false
}

func (f *Faulty) state(path string) *fileState {
	return f.files[filepath.Clean(path)]
}

// synced is what a successful sync of dir does to the changes in before.
func (f *Faulty) synced(op Op, dir string, before []*change) error {
	f.mu.Lock()
	if err := f.crashedDuring(op, dir); err != nil {
		f.mu.Unlock()
		return err
	}
	drop := f.syncedDir(dir, before)
	f.mu.Unlock()
	f.dropStash(drop)
	return nil
}

// crashedDuring fails a sync that was in flight when Crash was called:
// after a power loss no sync returns, so nothing may be acknowledged on
// its strength (Crash has already cut the files to what was synced before).
// Called with f.mu held.
func (f *Faulty) crashedDuring(op Op, path string) error {
	if f.crashed {
		return fmt.Errorf("%s %s: %w", op, path, ErrCrashed)
	}
	return nil
}

// sizes snapshots the written size of every file and the pending
// changes, taken before a syncfs: only what was done before the call is
// covered by it.
func (f *Faulty) sizes() (map[*fileState]int64, []*change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m := make(map[*fileState]int64, len(f.files))
	for _, st := range f.files {
		m[st] = st.size
	}
	return m, append([]*change{}, f.pending...)
}

// syncedAll is what a successful syncfs does to the files and changes in
// before.
func (f *Faulty) syncedAll(path string, before map[*fileState]int64, changes []*change) error {
	f.mu.Lock()
	if err := f.crashedDuring(OpSyncFS, path); err != nil {
		f.mu.Unlock()
		return err
	}
	var drop []string
	for _, c := range changes {
		drop = append(drop, f.durable(c)...)
	}
	for st, size := range before {
		st.synced = max(st.synced, min(size, st.size))
	}
	f.mu.Unlock()
	f.dropStash(drop)
	return nil
}

func (f *Faulty) OpenReadOnly(name string) (File, error) {
	if _, err := f.check(OpOpen, name); err != nil {
		return nil, err
	}
	file, err := f.base.OpenReadOnly(name)
	if err != nil {
		return nil, err
	}
	return &faultyReader{File: file, fs: f, path: filepath.Clean(name)}, nil
}

// faultyReader fails reads on demand. A fault's Short is the file offset
// where the bad region starts: a read is served up to it and then fails,
// as on a bad sector, so readers see an error mid-file at a known offset.
type faultyReader struct {
	File
	fs   *Faulty
	path string
	pos  int64 // of Read; ReadAt does not move it
}

func (r *faultyReader) Read(p []byte) (int, error) {
	if bad, err := r.fs.check(OpRead, r.path); err != nil {
		n, _ := r.File.Read(p[:clamp(int64(bad)-r.pos, len(p))])
		r.pos += int64(n)
		return n, err
	}
	n, err := r.File.Read(p)
	r.pos += int64(n)
	return n, err
}

func (r *faultyReader) ReadAt(p []byte, off int64) (int, error) {
	if bad, err := r.fs.check(OpRead, r.path); err != nil {
		n, _ := r.File.ReadAt(p[:clamp(int64(bad)-off, len(p))], off)
		return n, err
	}
	return r.File.ReadAt(p, off)
}

// clamp is n bounded to [0, limit].
func clamp(n int64, limit int) int { return int(max(0, min(n, int64(limit)))) }

func (f *Faulty) Create(name string) (File, error) {
	_, done, err := f.begin(OpCreate, name)
	defer done()
	if err != nil {
		return nil, err
	}
	file, err := f.base.Create(name)
	if err != nil {
		return nil, err
	}
	name = filepath.Clean(name)
	st := &fileState{}
	f.mu.Lock()
	f.files[name] = st
	f.record(&change{kind: chCreate, path: name, file: st})
	f.mu.Unlock()
	return &faultyFile{File: file, fs: f, path: name}, nil
}

// Rename renames through the base FS. A target it replaces is moved to the
// stash first (when the CrashMode may undo), so that a crash taking the
// rename back can put it back.
func (f *Faulty) Rename(oldname, newname string) error {
	_, done, err := f.begin(OpRename, oldname)
	defer done()
	if err != nil {
		return err
	}
	oldname, newname = filepath.Clean(oldname), filepath.Clean(newname)
	if oldname == newname {
		return f.base.Rename(oldname, newname)
	}
	info, err := f.base.Stat(newname)
	replacing := err == nil
	stash := ""
	if replacing && f.stashing() {
		if stash, err = f.stashName(newname); err != nil {
			return err
		}
		if err := f.base.Rename(newname, stash); err != nil {
			return fmt.Errorf("vfs: the crash model's stash: %w", err)
		}
	}
	if err := f.base.Rename(oldname, newname); err != nil {
		if stash != "" {
			if rerr := f.base.Rename(stash, newname); rerr != nil {
				err = errors.Join(err, fmt.Errorf("vfs: putting %s back from the stash: %w", newname, rerr))
			}
		}
		return err
	}
	f.mu.Lock()
	var drop []string
	switch {
	case stash != "":
		f.rewrite(newname, stash)
	case replacing:
		drop = f.forget(newname)
	}
	f.rewrite(oldname, newname)
	f.record(&change{kind: chRename, from: oldname, path: newname, dir: replacing && info.IsDir(), stash: stash})
	f.mu.Unlock()
	return f.dropStash(drop)
}

// RenameNoReplace is RenameNoReplace of the base FS, failed as OpRename.
func (f *Faulty) RenameNoReplace(oldname, newname string) error {
	_, done, err := f.begin(OpRename, oldname)
	defer done()
	if err != nil {
		return err
	}
	if err := RenameNoReplace(f.base, oldname, newname); err != nil {
		return err
	}
	oldname, newname = filepath.Clean(oldname), filepath.Clean(newname)
	f.mu.Lock()
	f.rewrite(oldname, newname)
	f.record(&change{kind: chRename, from: oldname, path: newname})
	f.mu.Unlock()
	return nil
}

// Remove removes a file or an empty directory. A file is moved to the
// stash instead (when the CrashMode may undo), so that a crash taking the
// remove back puts it back with its inode; a directory is removed, and
// made again if the remove is taken back.
func (f *Faulty) Remove(name string) error {
	_, done, err := f.begin(OpRemove, name)
	defer done()
	if err != nil {
		return err
	}
	name = filepath.Clean(name)
	info, serr := f.base.Stat(name)
	if serr != nil || info.IsDir() || !f.stashing() {
		if err := f.base.Remove(name); err != nil {
			return err
		}
		f.mu.Lock()
		var drop []string
		if serr == nil && !info.IsDir() {
			// Gone for good (no crash brings it back): so is what was
			// pending of it, its create.
			drop = f.forget(name)
		}
		if serr == nil {
			f.record(&change{kind: chRemove, path: name, dir: info.IsDir(), perm: info.Mode().Perm()})
		}
		f.mu.Unlock()
		return f.dropStash(drop)
	}
	stash, err := f.stashName(name)
	if err != nil {
		return err
	}
	if err := f.base.Rename(name, stash); err != nil {
		var le *os.LinkError
		if errors.As(err, &le) {
			err = &fs.PathError{Op: "remove", Path: name, Err: le.Err}
		}
		return err
	}
	f.mu.Lock()
	f.rewrite(name, stash)
	f.record(&change{kind: chRemove, path: name, stash: stash})
	f.mu.Unlock()
	return nil
}

// MkdirAll creates dir and its missing parents; each is a mkdir of the
// crash model.
func (f *Faulty) MkdirAll(dir string, perm fs.FileMode) error {
	_, done, err := f.begin(OpCreate, dir)
	defer done()
	if err != nil {
		return err
	}
	dir = filepath.Clean(dir)
	var missing []string
	for p := dir; ; p = filepath.Dir(p) {
		if _, err := f.base.Stat(p); err == nil || !errors.Is(err, fs.ErrNotExist) || filepath.Dir(p) == p {
			break
		}
		missing = append(missing, p)
	}
	err = f.base.MkdirAll(dir, perm)
	f.mu.Lock()
	for i := len(missing) - 1; i >= 0; i-- {
		if _, serr := f.base.Stat(missing[i]); serr == nil {
			f.record(&change{kind: chMkdir, path: missing[i]})
		}
	}
	f.mu.Unlock()
	return err
}

func (f *Faulty) Mkdir(dir string, perm fs.FileMode) error {
	_, done, err := f.begin(OpCreate, dir)
	defer done()
	if err != nil {
		return err
	}
	if err := f.base.Mkdir(dir, perm); err != nil {
		return err
	}
	f.mu.Lock()
	f.record(&change{kind: chMkdir, path: filepath.Clean(dir)})
	f.mu.Unlock()
	return nil
}

func (f *Faulty) OpenDir(dir string) (Dir, error) {
	if _, err := f.check(OpOpen, dir); err != nil {
		return nil, err
	}
	d, err := f.base.OpenDir(dir)
	if err != nil {
		return nil, err
	}
	return &faultyDir{Dir: d, fs: f, path: dir}, nil
}

func (f *Faulty) SyncDir(dir string) error {
	if _, err := f.check(OpSyncDir, dir); err != nil {
		return err
	}
	before := f.pendingIn(dir)
	if err := f.base.SyncDir(dir); err != nil {
		return err
	}
	return f.synced(OpSyncDir, dir, before)
}

func (f *Faulty) ReadDir(dir string) ([]fs.DirEntry, error) {
	if _, err := f.check(OpOpen, dir); err != nil {
		return nil, err
	}
	return f.base.ReadDir(dir)
}

func (f *Faulty) Stat(name string) (fs.FileInfo, error) {
	if _, err := f.check(OpOpen, name); err != nil {
		return nil, err
	}
	return f.base.Stat(name)
}

func (f *Faulty) Truncate(name string, size int64) error {
	_, done, err := f.begin(OpTruncate, name)
	defer done()
	if err != nil {
		return err
	}
	if err := f.base.Truncate(name, size); err != nil {
		return err
	}
	f.truncated(name, size)
	return nil
}

func (f *Faulty) truncated(name string, size int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if st := f.state(name); st != nil {
		st.size = size
		st.synced = min(st.synced, size)
	}
}

type faultyFile struct {
	File
	fs   *Faulty
	path string
}

func (w *faultyFile) Write(p []byte) (int, error) {
	short, done, err := w.fs.begin(OpWrite, w.path)
	defer done()
	if err != nil {
		n := 0
		if short > 0 {
			n, _ = w.File.Write(p[:min(short, len(p))])
			w.wrote(n)
		}
		return n, err
	}
	n, err := w.File.Write(p)
	w.wrote(n)
	return n, err
}

func (w *faultyFile) wrote(n int) {
	w.fs.mu.Lock()
	defer w.fs.mu.Unlock()
	if st := w.fs.state(w.path); st != nil {
		st.size += int64(n)
	}
}

func (w *faultyFile) Sync() error {
	w.fs.mu.Lock()
	var size int64
	if st := w.fs.state(w.path); st != nil {
		size = st.size
	}
	w.fs.mu.Unlock()
	if _, err := w.fs.check(OpSync, w.path); err != nil {
		return err
	}
	if err := w.File.Sync(); err != nil {
		return err
	}
	// Only what was written before the sync started is covered.
	w.fs.mu.Lock()
	defer w.fs.mu.Unlock()
	if err := w.fs.crashedDuring(OpSync, w.path); err != nil {
		return err
	}
	if st := w.fs.state(w.path); st != nil {
		st.synced = max(st.synced, min(size, st.size))
	}
	return nil
}

// Preallocate passes through to the wrapped file: it changes no size and
// no content, so the crash model is unaffected.
func (w *faultyFile) Preallocate(off, n int64) error {
	p, ok := w.File.(Preallocator)
	if !ok {
		return errors.ErrUnsupported
	}
	return p.Preallocate(off, n)
}

func (w *faultyFile) Truncate(size int64) error {
	_, done, err := w.fs.begin(OpTruncate, w.path)
	defer done()
	if err != nil {
		return err
	}
	if err := w.File.Truncate(size); err != nil {
		return err
	}
	w.fs.truncated(w.path, size)
	return nil
}

type faultyDir struct {
	Dir
	fs   *Faulty
	path string
}

func (d *faultyDir) Sync() error {
	if _, err := d.fs.check(OpSyncDir, d.path); err != nil {
		return err
	}
	before := d.fs.pendingIn(d.path)
	if err := d.Dir.Sync(); err != nil {
		return err
	}
	return d.fs.synced(OpSyncDir, d.path, before)
}

func (d *faultyDir) SyncFS() error {
	if _, err := d.fs.check(OpSyncFS, d.path); err != nil {
		return err
	}
	before, changes := d.fs.sizes()
	if err := d.Dir.SyncFS(); err != nil {
		return err
	}
	return d.fs.syncedAll(d.path, before, changes)
}
